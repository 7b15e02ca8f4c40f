// BuildModel: protobuf graph -> resolved, topologically ordered, folded and fused engine graph.
#include "engine/model.h"

#include <algorithm>
#include <limits>
#include <set>

#include "core/logging.h"
#include "engine/eval.h"
#include "engine/fuse_conv_pool.h"
#include "engine/fuse_epilogue.h"
#include "engine/kernels/conv_pool.h"
#include "engine/tensor_proto.h"

namespace reco::engine {
namespace {

std::string NodeLabel(const onnx::NodeProto& n, int index) {
  return n.name().empty() ? n.op_type() + "#" + std::to_string(index) : n.name();
}

std::string DescribeNode(const onnx::NodeProto& n, int index, int opset) {
  std::string domain = n.domain().empty() ? "ai.onnx" : n.domain();
  return "node '" + NodeLabel(n, index) + "' (op " + n.op_type() + ", domain " + domain + ", opset " +
         std::to_string(opset) + ")";
}

StatusOr<TensorInfo> InfoFromValueInfo(const onnx::ValueInfoProto& vi, std::string_view what) {
  TensorInfo info;
  info.name = vi.name();
  if (!vi.type().has_tensor_type()) {
    return UnimplementedError(std::string(what) + " '" + vi.name() + "' is not a tensor (sequence/map/optional)");
  }
  const auto& tt = vi.type().tensor_type();
  info.dtype = DTypeFromOnnx(tt.elem_type());
  if (info.dtype == DType::kUndefined) {
    return UnimplementedError(std::string(what) + " '" + vi.name() + "' has unsupported element type " +
                              std::to_string(tt.elem_type()));
  }
  info.has_shape = tt.has_shape();
  for (const auto& d : tt.shape().dim()) {
    info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    info.dim_params.push_back(d.has_dim_param() ? d.dim_param() : "");
  }
  return info;
}

bool IsActivation(const std::string& op) {
  return op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "LeakyRelu" || op == "Clip";
}

}  // namespace

std::string StepLabel(const Node& node) {
  std::string s = node.proto->op_type();
  if (node.fused_bias) s += "+Bias";
  if (node.fused_activation.kind != Activation::Kind::kNone) s += "+" + std::string(ActivationName(node.fused_activation.kind));
  if (node.epilogue) s += "+[" + node.epilogue->label + "]";
  for (const auto& a : node.proto->attribute()) if (a.name() == kFusedMaxPoolAttr) s += "+MaxPool";
  return s;
}

const TensorView* Model::AddConstant(Tensor t) {
  constants.push_back(std::move(t));
  constant_views.push_back(constants.back().view());
  return &constant_views.back();
}

namespace {

class ModelBuilder {
 public:
  ModelBuilder(Model* m, const SessionOptions& options, const KernelRegistry& registry)
      : m_(m), options_(options), registry_(registry) {}

  Status Build() {
    RETURN_IF_ERROR(ReadHeader());
    RETURN_IF_ERROR(DefineValues());
    RETURN_IF_ERROR(TopoSort());
    RETURN_IF_ERROR(CreateKernelsAndFold());
    if (options_.fusion) RETURN_IF_ERROR(Fuse());
    if (options_.fusion) RETURN_IF_ERROR(FuseConvMaxPool(m_, [this](Node* n) { return RemakeKernel(n); }));
    FindValueKeyedInputs();
    return Status::Ok();
  }

  // Walks back from every plan-time input slot to the graph inputs it depends on (stopping at constants and at
  // Shape/Size, which need only shapes). Integer/bool graph inputs found become part of the plan key.
  void FindValueKeyedInputs() {
    std::vector<int> producer(m_->values.size(), -1);
    for (size_t k = 0; k < m_->nodes.size(); ++k) {
      for (int v : m_->nodes[k].outputs) if (v >= 0) producer[v] = static_cast<int>(k);
    }
    std::vector<bool> seen(m_->values.size(), false);
    std::vector<int> stack;
    for (const Node& n : m_->nodes) {
      for (size_t i = 0; i < n.inputs.size() && i < 24; ++i) {
        if (n.inputs[i] >= 0 && (n.def_flags & KernelDef::PlanTimeInput(static_cast<int>(i)))) stack.push_back(n.inputs[i]);
      }
    }
    std::set<int> keyed;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      if (seen[v]) continue;
      seen[v] = true;
      const Value& val = m_->values[v];
      if (val.constant) continue;
      if (val.graph_input >= 0) {
        const DType t = m_->inputs[val.graph_input].dtype;
        const TensorInfo& info = m_->inputs[val.graph_input];
        const bool scalar = info.has_shape && info.shape.empty();  // e.g. Range's float start/limit/delta
        if (t == DType::kInt64 || t == DType::kInt32 || t == DType::kBool || scalar) keyed.insert(val.graph_input);
        continue;
      }
      const int p = producer[v];
      if (p < 0) continue;
      const std::string& op = m_->nodes[p].proto->op_type();
      if (op == "Shape" || op == "Size") continue;
      for (int in : m_->nodes[p].inputs) if (in >= 0) stack.push_back(in);
    }
    m_->value_keyed_inputs.assign(keyed.begin(), keyed.end());
  }

