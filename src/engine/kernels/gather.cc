// Gather (embedding lookups). Indices are data: every index is range-checked before any read.
#include <cstring>

#include "engine/kernels/registry.h"
#include "engine/kernels/row_copy.h"

namespace reco::engine {
namespace {

class GatherKernel final : public OpKernel {
 public:
  explicit GatherKernel(const KernelInfo& info) : OpKernel(info), axis_(info.GetInt("axis", 0)) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* data = ctx.input_meta(0);
    const TensorView* idx = ctx.input_meta(1);
    if (idx->dtype != DType::kInt64 && idx->dtype != DType::kInt32) return Error("indices must be int32 or int64");
    const int r = data->shape.rank();
    const int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    if (axis < 0 || axis >= r) return Error("axis out of range for rank " + std::to_string(r));
    if (r - 1 + idx->shape.rank() > Shape::kMaxRank) return Error("result rank too large");
    Shape out;
    for (int i = 0; i < axis; ++i) out.push_back(data->shape[i]);
    for (int i = 0; i < idx->shape.rank(); ++i) out.push_back(idx->shape[i]);
    for (int i = static_cast<int>(axis) + 1; i < r; ++i) out.push_back(data->shape[i]);
    ctx.set_output(0, data->dtype, out);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& data = *ctx.input(0);
    const TensorView& idx = *ctx.input(1);
    if (idx.dtype == DType::kInt64) return Run<int64_t>(data, idx, ctx.output(0));
    return Run<int32_t>(data, idx, ctx.output(0));
  }

 private:
  template <typename I>
  Status Run(const TensorView& data, const TensorView& idx, const TensorView& out) const {
    const int r = data.shape.rank();
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + r : axis_);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= data.shape[i];
    for (int i = axis + 1; i < r; ++i) inner *= data.shape[i];
    const int64_t limit = data.shape[axis];
    const int64_t n = idx.num_elements();
    const I* ids = idx.data_as<I>();
    for (int64_t j = 0; j < n; ++j) {
      const int64_t id = ids[j];
      if (id < -limit || id >= limit) {
        return OutOfRangeError(describe() + ": index " + std::to_string(id) + " at position " + std::to_string(j) +
                               " is out of range [" + std::to_string(-limit) + ", " + std::to_string(limit) + ")");
      }
    }
    const size_t es = DTypeSize(data.dtype);
    const size_t block = static_cast<size_t>(inner) * es;
    const auto* src = static_cast<const std::byte*>(data.data);
    auto* dst = static_cast<std::byte*>(out.data);
    if (block == 0) return Status::Ok();
    WithBlockCopy(block, [&](auto copy) {
      for (int64_t o = 0; o < outer; ++o) {
        const std::byte* base = src + static_cast<size_t>(o * limit) * block;
        for (int64_t j = 0; j < n; ++j) {
          const int64_t id = ids[j] < 0 ? ids[j] + limit : ids[j];
          copy(dst, base + static_cast<size_t>(id) * block);
          dst += block;
        }
      }
    });
    return Status::Ok();
  }

  int64_t axis_;
};

}  // namespace

void RegisterGatherKernels(KernelRegistry* r) { r->Add<GatherKernel>("Gather", 1, 17); }

}  // namespace reco::engine
