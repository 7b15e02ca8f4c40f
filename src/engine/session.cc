// Session: load + validate, plan cache, and the allocation-free Run loop.
#include "engine/session.h"

#include <unistd.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <filesystem>
#include <atomic>
#include <chrono>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <sstream>

#include "engine/kernels/registry.h"
#include "engine/model.h"
#include "engine/planner.h"

namespace reco::engine {

// Plans keyed by input shapes. Lookups take a shared lock and compare shapes in place (no allocation).
class PlanCache {
 public:
  explicit PlanCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  std::shared_ptr<const Plan> Find(std::span<const TensorView* const> inputs) const {
    std::shared_lock lock(mu_);
    for (const auto& p : plans_) {
      if (Matches(*p, inputs)) return p;
    }
    return nullptr;
  }
  std::shared_ptr<const Plan> Insert(std::shared_ptr<const Plan> plan) {
    std::unique_lock lock(mu_);
    std::vector<const TensorView*> key;
    std::vector<TensorView> views;
    for (const Shape& s : plan->input_shapes) views.emplace_back(DType::kUndefined, s, static_cast<void*>(nullptr));
    for (const auto& [i, t] : plan->keyed_values) views[i].data = const_cast<void*>(t->raw_data());
    for (const TensorView& v : views) key.push_back(&v);
    for (const auto& p : plans_) {
      if (Matches(*p, key)) return p;  // another thread won the race
    }
    if (plans_.size() >= capacity_) plans_.erase(plans_.begin());
    plans_.push_back(plan);
    return plan;
  }
  size_t size() const {
    std::shared_lock lock(mu_);
    return plans_.size();
  }
  static bool Matches(const Plan& p, std::span<const TensorView* const> inputs) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (p.input_shapes[i] != inputs[i]->shape) return false;
    }
    for (const auto& [i, t] : p.keyed_values) {
      if (t->byte_size() && std::memcmp(t->raw_data(), inputs[i]->data, t->byte_size()) != 0) return false;
    }
    return true;
  }

 private:
  const size_t capacity_;
  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<const Plan>> plans_;  // oldest first
};

namespace {

// Attributes that ONNX shape inference divides by (or loops with) must be positive; see the call site.
Status CheckDivisorAttributes(const onnx::GraphProto& graph) {
  static const std::set<std::string, std::less<>> kWindowed = {"Conv", "ConvTranspose", "ConvInteger", "QLinearConv",
                                                              "MaxPool", "AveragePool", "LpPool", "MaxUnpool",
                                                              "MaxRoiPool", "Col2Im"};
  for (const onnx::NodeProto& node : graph.node()) {
    for (const onnx::AttributeProto& a : node.attribute()) {
      if (a.type() == onnx::AttributeProto::GRAPH) RETURN_IF_ERROR(CheckDivisorAttributes(a.g()));
      for (const onnx::GraphProto& g : a.graphs()) RETURN_IF_ERROR(CheckDivisorAttributes(g));
      const bool windowed = kWindowed.count(node.op_type()) > 0 &&
                            (a.name() == "strides" || a.name() == "dilations" || a.name() == "kernel_shape");
      const bool scalar = (a.name() == "group" && kWindowed.count(node.op_type()) > 0) ||
                          (a.name() == "blocksize" && (node.op_type() == "DepthToSpace" || node.op_type() == "SpaceToDepth"));
      bool bad = false;
      if (windowed) {
        for (int64_t v : a.ints()) bad = bad || v <= 0;
      }
      if (scalar) bad = a.i() <= 0;
      if (bad) {
        return InvalidArgumentError("node '" + node.name() + "' (" + node.op_type() + "): attribute '" + a.name() +
                                    "' must be positive");
      }
    }
  }
  return Status::Ok();
}

uint64_t NextSessionId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}
}  // namespace

struct RunContext::Impl {
  uint64_t session_id = 0;  // 0: none yet
  std::shared_ptr<const Plan> plan;
  void* arena = nullptr;
  size_t arena_bytes = 0;
  std::vector<TensorView> views;
  std::vector<const TensorView*> bound;       // per model input
  std::vector<const TensorView*> step_inputs;
  std::vector<TensorView*> step_outputs;
  // Profiling (off by default): wall time per step of `profiled_plan`, summed over `profiled_runs` runs.
  bool profile = false;
  std::shared_ptr<const Plan> profiled_plan;
  std::vector<double> step_ns;
  int64_t profiled_runs = 0;

  ~Impl() { AlignedFree(arena); }
};

RunContext::RunContext() : impl_(std::make_unique<Impl>()) {}
RunContext::~RunContext() = default;

void RunContext::EnableProfiling(bool on) {
  impl_->profile = on;
  impl_->profiled_plan.reset();
  impl_->step_ns.clear();
  impl_->profiled_runs = 0;
}

