// Concat and Split along one axis: both reduce to copying contiguous blocks of (dims after axis) elements.
#include <cstring>

#include "engine/kernels/registry.h"
#include "engine/kernels/row_copy.h"

namespace reco::engine {
namespace {

class ConcatKernel final : public OpKernel {
 public:
  explicit ConcatKernel(const KernelInfo& info) : OpKernel(info), axis_(info.GetInt("axis", 0)) {
    if (!info.HasAttr("axis") && info.opset() >= 4) SetInitError(Error("missing attribute 'axis'"));
  }

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* first = ctx.input_meta(0);
    if (!first) return Error("needs at least one input");
    const int r = first->shape.rank();
    const int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    if (axis < 0 || axis >= r) return Error("axis out of range");
    Shape out = first->shape;
    out[static_cast<int>(axis)] = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const TensorView* in = ctx.input_meta(i);
      if (!in) continue;
      if (in->dtype != first->dtype || in->shape.rank() != r) return Error("inputs differ in dtype or rank");
      for (int d = 0; d < r; ++d) {
        if (d != axis && in->shape[d] != first->shape[d]) {
          return Error("input " + std::to_string(i) + " shape " + in->shape.ToString() + " does not match " +
                       first->shape.ToString() + " outside the axis");
        }
      }
      out[static_cast<int>(axis)] += in->shape[static_cast<int>(axis)];
    }
    ctx.set_output(0, first->dtype, out);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& out = ctx.output(0);
    const int r = out.shape.rank();
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + r : axis_);
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= out.shape[d];
    const size_t out_row = static_cast<size_t>(out.shape.num_elements() / (outer ? outer : 1)) * DTypeSize(out.dtype);
    auto* dst = static_cast<std::byte*>(out.data);
    size_t col = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const TensorView* in = ctx.input(i);
      if (!in) continue;
      const size_t row = outer ? in->byte_size() / static_cast<size_t>(outer) : 0;
      const auto* src = static_cast<const std::byte*>(in->data);
      if (row) CopyBlocks(dst + col, out_row, src, row, row, outer);
      col += row;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_;
};

// Split: sizes from the `split` attribute (< 13) or input 1 (>= 13), else equal parts.
class SplitKernel final : public OpKernel {
 public:
  explicit SplitKernel(const KernelInfo& info)
      : OpKernel(info), axis_(info.GetInt("axis", 0)), split_from_input_(info.opset() >= 13),
        attr_split_(info.GetInts("split")) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const int r = x->shape.rank();
    const int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    if (axis < 0 || axis >= r) return Error("axis out of range");
    const int n = ctx.num_outputs();
    std::vector<int64_t> split = attr_split_;
    if (split_from_input_ && ctx.num_inputs() > 1 && ctx.input_meta(1)) {
      const TensorView* v = ctx.input_value(1);
      if (!v || v->dtype != DType::kInt64) return Error("split input must be a plan-time int64 tensor");
      split.assign(v->data_as<int64_t>(), v->data_as<int64_t>() + v->num_elements());
    }
    const int64_t total = x->shape[static_cast<int>(axis)];
    if (split.empty()) {
      if (total % n != 0) return Error("dimension " + std::to_string(total) + " does not split evenly into " + std::to_string(n));
      split.assign(n, total / n);
    }
    if (static_cast<int>(split.size()) != n) return Error("split has " + std::to_string(split.size()) + " entries for " + std::to_string(n) + " outputs");
    int64_t sum = 0;
    for (int64_t s : split) {
      if (s < 0) return Error("negative split");
      sum += s;
    }
    if (sum != total) return Error("split sizes sum to " + std::to_string(sum) + ", dimension is " + std::to_string(total));
    for (int i = 0; i < n; ++i) {
      Shape s = x->shape;
      s[static_cast<int>(axis)] = split[i];
      ctx.set_output(i, x->dtype, s);
    }
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const int r = x.shape.rank();
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + r : axis_);
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= x.shape[d];
    if (outer == 0) return Status::Ok();
    const size_t in_row = x.byte_size() / static_cast<size_t>(outer);
    const auto* src = static_cast<const std::byte*>(x.data);
    size_t col = 0;
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      const TensorView& out = ctx.output(i);
      const size_t row = out.byte_size() / static_cast<size_t>(outer);
      auto* dst = static_cast<std::byte*>(out.data);
      if (row && dst) CopyBlocks(dst, row, src + col, in_row, row, outer);
      col += row;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool split_from_input_;
  std::vector<int64_t> attr_split_;
};

}  // namespace

void RegisterConcatSplitKernels(KernelRegistry* r) {
  r->Add<ConcatKernel>("Concat", 4, 17);
  r->Add<SplitKernel>("Split", 2, 17, KernelDef::PlanTimeInput(1));
}

}  // namespace reco::engine
