#include "engine/planner.h"

#include <algorithm>
#include <optional>
#include <limits>
#include <numeric>

#include "engine/eval.h"
#include "engine/kernel.h"
#include "engine/kernels/registry.h"
#include "engine/model.h"

namespace reco::engine {

MemoryPlan AssignOffsets(std::span<const BufferRequest> requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].first != requests[b].first) return requests[a].first < requests[b].first;
    return requests[a].bytes > requests[b].bytes;
  });
  struct Live {
    size_t offset, size;
    int last;
  };
  std::vector<Live> live;
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    // A buffer is free for a step strictly after its last reader: outputs never alias inputs of the same step.
    live.erase(std::remove_if(live.begin(), live.end(), [&](const Live& l) { return l.last < r.first; }), live.end());
    if (r.bytes == 0) continue;
    const size_t size = (r.bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    std::sort(live.begin(), live.end(), [](const Live& a, const Live& b) { return a.offset < b.offset; });
    size_t prev_end = 0, best = std::numeric_limits<size_t>::max(), best_gap = std::numeric_limits<size_t>::max();
    for (const Live& l : live) {
      if (l.offset >= prev_end && l.offset - prev_end >= size && l.offset - prev_end < best_gap) {
        best = prev_end;
        best_gap = l.offset - prev_end;
      }
      prev_end = std::max(prev_end, l.offset + l.size);
    }
    const size_t offset = best != std::numeric_limits<size_t>::max() ? best : prev_end;
    plan.offsets[idx] = offset;
    live.push_back(Live{offset, size, r.last});
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
  }
  return plan;
}

