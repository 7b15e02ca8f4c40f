// Session: a loaded, validated ONNX model ready to run.
//
// Contract:
//  - Load()/LoadFromBytes() parse, validate (onnx::checker + shape inference), resolve every node to a kernel
//    (an unsupported op/domain/opset is an error naming node, op and opset), fold initializer-only subgraphs and
//    apply fusions. External data files are read only from inside the model's folder.
//  - Run() binds inputs by name, checks dtype/rank/dims against the model, finds (or builds once and caches) the
//    execution plan for the input-shape signature, and executes it.
//  - The zero-allocation path is Run(inputs, RunContext*): once a RunContext has run a given input-shape
//    signature, later runs with that signature do not touch the heap. Outputs are views into the RunContext's
//    arena (or into the session's constants), valid until the next Run on that context or its destruction.
//  - The convenience Run(inputs) returns owning copies (allocates).
// Thread-safety: a Session is immutable after Load except for its plan cache (guarded by a shared_mutex); any
// number of threads may call Run concurrently, each with its OWN RunContext. A RunContext is single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/tensor.h"

namespace reco::engine {

class Model;  // internal: graph, kernels, constants (engine/model.h)
class Plan;   // internal: one input-shape signature's schedule and memory plan (engine/planner.h)
class PlanCache;

struct SessionOptions {
  // Threads a single Run may use inside one kernel. Default 1: serving gets parallelism from concurrent requests.
  int intra_op_threads = 1;
  // Fold initializer-only subgraphs at load time.
  bool constant_folding = true;
  // Fuse Gemm/MatMul/Conv + activation and MatMul + Add where the kernels support it.
  bool fusion = true;
  // Plans kept per session (one per distinct input-shape signature); the oldest is evicted beyond this.
  size_t max_cached_plans = 64;
  // Skip onnx::checker / shape inference (only for trusted, pre-validated models; tests of the loader).
  bool validate_with_onnx_checker = true;
};

// Metadata of a graph input or output, for the server's metadata endpoints.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;            // -1 for a dynamic dimension
  std::vector<std::string> dim_params;   // symbolic name per dim ("batch_size"), "" when fixed or unnamed
  bool has_shape = true;                 // false if the model declares no shape at all (any rank accepted)
};

// Per-caller scratch: the run arena, the value table and the output views. Create one per worker thread and
// reuse it; it grows to the largest plan it has run and then stays put. Not copyable.
class RunContext {
 public:
  RunContext();
  ~RunContext();
  RunContext(const RunContext&) = delete;
  RunContext& operator=(const RunContext&) = delete;

  // Outputs of the last Run, in the model's output order: views into this context (or the session), valid until
  // the next Run; after a failed Run every view is empty (null data, rank 0, kUndefined).
  std::span<const NamedView> outputs() const { return {outputs_.data(), outputs_.size()}; }
  // The output named `name`, or nullptr.
  const TensorView* output(std::string_view name) const;
  // Per-step wall-time profiling of later Runs (off by default; costs two clock reads per step). Resets the
  // accumulated profile. Read it with Session::ProfileReport.
  void EnableProfiling(bool on);

 private:
  friend class Session;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<NamedView> outputs_;
};

class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  static StatusOr<std::unique_ptr<Session>> Load(const std::string& path, const SessionOptions& options = {});
  // `model_dir` is where external data files are looked up ("" forbids external data).
  static StatusOr<std::unique_ptr<Session>> LoadFromBytes(std::string_view bytes, const SessionOptions& options = {},
                                                          const std::string& model_dir = "");

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  // Opset imported for the default ONNX domain.
  int opset() const;
  const std::string& producer_name() const;
  const std::map<std::string, std::string>& metadata() const;  // metadata_props
  const SessionOptions& options() const { return options_; }

  // The zero-allocation path (see the file comment). Every model input must be given exactly once.
  Status Run(std::span<const NamedView> inputs, RunContext* ctx) const;
  // Convenience: fresh context, owning outputs.
  StatusOr<std::vector<NamedTensor>> Run(std::span<const NamedView> inputs) const;

  // The plan for these input shapes (in model input order), built if needed, printed (tests, `reco inspect`).
  StatusOr<std::string> DescribePlan(std::span<const Shape> input_shapes) const;
  // Time per op type, summed over the profiled Runs of `ctx` on its current plan (see RunContext::EnableProfiling).
  StatusOr<std::string> ProfileReport(const RunContext& ctx) const;
  // Number of cached plans (tests).
  size_t num_cached_plans() const;

 private:
  Session(std::unique_ptr<Model> model, const SessionOptions& options);
  StatusOr<std::shared_ptr<const Plan>> GetPlan(std::span<const TensorView* const> inputs) const;

  std::unique_ptr<Model> model_;
  // Process-unique id: a RunContext remembers which session it last ran, and a new Session may reuse a freed
  // one's address (hot reload), so the pointer alone cannot tell.
  uint64_t id_;
  SessionOptions options_;
  std::unique_ptr<PlanCache> plans_;
};

}  // namespace reco::engine