const TensorView* RunContext::output(std::string_view name) const {
  for (const NamedView& o : outputs_) {
    if (o.name == name) return &o.view;
  }
  return nullptr;
}

Session::Session(std::unique_ptr<Model> model, const SessionOptions& options)
    : model_(std::move(model)), id_(NextSessionId()), options_(options),
      plans_(std::make_unique<PlanCache>(options.max_cached_plans)) {}
Session::~Session() = default;

StatusOr<std::unique_ptr<Session>> Session::Load(const std::string& path, const SessionOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgumentError("'" + path + "' is a directory, not a model file (a version folder holds model.onnx)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open model file '" + path + "'");
  std::stringstream buf;
  buf << in.rdbuf();
  std::string dir = std::filesystem::absolute(std::filesystem::path(path)).parent_path().string();
  StatusOr<std::unique_ptr<Session>> s = LoadFromBytes(buf.str(), options, dir);
  if (!s.ok()) return s.status().WithContext("model '" + path + "'");
  return s;
}

StatusOr<std::unique_ptr<Session>> Session::LoadFromBytes(std::string_view bytes, const SessionOptions& options,
                                                          const std::string& model_dir) {
  if (options.intra_op_threads < 1) return InvalidArgumentError("intra_op_threads must be >= 1");
  onnx::ModelProto proto;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return DataLossError("not a valid ONNX model (truncated or corrupt protobuf, " + std::to_string(bytes.size()) +
                         " bytes)");
  }
  if (!proto.has_graph()) return DataLossError("not a valid ONNX model: no graph (truncated or not ONNX)");
  if (options.validate_with_onnx_checker) {
    // The checker resolves external-data paths against the process's cwd; the engine checks them itself against
    // the model folder (external_data.cc). So hide them from the checker, in place and without copying weights.
    std::vector<std::pair<int, google::protobuf::RepeatedPtrField<onnx::StringStringEntryProto>>> hidden;
    auto* inits = proto.mutable_graph()->mutable_initializer();
    for (int i = 0; i < inits->size(); ++i) {
      onnx::TensorProto* t = inits->Mutable(i);
      if (t->data_location() != onnx::TensorProto::EXTERNAL) continue;
      hidden.emplace_back(i, google::protobuf::RepeatedPtrField<onnx::StringStringEntryProto>());
      hidden.back().second.Swap(t->mutable_external_data());
      t->set_data_location(onnx::TensorProto::DEFAULT);
      t->set_raw_data(std::string(1, '\0'));  // a placeholder: the checker wants one value field
    }
    std::string checker_error;
    try {
      onnx::checker::check_model(proto);
    } catch (const std::exception& e) {
      checker_error = e.what();
    }
    for (auto& [i, kv] : hidden) {
      onnx::TensorProto* t = inits->Mutable(i);
      t->mutable_external_data()->Swap(&kv);
      t->set_data_location(onnx::TensorProto::EXTERNAL);
      t->clear_raw_data();
    }
    if (!checker_error.empty()) return InvalidArgumentError("onnx checker rejected the model: " + checker_error);
    // libonnx's shape inference divides by some attributes without checking them: strides = 0 on a Conv is a
    // SIGFPE inside the library, which no catch can turn into an error. Those attributes are checked first.
    RETURN_IF_ERROR(CheckDivisorAttributes(proto.graph()));
    try {
      onnx::shape_inference::InferShapes(proto);
    } catch (const std::exception& e) {
      return InvalidArgumentError(std::string("onnx shape inference failed: ") + e.what());
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                   BuildModel(std::move(proto), model_dir, options, KernelRegistry::Default()));
  return std::unique_ptr<Session>(new Session(std::move(model), options));
}

const std::vector<TensorInfo>& Session::inputs() const { return model_->inputs; }
const std::vector<TensorInfo>& Session::outputs() const { return model_->outputs; }
int Session::opset() const { return model_->default_opset; }
const std::string& Session::producer_name() const { return model_->proto.producer_name(); }
const std::map<std::string, std::string>& Session::metadata() const { return model_->metadata; }
size_t Session::num_cached_plans() const { return plans_->size(); }

StatusOr<std::shared_ptr<const Plan>> Session::GetPlan(std::span<const TensorView* const> inputs) const {
  if (std::shared_ptr<const Plan> p = plans_->Find(inputs)) return p;
  ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, BuildPlan(*model_, inputs));
  return plans_->Insert(std::shared_ptr<const Plan>(std::move(plan)));
}