StatusOr<std::unique_ptr<Plan>> BuildPlan(const Model& model, std::span<const TensorView* const> inputs) {
  auto plan = std::make_unique<Plan>();
  for (const TensorView* in : inputs) plan->input_shapes.push_back(in->shape);
  const std::span<const Shape> input_shapes(plan->input_shapes);
  const size_t nv = model.values.size();
  plan->values.resize(nv);
  std::vector<TensorView> metas(nv);
  std::vector<bool> known(nv, false);
  for (size_t v = 0; v < nv; ++v) {
    if (const TensorView* c = model.values[v].constant) {
      PlanValue& pv = plan->values[v];
      pv.kind = PlanValue::Kind::kConstant;
      pv.dtype = c->dtype;
      pv.shape = c->shape;
      pv.const_data = c->data;
      metas[v] = *c;
      known[v] = true;
    }
  }
  if (input_shapes.size() != model.input_values.size()) return InternalError("BuildPlan: input count mismatch");
  for (size_t i = 0; i < model.input_values.size(); ++i) {
    const int v = model.input_values[i];
    PlanValue& pv = plan->values[v];
    pv.kind = PlanValue::Kind::kInput;
    pv.dtype = model.inputs[i].dtype;
    pv.shape = input_shapes[i];
    pv.input_index = static_cast<int>(i);
    metas[v] = TensorView(pv.dtype, pv.shape, static_cast<void*>(nullptr));
  }
  for (int i : model.value_keyed_inputs) {
    if (inputs[i]->data == nullptr && inputs[i]->num_elements() > 0) {
      return InvalidArgumentError("input '" + model.inputs[i].name + "' feeds a shape computation; its value is needed");
    }
    plan->plan_constants.push_back(Tensor::CopyOf(*inputs[i]));
    const Tensor& t = plan->plan_constants.back();
    plan->keyed_values.emplace_back(i, &t);
    const int v = model.input_values[i];
    PlanValue& pv = plan->values[v];
    pv.kind = PlanValue::Kind::kConstant;
    pv.const_data = t.raw_data();
    metas[v] = t.view();
    known[v] = true;
  }

  std::vector<bool> is_graph_output(nv, false);
  for (int v : model.output_values) is_graph_output[v] = true;
  // The buffer a value's bytes live in: itself, or the root of an alias.
  auto root_of = [&](int v) { return plan->values[v].kind == PlanValue::Kind::kAlias ? plan->values[v].alias_of : v; };

  int64_t plan_time_budget = int64_t{64} << 20;  // bytes of plan-time values this plan may keep
  for (size_t k = 0; k < model.nodes.size(); ++k) {
    const Node& node = model.nodes[k];
    std::vector<const TensorView*> in_metas, in_values;
    bool all_known = true;
    for (int v : node.inputs) {
      if (v < 0) {
        in_metas.push_back(nullptr);
        in_values.push_back(nullptr);
        continue;
      }
      if (plan->values[v].kind == PlanValue::Kind::kUnused) {
        return InternalError("node '" + node.name + "' reads a value no earlier step produced");
      }
      in_metas.push_back(&metas[v]);
      in_values.push_back(known[v] ? &metas[v] : nullptr);
      all_known = all_known && known[v];
    }
    const std::string& op = node.proto->op_type();
    const bool shape_only = (op == "Shape" || op == "Size") && node.proto->domain().empty();
    std::optional<std::vector<Tensor>> evaluated;
    if (all_known || shape_only) {
      // Values known while planning are kept in the plan (and plans are cached), so they share a budget; past it
      // a node whose inputs are all known simply runs as a step like the others.
      StatusOr<std::vector<Tensor>> outs =
          EvaluateNode(*node.kernel, node.name, in_metas, static_cast<int>(node.outputs.size()), &plan_time_budget);
      if (outs.ok()) {
        evaluated = std::move(outs).value();
      } else if (outs.status().code() != StatusCode::kResourceExhausted || shape_only) {
        return outs.status();
      }
    }
    if (evaluated) {
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        const int v = node.outputs[o];
        if (v < 0) continue;
        plan->plan_constants.push_back(std::move((*evaluated)[o]));
        const Tensor& t = plan->plan_constants.back();
        PlanValue& pv = plan->values[v];
        pv.kind = PlanValue::Kind::kConstant;
        pv.dtype = t.dtype();
        pv.shape = t.shape();
        pv.const_data = t.raw_data();
        metas[v] = t.view();
        known[v] = true;
      }
      ++plan->plan_time_nodes;
      continue;
    }
    NodeInference inf(node.name, in_metas, in_values, static_cast<int>(node.outputs.size()));
    RETURN_IF_ERROR(node.kernel->InferOutputs(inf));
    RETURN_IF_ERROR(inf.CheckOutputsSet());
    if (node.def_flags & KernelDef::kAliasesInput0) {
      const int in = node.inputs.empty() ? -1 : node.inputs[0];
      const int out = node.outputs.empty() ? -1 : node.outputs[0];
      bool other_outputs = false;
      for (size_t o = 1; o < node.outputs.size(); ++o) other_outputs = other_outputs || node.outputs[o] >= 0;
      const PlanValue::Kind src_kind = in >= 0 ? plan->values[in].kind : PlanValue::Kind::kUnused;
      if (out >= 0 && !other_outputs && !is_graph_output[out] &&
          (src_kind == PlanValue::Kind::kInput || src_kind == PlanValue::Kind::kArena ||
           src_kind == PlanValue::Kind::kAlias) &&
          inf.out_dtype(0) == plan->values[in].dtype &&
          inf.out_shape(0).num_elements() == plan->values[in].shape.num_elements()) {
        PlanValue& pv = plan->values[out];
        pv.kind = PlanValue::Kind::kAlias;
        pv.dtype = inf.out_dtype(0);
        pv.shape = inf.out_shape(0);
        pv.alias_of = root_of(in);
        metas[out] = TensorView(pv.dtype, pv.shape, static_cast<void*>(nullptr));
        plan->alias_values.push_back(out);
        ++plan->aliased_nodes;
        continue;
      }
    }
    PlanStep step;
    step.node = static_cast<int>(k);
    step.kernel = node.kernel.get();
    step.inputs = node.inputs;
    step.outputs = node.outputs;
    step.scratch_bytes = inf.scratch_bytes();
    step.state = inf.state();
    const int s = static_cast<int>(plan->steps.size());
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const int v = node.outputs[o];
      if (v < 0) continue;
      PlanValue& pv = plan->values[v];
      pv.kind = PlanValue::Kind::kArena;
      pv.dtype = inf.out_dtype(static_cast<int>(o));
      pv.shape = inf.out_shape(static_cast<int>(o));
      pv.first_step = s;
      pv.last_step = s;
      metas[v] = TensorView(pv.dtype, pv.shape, static_cast<void*>(nullptr));
    }
    for (int v : node.inputs) {
      if (v >= 0 && plan->values[root_of(v)].kind == PlanValue::Kind::kArena) plan->values[root_of(v)].last_step = s;
    }
    plan->max_step_inputs = std::max(plan->max_step_inputs, node.inputs.size());
    plan->max_step_outputs = std::max(plan->max_step_outputs, node.outputs.size());
    plan->steps.push_back(std::move(step));
  }
  const int num_steps = static_cast<int>(plan->steps.size());
  for (int v : model.output_values) {
    if (plan->values[v].kind == PlanValue::Kind::kArena) plan->values[v].last_step = num_steps;
  }

  // Memory plan: arena values plus per-step scratch.
  std::vector<BufferRequest> requests;
  std::vector<int> owner;  // value id, or -(step+1) for scratch
  for (size_t v = 0; v < nv; ++v) {
    const PlanValue& pv = plan->values[v];
    if (pv.kind != PlanValue::Kind::kArena) continue;
    const size_t bytes = static_cast<size_t>(pv.shape.num_elements()) * DTypeSize(pv.dtype);
    requests.push_back({bytes, pv.first_step, pv.last_step});
    owner.push_back(static_cast<int>(v));
  }
  for (int s = 0; s < num_steps; ++s) {
    if (plan->steps[s].scratch_bytes == 0) continue;
    requests.push_back({plan->steps[s].scratch_bytes, s, s});
    owner.push_back(-(s + 1));
  }
  MemoryPlan mem = AssignOffsets(requests);
  plan->arena_bytes = mem.arena_bytes;
  for (size_t r = 0; r < requests.size(); ++r) {
    if (owner[r] >= 0) {
      plan->values[owner[r]].offset = mem.offsets[r];
    } else {
      plan->steps[-owner[r] - 1].scratch_offset = mem.offsets[r];
    }
  }
  for (size_t v = 0; v < nv; ++v) {
    const PlanValue& pv = plan->values[v];
    if (pv.kind == PlanValue::Kind::kArena && pv.last_step < num_steps) {
      plan->steps[pv.last_step].frees.push_back(static_cast<int>(v));
    }
  }
  return plan;
}