 private:
  Status ReadHeader() {
    for (const auto& oi : m_->proto.opset_import()) m_->opsets[std::string(CanonicalDomain(oi.domain()))] = oi.version();
    auto it = m_->opsets.find("");
    if (it == m_->opsets.end()) return InvalidArgumentError("model imports no default-domain (ai.onnx) opset");
    m_->default_opset = static_cast<int>(it->second);
    for (const auto& p : m_->proto.metadata_props()) m_->metadata[p.key()] = p.value();
    return Status::Ok();
  }

  StatusOr<int> Define(const std::string& name, std::string_view what) {
    auto [it, inserted] = m_->value_ids.emplace(name, static_cast<int>(m_->values.size()));
    if (!inserted) return InvalidArgumentError(std::string(what) + " '" + name + "' is defined more than once");
    m_->values.push_back(Value{name});
    return it->second;
  }

  Status DefineValues() {
    const auto& g = m_->proto.graph();
    if (g.sparse_initializer_size() > 0) return UnimplementedError("sparse initializers are not supported");
    std::set<std::string> init_names;
    for (int i = 0; i < g.initializer_size(); ++i) {
      const onnx::TensorProto& init = g.initializer(i);
      StatusOr<Tensor> t = TensorFromProto(init, m_->model_dir);
      if (!t.ok()) return t.status().WithContext("initializer '" + init.name() + "'");
      ASSIGN_OR_RETURN(int id, Define(init.name(), "initializer"));
      m_->values[id].constant = m_->AddConstant(std::move(t).value());
      init_names.insert(init.name());
      // The weights now live in the Tensor; drop the protobuf copy so a model is held in memory once.
      onnx::TensorProto* p = m_->proto.mutable_graph()->mutable_initializer(i);
      p->clear_raw_data();
      p->clear_float_data();
      p->clear_int64_data();
      p->clear_int32_data();
      p->clear_double_data();
    }
    for (const auto& in : g.input()) {
      if (init_names.count(in.name())) continue;  // IR < 4 style: an initializer listed as input is a constant
      ASSIGN_OR_RETURN(TensorInfo info, InfoFromValueInfo(in, "graph input"));
      if (info.shape.size() > static_cast<size_t>(Shape::kMaxRank)) {
        return UnimplementedError("graph input '" + in.name() + "' has rank above " + std::to_string(Shape::kMaxRank));
      }
      ASSIGN_OR_RETURN(int id, Define(in.name(), "graph input"));
      m_->values[id].graph_input = static_cast<int>(m_->inputs.size());
      m_->input_values.push_back(id);
      m_->inputs.push_back(std::move(info));
    }
    for (int j = 0; j < g.node_size(); ++j) {
      for (const auto& out : g.node(j).output()) {
        if (out.empty()) continue;
        StatusOr<int> id = Define(out, "tensor");
        if (!id.ok()) return id.status().WithContext(DescribeNode(g.node(j), j, 0));
        producer_.resize(m_->values.size(), -1);
        producer_[*id] = j;
      }
    }
    producer_.resize(m_->values.size(), -1);
    node_inputs_.resize(g.node_size());
    for (int j = 0; j < g.node_size(); ++j) {
      const auto& n = g.node(j);
      for (const auto& in : n.input()) {
        if (in.empty()) {
          node_inputs_[j].push_back(-1);
          continue;
        }
        auto it = m_->value_ids.find(in);
        if (it == m_->value_ids.end()) {
          return NotFoundError("node '" + NodeLabel(n, j) + "' (" + n.op_type() + ") reads '" + in +
                               "', which is no graph input, initializer or node output (missing initializer?)");
        }
        node_inputs_[j].push_back(it->second);
      }
    }
    for (const auto& out : g.output()) {
      auto it = m_->value_ids.find(out.name());
      if (it == m_->value_ids.end()) return NotFoundError("graph output '" + out.name() + "' is never produced");
      ASSIGN_OR_RETURN(TensorInfo info, InfoFromValueInfo(out, "graph output"));
      m_->output_values.push_back(it->second);
      m_->outputs.push_back(std::move(info));
    }
    return Status::Ok();
  }

