// Comparison and logic: Equal Greater Less GreaterOrEqual LessOrEqual (-> bool), Not And Or Xor, Where.
#include "engine/kernels/broadcast.h"
#include "engine/kernels/dispatch.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

enum class Cmp { kEq, kGt, kLt, kGe, kLe };

template <Cmp Op>
class CompareKernel final : public OpKernel {
 public:
  explicit CompareKernel(const KernelInfo& info) : OpKernel(info) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* a = ctx.input_meta(0);
    const TensorView* b = ctx.input_meta(1);
    if (a->dtype != b->dtype) return Error("input dtypes differ");
    if (!DispatchAll(a->dtype, [](auto) {})) return Error("unsupported dtype");
    StatusOr<Shape> s = BroadcastShape(a->shape, b->shape);
    if (!s.ok()) return Error(s.status().message());
    ctx.set_output(0, DType::kBool, *s);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& a = *ctx.input(0);
    const TensorView& b = *ctx.input(1);
    DispatchAll(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      BinaryBroadcast<T, T, bool>(a, b, ctx.output(0), [](T x, T y) {
        if constexpr (Op == Cmp::kEq) return x == y;
        if constexpr (Op == Cmp::kGt) return x > y;
        if constexpr (Op == Cmp::kLt) return x < y;
        if constexpr (Op == Cmp::kGe) return x >= y;
        if constexpr (Op == Cmp::kLe) return x <= y;
      });
    });
    return Status::Ok();
  }
};

enum class Logic { kAnd, kOr, kXor };

template <Logic Op>
class LogicKernel final : public OpKernel {
 public:
  explicit LogicKernel(const KernelInfo& info) : OpKernel(info) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* a = ctx.input_meta(0);
    const TensorView* b = ctx.input_meta(1);
    if (a->dtype != DType::kBool || b->dtype != DType::kBool) return Error("inputs must be bool");
    StatusOr<Shape> s = BroadcastShape(a->shape, b->shape);
    if (!s.ok()) return Error(s.status().message());
    ctx.set_output(0, DType::kBool, *s);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    BinaryBroadcast<bool, bool, bool>(*ctx.input(0), *ctx.input(1), ctx.output(0), [](bool x, bool y) {
      if constexpr (Op == Logic::kAnd) return x && y;
      if constexpr (Op == Logic::kOr) return x || y;
      if constexpr (Op == Logic::kXor) return x != y;
    });
    return Status::Ok();
  }
};

class NotKernel final : public OpKernel {
 public:
  explicit NotKernel(const KernelInfo& info) : OpKernel(info) {}
  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (x->dtype != DType::kBool) return Error("input must be bool");
    ctx.set_output(0, DType::kBool, x->shape);
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    const bool* in = ctx.input(0)->data_as<bool>();
    bool* out = ctx.output(0).data_as<bool>();
    for (int64_t i = 0, n = ctx.input(0)->num_elements(); i < n; ++i) out[i] = !in[i];
    return Status::Ok();
  }
};

class WhereKernel final : public OpKernel {
 public:
  explicit WhereKernel(const KernelInfo& info) : OpKernel(info) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* c = ctx.input_meta(0);
    const TensorView* x = ctx.input_meta(1);
    const TensorView* y = ctx.input_meta(2);
    if (c->dtype != DType::kBool) return Error("condition must be bool");
    if (x->dtype != y->dtype || !DispatchAll(x->dtype, [](auto) {})) return Error("X and Y dtypes differ or unsupported");
    StatusOr<Shape> s = BroadcastShape(c->shape, x->shape);
    if (s.ok()) s = BroadcastShape(*s, y->shape);
    if (!s.ok()) return Error(s.status().message());
    ctx.set_output(0, x->dtype, *s);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& c = *ctx.input(0);
    const TensorView& x = *ctx.input(1);
    const TensorView& y = *ctx.input(2);
    const TensorView& out = ctx.output(0);
    DispatchAll(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const bool* pc = c.data_as<bool>();
      const T* px = x.data_as<T>();
      const T* py = y.data_as<T>();
      T* po = out.data_as<T>();
      ForEachBroadcast<3>(out.shape, {&c.shape, &x.shape, &y.shape},
                          [&](int64_t o, const std::array<int64_t, 3>& off, const std::array<int64_t, 3>& st,
                              int64_t len) {
                            for (int64_t i = 0; i < len; ++i) {
                              po[o + i] = pc[off[0] + i * st[0]] ? px[off[1] + i * st[1]] : py[off[2] + i * st[2]];
                            }
                          });
    });
    return Status::Ok();
  }
};

}  // namespace

void RegisterCompareLogicKernels(KernelRegistry* r) {
  r->Add<CompareKernel<Cmp::kEq>>("Equal", 7, 17);
  r->Add<CompareKernel<Cmp::kGt>>("Greater", 7, 17);
  r->Add<CompareKernel<Cmp::kLt>>("Less", 7, 17);
  r->Add<CompareKernel<Cmp::kGe>>("GreaterOrEqual", 12, 17);
  r->Add<CompareKernel<Cmp::kLe>>("LessOrEqual", 12, 17);
  r->Add<LogicKernel<Logic::kAnd>>("And", 7, 17);
  r->Add<LogicKernel<Logic::kOr>>("Or", 7, 17);
  r->Add<LogicKernel<Logic::kXor>>("Xor", 7, 17);
  r->Add<NotKernel>("Not", 1, 17);
  r->Add<WhereKernel>("Where", 9, 17);
}

}  // namespace reco::engine