std::string Plan::ToString(const Model& model) const {
  std::string s = "plan: inputs";
  for (const Shape& sh : input_shapes) s += " " + sh.ToString();
  s += "; " + std::to_string(steps.size()) + " steps; " + std::to_string(plan_time_nodes) +
       " nodes evaluated at plan time; " + std::to_string(aliased_nodes) + " nodes aliased; arena " + std::to_string(arena_bytes) + " bytes\n";
  auto value_str = [&](int v) {
    if (v < 0) return std::string("-");
    const PlanValue& pv = values[v];
    std::string r = model.values[v].name + ":" + std::string(DTypeName(pv.dtype)) + pv.shape.ToString();
    switch (pv.kind) {
      case PlanValue::Kind::kArena: r += "@" + std::to_string(offset_of(v)); break;
      case PlanValue::Kind::kInput: r += "(input)"; break;
      case PlanValue::Kind::kConstant: r += "(const)"; break;
      case PlanValue::Kind::kAlias: r += "=" + model.values[pv.alias_of].name; break;
      case PlanValue::Kind::kUnused: r += "(?)"; break;
    }
    return r;
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const PlanStep& st = steps[i];
    const Node& n = model.nodes[st.node];
    s += "  " + std::to_string(i) + ": " + StepLabel(n);
    s += " '" + n.name + "' (";
    for (size_t k = 0; k < st.inputs.size(); ++k) s += (k ? ", " : "") + value_str(st.inputs[k]);
    s += ") -> (";
    for (size_t k = 0; k < st.outputs.size(); ++k) s += (k ? ", " : "") + value_str(st.outputs[k]);
    s += ")";
    if (st.scratch_bytes) s += " scratch " + std::to_string(st.scratch_bytes) + "@" + std::to_string(st.scratch_offset);
    if (!st.frees.empty()) {
      s += " frees";
      for (int v : st.frees) s += " " + model.values[v].name;
    }
    s += "\n";
  }
  return s;
}

}  // namespace reco::engine
