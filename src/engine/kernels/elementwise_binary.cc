// Arithmetic binary ops with numpy broadcasting: Add, Sub, Mul, Div, Pow, PRelu.
// Contiguous same-shape and scalar cases run as plain loops (vectorised); see broadcast.h.
#include <cmath>
#include <type_traits>

#include "engine/kernels/broadcast.h"
#include "engine/kernels/dispatch.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

enum class Arith { kAdd, kSub, kMul, kDiv };

template <Arith Op>
class ArithKernel final : public OpKernel {
 public:
  explicit ArithKernel(const KernelInfo& info) : OpKernel(info) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* a = ctx.input_meta(0);
    const TensorView* b = ctx.input_meta(1);
    if (!a || !b) return Error("needs two inputs");
    if (a->dtype != b->dtype) {
      return Error("input dtypes differ: " + std::string(DTypeName(a->dtype)) + " vs " + std::string(DTypeName(b->dtype)));
    }
    bool ok = DispatchNumeric(a->dtype, [](auto) {});
    if (!ok) return Error("unsupported dtype " + std::string(DTypeName(a->dtype)));
    StatusOr<Shape> s = BroadcastShape(a->shape, b->shape);
    if (!s.ok()) return Error(s.status().message());
    ctx.set_output(0, a->dtype, *s);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& a = *ctx.input(0);
    const TensorView& b = *ctx.input(1);
    const TensorView& y = ctx.output(0);
    Status st;
    DispatchNumeric(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (Op == Arith::kAdd) BinaryBroadcast<T, T, T>(a, b, y, [](T x, T z) { return x + z; });
      if constexpr (Op == Arith::kSub) BinaryBroadcast<T, T, T>(a, b, y, [](T x, T z) { return x - z; });
      if constexpr (Op == Arith::kMul) BinaryBroadcast<T, T, T>(a, b, y, [](T x, T z) { return x * z; });
      if constexpr (Op == Arith::kDiv) {
        if constexpr (std::is_integral_v<T>) {
          // Integer division by zero traps; it is data, so it is an error, not a crash.
          const T* pb = b.data_as<T>();
          for (int64_t i = 0; i < b.num_elements(); ++i) {
            if (pb[i] == 0) {
              st = Error("integer division by zero");
              return;
            }
          }
        }
        BinaryBroadcast<T, T, T>(a, b, y, [](T x, T z) { return x / z; });
      }
    });
    return st;
  }
};

class PowKernel final : public OpKernel {
 public:
  explicit PowKernel(const KernelInfo& info) : OpKernel(info) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* a = ctx.input_meta(0);
    const TensorView* b = ctx.input_meta(1);
    if (!DispatchNumeric(a->dtype, [](auto) {}) || !DispatchNumeric(b->dtype, [](auto) {})) {
      return Error("unsupported dtypes");
    }
    StatusOr<Shape> s = BroadcastShape(a->shape, b->shape);
    if (!s.ok()) return Error(s.status().message());
    ctx.set_output(0, a->dtype, *s);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& a = *ctx.input(0);
    const TensorView& b = *ctx.input(1);
    const TensorView& y = ctx.output(0);
    DispatchNumeric(a.dtype, [&](auto ta) {
      using T = typename decltype(ta)::type;
      DispatchNumeric(b.dtype, [&](auto tb) {
        using U = typename decltype(tb)::type;
        if constexpr (std::is_same_v<T, float> && std::is_same_v<U, float>) {
          BinaryBroadcast<T, U, T>(a, b, y, [](float x, float e) { return e == 2.f ? x * x : std::pow(x, e); });
        } else {
          BinaryBroadcast<T, U, T>(a, b, y, [](T x, U e) {
            return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
          });
        }
      });
    });
    return Status::Ok();
  }
};

// PRelu: y = x < 0 ? slope * x : x, slope broadcast to x (unidirectional).
class PReluKernel final : public OpKernel {
 public:
  explicit PReluKernel(const KernelInfo& info) : OpKernel(info) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const TensorView* s = ctx.input_meta(1);
    if (x->dtype != s->dtype || !DispatchNumeric(x->dtype, [](auto) {})) return Error("bad dtypes");
    StatusOr<Shape> out = BroadcastShape(x->shape, s->shape);
    if (!out.ok() || *out != x->shape) return Error("slope " + s->shape.ToString() + " does not broadcast to " + x->shape.ToString());
    ctx.set_output(0, x->dtype, x->shape);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    DispatchNumeric(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      BinaryBroadcast<T, T, T>(x, *ctx.input(1), ctx.output(0), [](T v, T s) { return v < T(0) ? s * v : v; });
    });
    return Status::Ok();
  }
};

}  // namespace

void RegisterElementwiseBinaryKernels(KernelRegistry* r) {
  r->Add<ArithKernel<Arith::kAdd>>("Add", 7, 17);
  r->Add<ArithKernel<Arith::kSub>>("Sub", 7, 17);
  r->Add<ArithKernel<Arith::kMul>>("Mul", 7, 17);
  r->Add<ArithKernel<Arith::kDiv>>("Div", 7, 17);
  r->Add<PowKernel>("Pow", 7, 17);
  r->Add<PReluKernel>("PRelu", 7, 17);
}

}  // namespace reco::engine
