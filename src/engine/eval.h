// Plan-time helpers shared by the loader (constant folding) and the planner (shape subgraphs): an
// InferenceContext over plain arrays, and EvaluateNode(), which runs one kernel on known inputs into fresh
// Tensors. Both allocate; neither is on the Run path.
// Thread-safety: a NodeInference is single-threaded; EvaluateNode is reentrant.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/kernel.h"
#include "engine/tensor.h"

namespace reco::engine {

class NodeInference final : public InferenceContext {
 public:
  // metas[i]: dtype+shape (null for omitted); values[i]: known value or null. Not owned; must outlive this.
  NodeInference(const std::string& node_name, std::vector<const TensorView*> metas,
                std::vector<const TensorView*> values, int num_outputs);

  int num_inputs() const override { return static_cast<int>(metas_.size()); }
  int num_outputs() const override { return static_cast<int>(out_dtypes_.size()); }
  const TensorView* input_meta(int i) const override { return i < num_inputs() ? metas_[i] : nullptr; }
  const TensorView* input_value(int i) const override { return i < num_inputs() ? values_[i] : nullptr; }
  void set_output(int i, DType dtype, const Shape& shape) override;
  void request_scratch(size_t bytes) override { scratch_bytes_ = std::max(scratch_bytes_, bytes); }
  void set_plan_state(std::shared_ptr<const void> state) override { state_ = std::move(state); }
  const std::string& node_name() const override { return node_name_; }

  // Checks that the kernel set every output (a kernel bug otherwise).
  Status CheckOutputsSet() const;
  DType out_dtype(int i) const { return out_dtypes_[i]; }
  const Shape& out_shape(int i) const { return out_shapes_[i]; }
  size_t scratch_bytes() const { return scratch_bytes_; }
  std::shared_ptr<const void> state() const { return state_; }

 private:
  std::string node_name_;
  std::vector<const TensorView*> metas_;
  std::vector<const TensorView*> values_;
  std::vector<DType> out_dtypes_;
  std::vector<Shape> out_shapes_;
  std::vector<bool> out_set_;
  Status size_error_;  // the first output whose shape overflowed or exceeded kMaxTensorBytes
  size_t scratch_bytes_ = 0;
  std::shared_ptr<const void> state_;
};

// Runs InferOutputs + Compute of `kernel` on `inputs` (null = omitted; data may be null for Shape/Size).
// `budget_bytes`: what the caller still allows its kept results to take in total (the load's folded constants,
// one plan's plan-time values); the outputs and scratch are charged to it, and exceeding it is ResourceExhausted.
StatusOr<std::vector<Tensor>> EvaluateNode(const OpKernel& kernel, const std::string& node_name,
                                           const std::vector<const TensorView*>& inputs, int num_outputs,
                                           int64_t* budget_bytes);

}  // namespace reco::engine