StatusOr<std::string> Session::DescribePlan(std::span<const Shape> input_shapes) const {
  if (input_shapes.size() != model_->inputs.size()) {
    return InvalidArgumentError("expected " + std::to_string(model_->inputs.size()) + " input shapes");
  }
  std::vector<TensorView> views;
  for (size_t i = 0; i < input_shapes.size(); ++i) {
    views.emplace_back(model_->inputs[i].dtype, input_shapes[i], static_cast<void*>(nullptr));
  }
  std::vector<const TensorView*> ptrs;
  for (const auto& v : views) ptrs.push_back(&v);
  ASSIGN_OR_RETURN(std::shared_ptr<const Plan> plan, GetPlan(ptrs));
  return plan->ToString(*model_);
}

namespace {

// Checks one bound input against the model's declaration. Builds messages only on failure.
Status CheckInput(const TensorInfo& info, const TensorView& v) {
  if (v.dtype != info.dtype) {
    return InvalidArgumentError("input '" + info.name + "': expected dtype " + std::string(DTypeName(info.dtype)) +
                                ", got " + std::string(DTypeName(v.dtype)));
  }
  if (v.shape.CheckedNumElements() < 0) {
    return InvalidArgumentError("input '" + info.name + "': shape " + v.shape.ToString() + " is negative or overflows");
  }
  if (v.data == nullptr && v.num_elements() > 0) return InvalidArgumentError("input '" + info.name + "': null data");
  if (!info.has_shape) return Status::Ok();
  if (v.shape.rank() != static_cast<int>(info.shape.size())) {
    return InvalidArgumentError("input '" + info.name + "': expected rank " + std::to_string(info.shape.size()) +
                                ", got rank " + std::to_string(v.shape.rank()) + " (shape " + v.shape.ToString() +
                                ")");
  }
  for (int d = 0; d < v.shape.rank(); ++d) {
    if (v.shape[d] < 0) return InvalidArgumentError("input '" + info.name + "': negative dimension");
    if (info.shape[d] >= 0 && info.shape[d] != v.shape[d]) {
      return InvalidArgumentError("input '" + info.name + "': dimension " + std::to_string(d) + " is " +
                                  std::to_string(v.shape[d]) + " but the model fixes it to " +
                                  std::to_string(info.shape[d]));
    }
  }
  return Status::Ok();
}

}  // namespace

Status Session::Run(std::span<const NamedView> inputs, RunContext* ctx) const {
  RunContext::Impl& rc = *ctx->impl_;
  const Model& m = *model_;
  const size_t n_in = m.inputs.size();
  if (rc.session_id != id_) {
    rc.session_id = id_;
    rc.plan.reset();
    rc.bound.assign(n_in, nullptr);
    ctx->outputs_.clear();
    ctx->outputs_.reserve(m.outputs.size());
    for (const TensorInfo& o : m.outputs) ctx->outputs_.push_back(NamedView{o.name, TensorView()});
  }
  // A failed Run must not leave views of a half-written arena behind.
  for (NamedView& o : ctx->outputs_) o.view = TensorView();
  // Bind by name.
  std::fill(rc.bound.begin(), rc.bound.end(), nullptr);
  for (const NamedView& nv : inputs) {
    size_t i = 0;
    while (i < n_in && m.inputs[i].name != nv.name) ++i;
    if (i == n_in) {
      std::string known;
      for (const auto& info : m.inputs) known += (known.empty() ? "" : ", ") + info.name;
      return InvalidArgumentError("unknown input '" + std::string(nv.name) + "' (model inputs: " + known + ")");
    }
    if (rc.bound[i] != nullptr) return InvalidArgumentError("input '" + std::string(nv.name) + "' given twice");
    RETURN_IF_ERROR(CheckInput(m.inputs[i], nv.view));
    rc.bound[i] = &nv.view;
  }
  for (size_t i = 0; i < n_in; ++i) {
    if (rc.bound[i] == nullptr) return InvalidArgumentError("missing input '" + m.inputs[i].name + "'");
  }
  // Plan: reuse the context's last plan if the signature matches, else ask the cache.
  if (!rc.plan || !PlanCache::Matches(*rc.plan, rc.bound)) {
    ASSIGN_OR_RETURN(rc.plan, GetPlan(rc.bound));
  }
  const Plan& plan = *rc.plan;
  if (rc.arena_bytes < plan.arena_bytes) {
    // Over the machine's RAM the allocation might still succeed (overcommit) and the first touch would bring in
    // the OOM killer instead of an error.
    static const size_t physical_bytes =
        static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
    if (plan.arena_bytes > physical_bytes) {
      return ResourceExhaustedError("running the model at these input shapes needs " +
                                    std::to_string(plan.arena_bytes) + " bytes of working memory, more than this " +
                                    "machine's " + std::to_string(physical_bytes) + " bytes of RAM");
    }
    AlignedFree(rc.arena);
    rc.arena = TryAlignedAlloc(plan.arena_bytes);  // sized by the request's shapes: may not fit in memory
    rc.arena_bytes = rc.arena != nullptr ? plan.arena_bytes : 0;
    if (rc.arena == nullptr) {
      return ResourceExhaustedError("running the model at these input shapes needs " +
                                    std::to_string(plan.arena_bytes) + " bytes of working memory, which is not available");
    }
  }
  if (rc.views.size() < plan.values.size()) rc.views.resize(plan.values.size());
  if (rc.step_inputs.size() < plan.max_step_inputs) rc.step_inputs.resize(plan.max_step_inputs);
  if (rc.step_outputs.size() < plan.max_step_outputs) rc.step_outputs.resize(plan.max_step_outputs);
  auto* arena = static_cast<std::byte*>(rc.arena);
  for (size_t v = 0; v < plan.values.size(); ++v) {
    const PlanValue& pv = plan.values[v];
    TensorView& view = rc.views[v];
    switch (pv.kind) {
      case PlanValue::Kind::kUnused: break;
      case PlanValue::Kind::kInput: view = *rc.bound[pv.input_index]; break;
      case PlanValue::Kind::kConstant: view = TensorView(pv.dtype, pv.shape, pv.const_data); break;
      case PlanValue::Kind::kArena: view = TensorView(pv.dtype, pv.shape, static_cast<void*>(arena + pv.offset)); break;
      case PlanValue::Kind::kAlias: break;  // below, once every root is bound
    }
  }
  for (int v : plan.alias_values) {
    const PlanValue& pv = plan.values[v];
    rc.views[v] = TensorView(pv.dtype, pv.shape, rc.views[pv.alias_of].data);
  }
  if (rc.profile && rc.profiled_plan != rc.plan) {
    rc.profiled_plan = rc.plan;
    rc.step_ns.assign(plan.steps.size(), 0.0);
    rc.profiled_runs = 0;
  }
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const PlanStep& step = plan.steps[s];
    for (size_t k = 0; k < step.inputs.size(); ++k) {
      rc.step_inputs[k] = step.inputs[k] >= 0 ? &rc.views[step.inputs[k]] : nullptr;
    }
    for (size_t k = 0; k < step.outputs.size(); ++k) {
      rc.step_outputs[k] = step.outputs[k] >= 0 ? &rc.views[step.outputs[k]] : nullptr;
    }
    KernelContext kc(rc.step_inputs.data(), static_cast<int>(step.inputs.size()), rc.step_outputs.data(),
                     static_cast<int>(step.outputs.size()), step.scratch_bytes ? arena + step.scratch_offset : nullptr,
                     step.scratch_bytes, step.state.get(), options_.intra_op_threads);
    if (!rc.profile) {
      RETURN_IF_ERROR(step.kernel->Compute(kc));
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(step.kernel->Compute(kc));
    rc.step_ns[s] += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  }
  if (rc.profile) ++rc.profiled_runs;
  for (size_t o = 0; o < m.output_values.size(); ++o) ctx->outputs_[o].view = rc.views[m.output_values[o]];
  return Status::Ok();
}