  Status TopoSort() {
    const auto& g = m_->proto.graph();
    const int n = g.node_size();
    std::vector<int> pending(n, 0);
    std::vector<std::vector<int>> consumers(n);
    for (int j = 0; j < n; ++j) {
      for (int v : node_inputs_[j]) {
        if (v >= 0 && producer_[v] >= 0) {
          ++pending[j];
          consumers[producer_[v]].push_back(j);
        }
      }
    }
    std::vector<int> ready;
    for (int j = n - 1; j >= 0; --j) {
      if (pending[j] == 0) ready.push_back(j);
    }
    while (!ready.empty()) {
      int j = ready.back();
      ready.pop_back();
      order_.push_back(j);
      // Keep the model's order among ready nodes (stable, and the printed plan reads like the file).
      std::vector<int> now_ready;
      for (int c : consumers[j]) {
        if (--pending[c] == 0) now_ready.push_back(c);
      }
      std::sort(now_ready.rbegin(), now_ready.rend());
      ready.insert(ready.end(), now_ready.begin(), now_ready.end());
      std::sort(ready.rbegin(), ready.rend());
    }
    if (static_cast<int>(order_.size()) != n) {
      for (int j = 0; j < n; ++j) {
        if (pending[j] > 0) {
          return InvalidArgumentError("graph has a cycle through node '" + NodeLabel(g.node(j), j) + "' (" +
                                      g.node(j).op_type() + ")");
        }
      }
    }
    return Status::Ok();
  }

  Status MakeKernel(Node* node, const KernelDef& def) {
    std::vector<const TensorView*> consts;
    for (int v : node->inputs) consts.push_back(v >= 0 ? m_->values[v].constant : nullptr);
    KernelInfo info(*node->proto, node->opset, std::move(consts), node->fused_activation, node->fused_bias,
                    node->epilogue);
    info.set_display_name(node->name);
    StatusOr<std::unique_ptr<OpKernel>> k = def.factory(info);
    if (!k.ok()) return k.status();
    node->kernel = std::move(k).value();
    return Status::Ok();
  }

  // Rebuilds a node's kernel after a pass changed its proto (the KernelDef is looked up again: defs_ is indexed
  // by node position, which Fuse() compacts).
  Status RemakeKernel(Node* node) {
    const KernelDef* def = registry_.Find(CanonicalDomain(node->proto->domain()), node->proto->op_type(), node->opset);
    if (def == nullptr) return InternalError("no kernel for fused node '" + node->name + "'");
    return MakeKernel(node, *def);
  }

