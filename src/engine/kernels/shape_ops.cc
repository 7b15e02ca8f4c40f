// Shape-only ops: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze. The planner evaluates Shape/Size at plan
// time, so shape-computing subgraphs become constants and Reshape & co. see their target shape while planning.
// Reshape/Flatten/Squeeze/Unsqueeze are registered with KernelDef::kAliasesInput0: the planner normally turns
// them into views of their input and never runs them; Compute copies the bytes only when it cannot (the output
// is a graph output, which must not point into a caller's input).
#include <algorithm>
#include <cstring>

#include "engine/kernels/int_values.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

// Base for ops whose run-time work is copying input 0 into output 0 unchanged.
class CopyKernel : public OpKernel {
 public:
  using OpKernel::OpKernel;
  Status Compute(const KernelContext& ctx) const final {
    const TensorView& x = *ctx.input(0);
    if (x.byte_size() && x.data != ctx.output(0).data) std::memcpy(ctx.output(0).data, x.data, x.byte_size());
    return Status::Ok();
  }
};

class ShapeKernel final : public OpKernel {
 public:
  explicit ShapeKernel(const KernelInfo& info)
      : OpKernel(info), start_(info.GetInt("start", 0)), end_(info.GetInt("end", INT64_MAX)) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    int64_t s, e;
    Range(ctx.input_meta(0)->shape.rank(), &s, &e);
    ctx.set_output(0, DType::kInt64, Shape{e - s});
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    const Shape& shape = ctx.input(0)->shape;
    int64_t s, e;
    Range(shape.rank(), &s, &e);
    int64_t* out = ctx.output(0).data_as<int64_t>();
    for (int64_t i = s; i < e; ++i) out[i - s] = shape[static_cast<int>(i)];
    return Status::Ok();
  }

 private:
  void Range(int64_t rank, int64_t* s, int64_t* e) const {
    *s = start_ < 0 ? start_ + rank : start_;
    *e = end_ < 0 ? end_ + rank : end_;
    *s = std::clamp<int64_t>(*s, 0, rank);
    *e = std::clamp<int64_t>(*e, 0, rank);
    if (*e < *s) *e = *s;
  }
  int64_t start_, end_;
};

class SizeKernel final : public OpKernel {
 public:
  explicit SizeKernel(const KernelInfo& info) : OpKernel(info) {}
  Status InferOutputs(InferenceContext& ctx) const override {
    ctx.set_output(0, DType::kInt64, Shape{});
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    *ctx.output(0).data_as<int64_t>() = ctx.input(0)->num_elements();
    return Status::Ok();
  }
};

class ReshapeKernel final : public CopyKernel {
 public:
  explicit ReshapeKernel(const KernelInfo& info) : CopyKernel(info), allowzero_(info.GetInt("allowzero", 0) != 0) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const TensorView* target = ctx.input_value(1);
    if (!target) return Error("the shape input is data-dependent (not computable while planning); unsupported");
    std::vector<int64_t> dims;
    if (!ReadInt64s(target, &dims).ok()) return Error("shape input must be int64");
    if (dims.size() > static_cast<size_t>(Shape::kMaxRank)) return Error("target rank too large");
    Shape out;
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      int64_t d = dims[i];
      if (d == 0 && !allowzero_) {
        if (static_cast<int>(i) >= x->shape.rank()) return Error("0 in shape refers past the input rank");
        d = x->shape[static_cast<int>(i)];
      }
      if (d == -1) {
        if (infer >= 0) return Error("more than one -1 in the target shape");
        infer = static_cast<int>(i);
        d = 1;
      } else if (d < 0) {
        return Error("negative dimension in the target shape");
      }
      out.push_back(d);
      known *= d;
    }
    const int64_t n = x->shape.num_elements();
    if (infer >= 0) {
      if (known == 0 || n % known != 0) {
        return Error("cannot reshape " + x->shape.ToString() + " with a -1 dimension into " + out.ToString());
      }
      out[infer] = n / known;
    }
    if (out.num_elements() != n) return Error("cannot reshape " + x->shape.ToString() + " to " + out.ToString());
    ctx.set_output(0, x->dtype, out);
    return Status::Ok();
  }

 private:
  bool allowzero_;
};

