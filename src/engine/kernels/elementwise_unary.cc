// Unary elementwise ops: Sqrt Exp Log Neg Abs Relu LeakyRelu Sigmoid Tanh Erf Clip (+ Reciprocal Floor Ceil).
// NaN/Inf flow through as IEEE arithmetic says (Relu keeps NaN, like ONNX Runtime).
#include <cmath>
#include <limits>
#include <type_traits>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/fast_math.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

struct SqrtF { template <typename T> T operator()(T x) const { return std::sqrt(x); } };
struct ExpF { template <typename T> T operator()(T x) const { return std::exp(x); } };
struct LogF { template <typename T> T operator()(T x) const { return std::log(x); } };
struct NegF { template <typename T> T operator()(T x) const { return -x; } };
struct AbsF { template <typename T> T operator()(T x) const { return x < T(0) ? T(-x) : x; } };
struct ReluF { template <typename T> T operator()(T x) const { return x < T(0) ? T(0) : x; } };
struct SigmoidF {
  template <typename T> T operator()(T x) const {
    if constexpr (std::is_same_v<T, float>) {
      return FastSigmoid(x);  // vectorisable; see fast_math.h
    } else {
      return T(1) / (T(1) + std::exp(-x));
    }
  }
};
struct TanhF { template <typename T> T operator()(T x) const { return std::tanh(x); } };
struct ErfF { template <typename T> T operator()(T x) const { return std::erf(x); } };
struct ReciprocalF { template <typename T> T operator()(T x) const { return T(1) / x; } };
struct FloorF { template <typename T> T operator()(T x) const { return std::floor(x); } };
struct CeilF { template <typename T> T operator()(T x) const { return std::ceil(x); } };

// kFloatOnly: the op is defined on float types only; otherwise also on int32/int64.
template <typename F, bool kFloatOnly>
class UnaryKernel final : public OpKernel {
 public:
  explicit UnaryKernel(const KernelInfo& info) : OpKernel(info) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    bool ok = kFloatOnly ? DispatchFloat(x->dtype, [](auto) {}) : DispatchNumeric(x->dtype, [](auto) {});
    if (!ok) return Error("unsupported dtype " + std::string(DTypeName(x->dtype)));
    ctx.set_output(0, x->dtype, x->shape);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const TensorView& y = ctx.output(0);
    const int64_t n = x.num_elements();
    DispatchNumeric(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!kFloatOnly || std::is_floating_point_v<T>) {
        const T* in = x.data_as<T>();
        T* out = y.data_as<T>();
        if constexpr (std::is_same_v<F, SigmoidF> && std::is_same_v<T, float>) {
          SigmoidArray(in, out, n);  // 16 or 8 lanes by hand (fast_math.h): ~2x the compiler's FastSigmoid loop
          return;
        }
        const F f;
        for (int64_t i = 0; i < n; ++i) out[i] = f(in[i]);
      }
    });
    return Status::Ok();
  }
};

class LeakyReluKernel final : public OpKernel {
 public:
  explicit LeakyReluKernel(const KernelInfo& info) : OpKernel(info), alpha_(info.GetFloat("alpha", 0.01f)) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchFloat(x->dtype, [](auto) {})) return Error("unsupported dtype");
    ctx.set_output(0, x->dtype, x->shape);
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    DispatchFloat(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data_as<T>();
      T* out = ctx.output(0).data_as<T>();
      const T a = static_cast<T>(alpha_);
      for (int64_t i = 0, n = x.num_elements(); i < n; ++i) out[i] = in[i] < T(0) ? a * in[i] : in[i];
    });
    return Status::Ok();
  }

 private:
  float alpha_;
};

// Clip: bounds are attributes before opset 11, optional scalar inputs from 11.
class ClipKernel final : public OpKernel {
 public:
  explicit ClipKernel(const KernelInfo& info)
      : OpKernel(info), legacy_(info.opset() < 11),
        min_attr_(info.GetFloat("min", -std::numeric_limits<float>::max())),
        max_attr_(info.GetFloat("max", std::numeric_limits<float>::max())) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchNumeric(x->dtype, [](auto) {})) return Error("unsupported dtype");
    for (int i = 1; i < ctx.num_inputs(); ++i) {
      const TensorView* b = ctx.input_meta(i);
      if (b && (b->num_elements() != 1 || b->dtype != x->dtype)) return Error("min/max must be scalars of the input dtype");
    }
    ctx.set_output(0, x->dtype, x->shape);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    DispatchNumeric(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if (legacy_) {
        lo = static_cast<T>(min_attr_);
        hi = static_cast<T>(max_attr_);
      } else {
        if (const TensorView* m = ctx.input(1)) lo = *m->data_as<T>();
        if (const TensorView* m = ctx.input(2)) hi = *m->data_as<T>();
      }
      const T* in = x.data_as<T>();
      T* out = ctx.output(0).data_as<T>();
      for (int64_t i = 0, n = x.num_elements(); i < n; ++i) {
        T v = in[i];
        v = v < lo ? lo : v;  // then the upper bound: when min > max everything becomes max (ONNX, numpy)
        out[i] = v > hi ? hi : v;
      }
    });
    return Status::Ok();
  }

 private:
  bool legacy_;
  float min_attr_, max_attr_;
};

}  // namespace

void RegisterElementwiseUnaryKernels(KernelRegistry* r) {
  r->Add<UnaryKernel<SqrtF, true>>("Sqrt", 6, 17);
  r->Add<UnaryKernel<ExpF, true>>("Exp", 6, 17);
  r->Add<UnaryKernel<LogF, true>>("Log", 6, 17);
  r->Add<UnaryKernel<NegF, false>>("Neg", 6, 17);
  r->Add<UnaryKernel<AbsF, false>>("Abs", 6, 17);
  r->Add<UnaryKernel<ReluF, false>>("Relu", 6, 17);
  r->Add<UnaryKernel<SigmoidF, true>>("Sigmoid", 6, 17);
  r->Add<UnaryKernel<TanhF, true>>("Tanh", 6, 17);
  r->Add<UnaryKernel<ErfF, true>>("Erf", 9, 17);
  r->Add<UnaryKernel<ReciprocalF, true>>("Reciprocal", 6, 17);
  r->Add<UnaryKernel<FloorF, true>>("Floor", 6, 17);
  r->Add<UnaryKernel<CeilF, true>>("Ceil", 6, 17);
  r->Add<LeakyReluKernel>("LeakyRelu", 6, 17);
  r->Add<ClipKernel>("Clip", 6, 17);
}

}  // namespace reco::engine