  Status CreateKernelsAndFold() {
    const auto& g = m_->proto.graph();
    for (int j : order_) {
      const auto& p = g.node(j);
      std::string domain(CanonicalDomain(p.domain()));
      auto it = m_->opsets.find(domain);
      if (it == m_->opsets.end()) {
        return UnimplementedError(DescribeNode(p, j, 0) + ": domain '" + p.domain() + "' is not imported by the model");
      }
      Node node;
      node.proto = &p;
      node.name = NodeLabel(p, j);
      node.opset = static_cast<int>(it->second);
      node.inputs = node_inputs_[j];
      for (const auto& out : p.output()) node.outputs.push_back(out.empty() ? -1 : m_->value_ids.at(out));
      const KernelDef* def = registry_.Find(domain, p.op_type(), node.opset);
      if (def == nullptr) {
        std::string why = registry_.Claims(domain, p.op_type()) ? "this opset of the op is not supported"
                                                                 : "unsupported op";
        return UnimplementedError(DescribeNode(p, j, node.opset) + ": " + why);
      }
      defs_.push_back(def);
      node.def_flags = def->flags;
      RETURN_IF_ERROR(MakeKernel(&node, *def).WithContext(DescribeNode(p, j, node.opset)));
      bool all_const = true;
      std::vector<const TensorView*> ins;
      for (int v : node.inputs) {
        if (v >= 0 && m_->values[v].constant == nullptr) all_const = false;
        ins.push_back(v >= 0 ? m_->values[v].constant : nullptr);
      }
      if (all_const && (options_.constant_folding || node.inputs.empty())) {
        StatusOr<std::vector<Tensor>> outs =
            EvaluateNode(*node.kernel, node.name, ins, static_cast<int>(node.outputs.size()), &fold_budget_bytes_);
        if (outs.status().code() == StatusCode::kResourceExhausted) {
          // Folded constants live as long as the model: past the budget the node runs per request instead.
          RECO_LOG_DEBUG("not folding {}: {}", DescribeNode(p, j, node.opset), outs.status().message());
          m_->nodes.push_back(std::move(node));
          continue;
        }
        if (!outs.ok()) return outs.status().WithContext("constant folding " + DescribeNode(p, j, node.opset));
        for (size_t o = 0; o < node.outputs.size(); ++o) {
          if (node.outputs[o] >= 0) m_->values[node.outputs[o]].constant = m_->AddConstant(std::move((*outs)[o]));
        }
        ++m_->folded_nodes;
        defs_.pop_back();
        continue;
      }
      m_->nodes.push_back(std::move(node));
    }
    return Status::Ok();
  }

  // Number of readers of each value (nodes + graph outputs).
  std::vector<int> CountUses() const {
    std::vector<int> uses(m_->values.size(), 0);
    for (const Node& n : m_->nodes) {
      for (int v : n.inputs) if (v >= 0) ++uses[v];
    }
    for (int v : m_->output_values) uses[v] += 1000;  // never fuse away a graph output
    return uses;
  }

  int ConsumerOf(int value, size_t after) const {
    for (size_t k = after + 1; k < m_->nodes.size(); ++k) {
      for (int v : m_->nodes[k].inputs) if (v == value) return static_cast<int>(k);
    }
    return -1;
  }

  // Index into m_->nodes of each value's producer (-1: graph input or constant).
  std::vector<int> Producers() const {
    std::vector<int> producer(m_->values.size(), -1);
    for (size_t j = 0; j < m_->nodes.size(); ++j) {
      for (int v : m_->nodes[j].outputs) {
        if (v >= 0) producer[v] = static_cast<int>(j);
      }
    }
    return producer;
  }

