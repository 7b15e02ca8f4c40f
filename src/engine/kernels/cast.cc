// Cast between the engine's numeric dtypes and bool (float16 and strings are not supported).
#include <cstring>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

template <typename F>
bool DispatchCastable(DType t, F&& f) {
  switch (t) {
    case DType::kBool: f(TypeTag<bool>{}); return true;
    case DType::kInt8: f(TypeTag<int8_t>{}); return true;
    case DType::kUint8: f(TypeTag<uint8_t>{}); return true;
    default: return DispatchNumeric(t, f);
  }
}

class CastKernel final : public OpKernel {
 public:
  explicit CastKernel(const KernelInfo& info)
      : OpKernel(info), to_(DTypeFromOnnx(static_cast<int32_t>(info.GetInt("to", 0)))) {
    if (!DispatchCastable(to_, [](auto) {})) {
      SetInitError(Error("unsupported target type " + std::to_string(info.GetInt("to", 0))));
    }
  }

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchCastable(x->dtype, [](auto) {})) return Error("unsupported input dtype " + std::string(DTypeName(x->dtype)));
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
        for (int64_t i = 0; i < n; ++i) {
          if constexpr (std::is_same_v<D, bool>) {
            out[i] = in[i] != S(0);
          } else {
            out[i] = static_cast<D>(in[i]);
          }
        }
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
