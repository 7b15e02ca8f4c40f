// Cast between the engine's numeric dtypes and bool (float16 and strings are not supported).
#include <cstring>
#include <type_traits>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

// IEEE binary16 storage; converted through float.
struct Half {
  uint16_t bits;
};

template <typename D, typename S>
D Convert(S v) {
  if constexpr (std::is_same_v<S, Half>) {
    return Convert<D>(HalfToFloat(v.bits));
  } else if constexpr (std::is_same_v<D, Half>) {
    return Half{FloatToHalf(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else {
    return static_cast<D>(v);
  }
}

template <typename F>
bool DispatchCastable(DType t, F&& f) {
  switch (t) {
    case DType::kBool: f(TypeTag<bool>{}); return true;
    case DType::kFloat16: f(TypeTag<Half>{}); return true;
    default: return DispatchNumeric(t, f);
  }
}

class CastKernel final : public OpKernel {
 public:
  explicit CastKernel(const KernelInfo& info)
      : OpKernel(info), to_(DTypeFromOnnx(static_cast<int32_t>(info.GetInt("to", 0)))) {
    if (!DispatchCastable(to_, [](auto) {})) {
      SetInitError(Unimplemented("unsupported target type " + std::to_string(info.GetInt("to", 0))));
    }
  }

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchCastable(x->dtype, [](auto) {})) return Unimplemented("unsupported input dtype " + std::string(DTypeName(x->dtype)));
    ctx.set_output(0, to_, x->shape);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const TensorView& y = ctx.output(0);
    const int64_t n = x.num_elements();
    if (x.dtype == to_) {
      if (n) std::memcpy(y.data, x.data, x.byte_size());
      return Status::Ok();
    }
    DispatchCastable(x.dtype, [&](auto from) {
      using S = typename decltype(from)::type;
      DispatchCastable(to_, [&](auto to) {
        using D = typename decltype(to)::type;
        const S* in = x.data_as<S>();
        D* out = y.data_as<D>();
        for (int64_t i = 0; i < n; ++i) out[i] = Convert<D>(in[i]);
      });
    });
    return Status::Ok();
  }

 private:
  DType to_;
};

}  // namespace

void RegisterCastKernels(KernelRegistry* r) { r->Add<CastKernel>("Cast", 6, 17); }

}  // namespace reco::engine