  Status Fuse() {
    std::vector<bool> removed(m_->nodes.size(), false);
    for (size_t i = 0; i < m_->nodes.size(); ++i) {
      Node& n = m_->nodes[i];
      // A node carrying an epilogue was moved here by its fusion; its chain is complete.
      if (removed[i] || n.outputs.empty() || n.outputs[0] < 0 || n.epilogue) continue;
      const uint32_t flags = defs_[i]->flags;
      if (!(flags & (KernelDef::kFusableActivation | KernelDef::kFusableBias | KernelDef::kFusableEpilogue))) continue;
      bool changed = false;
      std::vector<int> uses = CountUses();
      // MatMul(A, W) + b with W constant 2-D [K, N] and b constant 1-D [N].
      if ((flags & KernelDef::kFusableBias) && n.proto->op_type() == "MatMul" && uses[n.outputs[0]] == 1) {
        int c = ConsumerOf(n.outputs[0], i);
        const TensorView* w = n.inputs.size() == 2 && n.inputs[1] >= 0 ? m_->values[n.inputs[1]].constant : nullptr;
        if (c >= 0 && !removed[c] && m_->nodes[c].proto->op_type() == "Add" && w && w->shape.rank() == 2) {
          Node& add = m_->nodes[c];
          int other = add.inputs[0] == n.outputs[0] ? add.inputs[1] : add.inputs[0];
          const TensorView* b = other >= 0 ? m_->values[other].constant : nullptr;
          if (b && b->dtype == DType::kFloat32 && b->shape.rank() == 1 && b->shape[0] == w->shape[1] &&
              w->dtype == DType::kFloat32) {
            n.inputs.push_back(other);
            n.outputs[0] = add.outputs[0];
            n.fused_bias = true;
            removed[c] = true;
            changed = true;
            uses = CountUses();
          }
        }
      }
      if (flags & KernelDef::kFusableEpilogue) {
        const std::vector<int> producer = Producers();
        if (auto f = FindEpilogueChain(*m_, i, uses, producer, removed)) {
          n.inputs.insert(n.inputs.end(), f->side_values.begin(), f->side_values.end());
          n.outputs[0] = f->result_value;
          n.epilogue = f->program;
          for (int j : f->absorbed) removed[j] = true;
          changed = true;
          // Run the fused node where the chain's last node ran: its side inputs may be computed after the GEMM.
          const int last = f->absorbed.back();
          RETURN_IF_ERROR(MakeKernel(&n, *defs_[i]).WithContext("fusing into node '" + n.name + "'"));
          ++m_->fused_nodes;
          m_->nodes[last] = std::move(n);
          std::swap(defs_[last], defs_[i]);
          removed[last] = false;
          removed[i] = true;
          continue;
        }
      } else if ((flags & KernelDef::kFusableActivation) && uses[n.outputs[0]] == 1) {
        int c = ConsumerOf(n.outputs[0], i);
        if (c >= 0 && !removed[c] && IsActivation(m_->nodes[c].proto->op_type())) {
          Node& act_node = m_->nodes[c];
          Activation act;
          bool ok = true;
          const std::string& op = act_node.proto->op_type();
          if (op == "Relu") act.kind = Activation::Kind::kRelu;
          if (op == "Sigmoid") act.kind = Activation::Kind::kSigmoid;
          if (op == "Tanh") act.kind = Activation::Kind::kTanh;
          if (op == "LeakyRelu") {
            act.kind = Activation::Kind::kLeakyRelu;
            for (const auto& a : act_node.proto->attribute()) if (a.name() == "alpha") act.alpha = a.f();
          }
          if (op == "Clip") {
            act.kind = Activation::Kind::kClip;
            act.min = -std::numeric_limits<float>::infinity();
            act.max = std::numeric_limits<float>::infinity();
            if (act_node.opset < 11) {
              for (const auto& a : act_node.proto->attribute()) {
                if (a.name() == "min") act.min = a.f();
                if (a.name() == "max") act.max = a.f();
              }
            } else {
              for (size_t k = 1; k < act_node.inputs.size() && k < 3; ++k) {
                int v = act_node.inputs[k];
                if (v < 0) continue;
                const TensorView* t = m_->values[v].constant;
                if (!t || t->dtype != DType::kFloat32 || t->num_elements() != 1) { ok = false; break; }
                (k == 1 ? act.min : act.max) = *t->data_as<float>();
              }
            }
          }
          if (ok) {
            n.fused_activation = act;
            n.outputs[0] = act_node.outputs[0];
            removed[c] = true;
            changed = true;
          }
        }
      }
      if (changed) {
        RETURN_IF_ERROR(MakeKernel(&n, *defs_[i]).WithContext("fusing into node '" + n.name + "'"));
        ++m_->fused_nodes;
      }
    }
    std::vector<Node> kept;
    for (size_t i = 0; i < m_->nodes.size(); ++i) {
      if (!removed[i]) kept.push_back(std::move(m_->nodes[i]));
    }
    m_->nodes = std::move(kept);
    return Status::Ok();
  }

  Model* m_;
  const SessionOptions& options_;
  const KernelRegistry& registry_;
  std::vector<int> producer_;
  std::vector<std::vector<int>> node_inputs_;
  std::vector<int> order_;
  std::vector<const KernelDef*> defs_;  // parallel to m_->nodes
  // What folded constants may add to the model in total (a 236-byte model once folded a chain of 1 GiB
  // ConstantOfShape results into memory until the allocator aborted).
  int64_t fold_budget_bytes_ = int64_t{1} << 30;
};

}  // namespace

StatusOr<std::unique_ptr<Model>> BuildModel(onnx::ModelProto proto, const std::string& model_dir,
                                            const SessionOptions& options, const KernelRegistry& registry) {
  auto m = std::make_unique<Model>();
  m->proto = std::move(proto);
  m->model_dir = model_dir;
  ModelBuilder builder(m.get(), options, registry);
  RETURN_IF_ERROR(builder.Build());
  return m;
}

}  // namespace reco::engine