class FlattenKernel final : public CopyKernel {
 public:
  explicit FlattenKernel(const KernelInfo& info) : CopyKernel(info), axis_(info.GetInt("axis", 1)) {}
  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const int r = x->shape.rank();
    int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    if (axis < 0 || axis > r) return Error("axis out of range");
    int64_t a = 1, b = 1;
    for (int i = 0; i < r; ++i) (i < axis ? a : b) *= x->shape[i];
    ctx.set_output(0, x->dtype, Shape{a, b});
    return Status::Ok();
  }

 private:
  int64_t axis_;
};

// Squeeze/Unsqueeze: axes from the attribute before opset 13, from the optional input 1 from 13.
template <bool kUnsqueeze>
class SqueezeKernel final : public CopyKernel {
 public:
  explicit SqueezeKernel(const KernelInfo& info)
      : CopyKernel(info), axes_from_input_(info.opset() >= 13), attr_axes_(info.GetInts("axes")) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    std::vector<int64_t> axes = attr_axes_;
    if (axes_from_input_ && ctx.num_inputs() > 1 && ctx.input_meta(1)) {
      const TensorView* v = ctx.input_value(1);
      if (!v) return Error("axes input is not known while planning; unsupported");
      if (!ReadInt64s(v, &axes).ok()) return Error("axes must be int64");
    }
    const int in_rank = x->shape.rank();
    Shape out;
    if (kUnsqueeze) {
      const int r = in_rank + static_cast<int>(axes.size());
      if (r > Shape::kMaxRank) return Error("result rank too large");
      std::vector<bool> is_new(r, false);
      for (int64_t a : axes) {
        if (a < 0) a += r;
        if (a < 0 || a >= r || is_new[a]) return Error("bad or repeated axis");
        is_new[a] = true;
      }
      int k = 0;
      for (int i = 0; i < r; ++i) out.push_back(is_new[i] ? 1 : x->shape[k++]);
    } else {
      std::vector<bool> drop(in_rank, false);
      if (axes.empty()) {
        for (int i = 0; i < in_rank; ++i) drop[i] = x->shape[i] == 1;
      }
      for (int64_t a : axes) {
        if (a < 0) a += in_rank;
        if (a < 0 || a >= in_rank) return Error("axis out of range");
        if (x->shape[static_cast<int>(a)] != 1) return Error("cannot squeeze a dimension that is not 1");
        drop[a] = true;
      }
      for (int i = 0; i < in_rank; ++i) {
        if (!drop[i]) out.push_back(x->shape[i]);
      }
    }
    ctx.set_output(0, x->dtype, out);
    return Status::Ok();
  }

 private:
  bool axes_from_input_;
  std::vector<int64_t> attr_axes_;
};

}  // namespace

void RegisterShapeKernels(KernelRegistry* r) {
  r->Add<ShapeKernel>("Shape", 1, 17);
  r->Add<SizeKernel>("Size", 1, 17);
  r->Add<ReshapeKernel>("Reshape", 5, 17, KernelDef::PlanTimeInput(1) | KernelDef::kAliasesInput0);
  r->Add<FlattenKernel>("Flatten", 1, 17, KernelDef::kAliasesInput0);
  r->Add<SqueezeKernel<false>>("Squeeze", 1, 17, KernelDef::PlanTimeInput(1) | KernelDef::kAliasesInput0);
  r->Add<SqueezeKernel<true>>("Unsqueeze", 1, 17, KernelDef::PlanTimeInput(1) | KernelDef::kAliasesInput0);
}

}  // namespace reco::engine