StatusOr<std::vector<NamedTensor>> Session::Run(std::span<const NamedView> inputs) const {
  RunContext ctx;
  RETURN_IF_ERROR(Run(inputs, &ctx));
  std::vector<NamedTensor> out;
  for (const NamedView& o : ctx.outputs()) out.push_back(NamedTensor{std::string(o.name), Tensor::CopyOf(o.view)});
  return out;
}

StatusOr<std::string> Session::ProfileReport(const RunContext& ctx) const {
  const RunContext::Impl& rc = *ctx.impl_;
  if (!rc.profile || !rc.profiled_plan || rc.profiled_runs == 0) {
    return FailedPreconditionError("no profile: call EnableProfiling(true) on the context and Run it first");
  }
  const Plan& plan = *rc.profiled_plan;
  const double runs = static_cast<double>(rc.profiled_runs);
  double total = 0;
  for (double ns : rc.step_ns) total += ns;
  // Per op type (fused steps are labelled by their kernel's description, e.g. "MatMul+Dice").
  std::map<std::string, std::pair<double, int>> by_op;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Node& node = model_->nodes[plan.steps[s].node];
    const std::string op = StepLabel(node);
    by_op[op].first += rc.step_ns[s];
    by_op[op].second += 1;
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> rows(by_op.begin(), by_op.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof(line), "%-28s %6s %12s %7s\n", "op", "steps", "us/run", "share");
  out << line;
  for (const auto& [op, v] : rows) {
    std::snprintf(line, sizeof(line), "%-28s %6d %12.2f %6.1f%%\n", op.c_str(), v.second, v.first / runs / 1e3,
                  total > 0 ? 100.0 * v.first / total : 0.0);
    out << line;
  }
  std::snprintf(line, sizeof(line), "%-28s %6zu %12.2f  (%lld runs)\n", "total", plan.steps.size(),
                total / runs / 1e3, static_cast<long long>(rc.profiled_runs));
  out << line;
  return out.str();
}

}  // namespace reco::engine
