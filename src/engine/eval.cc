#include "engine/eval.h"

#include <algorithm>

namespace reco::engine {

NodeInference::NodeInference(const std::string& node_name, std::vector<const TensorView*> metas,
                             std::vector<const TensorView*> values, int num_outputs)
    : node_name_(node_name), metas_(std::move(metas)), values_(std::move(values)),
      out_dtypes_(num_outputs, DType::kUndefined), out_shapes_(num_outputs), out_set_(num_outputs, false) {}

void NodeInference::set_output(int i, DType dtype, const Shape& shape) {
  if (i < 0 || i >= num_outputs()) return;
  // Kernels compute output shapes from input shapes and values (Expand, Tile, Range, ConstantOfShape, Reshape...):
  // a small hostile model or request can ask for an overflowing or absurd size, which must fail here, not at the
  // allocation.
  const int64_t n = shape.CheckedNumElements();
  int64_t bytes = 0;
  if (n < 0 || __builtin_mul_overflow(n, static_cast<int64_t>(DTypeSize(dtype)), &bytes) || bytes > kMaxTensorBytes) {
    if (size_error_.ok()) {
      size_error_ = InvalidArgumentError("node '" + node_name_ + "': output " + std::to_string(i) + " of shape " +
                                         shape.ToString() + " is too large");
    }
  }
  out_dtypes_[i] = dtype;
  out_shapes_[i] = shape;
  out_set_[i] = true;
}

Status NodeInference::CheckOutputsSet() const {
  if (!size_error_.ok()) return size_error_;
  for (int i = 0; i < num_outputs(); ++i) {
    if (!out_set_[i]) return InternalError("node '" + node_name_ + "': kernel did not set output " + std::to_string(i));
  }
  return Status::Ok();
}

StatusOr<std::vector<Tensor>> EvaluateNode(const OpKernel& kernel, const std::string& node_name,
                                           const std::vector<const TensorView*>& inputs, int num_outputs,
                                           int64_t* budget_bytes) {
  NodeInference inf(node_name, inputs, inputs, num_outputs);
  RETURN_IF_ERROR(kernel.InferOutputs(inf));
  RETURN_IF_ERROR(inf.CheckOutputsSet());
  // Evaluated at load or plan time (constant folding, shape arithmetic): the results are kept, so they are charged
  // to the caller's budget, and a node that would materialise a huge constant from tiny inputs is refused.
  int64_t total = static_cast<int64_t>(inf.scratch_bytes());
  for (int i = 0; i < num_outputs; ++i) total += inf.out_shape(i).num_elements() * static_cast<int64_t>(DTypeSize(inf.out_dtype(i)));
  if (total > *budget_bytes) {
    return ResourceExhaustedError("node '" + node_name + "': evaluating it ahead of time would need " +
                                  std::to_string(total) + " bytes, " + std::to_string(*budget_bytes) +
                                  " are left of the budget for such values");
  }
  *budget_bytes -= total;
  std::vector<Tensor> outs;
  outs.reserve(num_outputs);
  std::vector<TensorView> out_views(num_outputs);
  std::vector<TensorView*> out_ptrs(num_outputs);
  for (int i = 0; i < num_outputs; ++i) {
    ASSIGN_OR_RETURN(Tensor t, Tensor::TryCreate(inf.out_dtype(i), inf.out_shape(i)));
    outs.push_back(std::move(t));
    out_views[i] = outs.back().view();
    out_ptrs[i] = &out_views[i];
  }
  void* scratch = TryAlignedAlloc(inf.scratch_bytes());
  if (inf.scratch_bytes() > 0 && scratch == nullptr) {
    return ResourceExhaustedError("node '" + node_name + "': cannot allocate its scratch memory");
  }
  KernelContext ctx(inputs.data(), static_cast<int>(inputs.size()), out_ptrs.data(), num_outputs, scratch,
                    inf.scratch_bytes(), inf.state().get(), 1);
  Status st = kernel.Compute(ctx);
  AlignedFree(scratch);
  RETURN_IF_ERROR(st);
  return outs;
}

}  // namespace reco::engine
