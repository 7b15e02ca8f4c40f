// Softmax and LogSoftmax (float32, float64).
// Opset 13 normalises along one axis (default -1). Before 13 the input is coerced to 2-D at `axis` (default 1):
// [prod(dims[:axis]), prod(dims[axis:])] and each row is normalised; both reduce to (outer, n, inner) loops.
// Max-subtraction keeps exp() finite for large inputs; NaN propagates through the row it is in.
#include <cmath>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

template <bool kLog>
class SoftmaxKernel final : public OpKernel {
 public:
  explicit SoftmaxKernel(const KernelInfo& info)
      : OpKernel(info), legacy_(info.opset() < 13), axis_(info.GetInt("axis", info.opset() < 13 ? 1 : -1)) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchFloat(x->dtype, [](auto) {})) return Unimplemented("dtype " + std::string(DTypeName(x->dtype)));
    const int rank = x->shape.rank();
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (rank == 0 ? axis_ != 0 && axis_ != -1 : (axis < 0 || axis >= rank)) {
      return Error("axis " + std::to_string(axis_) + " out of range for rank " + std::to_string(rank));
    }
    ctx.set_output(0, x->dtype, x->shape);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const Shape& s = x.shape;
    const int rank = s.rank();
    const int axis = rank == 0 ? 0 : static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    int64_t outer = 1, n = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= s[d];
    if (legacy_) {
      for (int d = axis; d < rank; ++d) n *= s[d];
    } else if (rank > 0) {
      n = s[axis];
      for (int d = axis + 1; d < rank; ++d) inner *= s[d];
    }
    DispatchFloat(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Run(x.data_as<T>(), ctx.output(0).data_as<T>(), outer, n, inner);
    });
    return Status::Ok();
  }

 private:
  template <typename T>
  static void Run(const T* in, T* out, int64_t outer, int64_t n, int64_t inner) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* x = in + o * n * inner + i;
        T* y = out + o * n * inner + i;
        T mx = x[0];
        for (int64_t j = 1; j < n; ++j) mx = x[j * inner] > mx ? x[j * inner] : mx;
        if (std::isnan(static_cast<double>(x[0]))) mx = x[0];
        T sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          const T e = std::exp(x[j * inner] - mx);
          sum += e;
          if (!kLog) y[j * inner] = e;
        }
        if (kLog) {
          const T ls = std::log(sum);
          for (int64_t j = 0; j < n; ++j) y[j * inner] = x[j * inner] - mx - ls;
        } else {
          const T inv = T(1) / sum;
          for (int64_t j = 0; j < n; ++j) y[j * inner] *= inv;
        }
      }
    }
  }

  bool legacy_;
  int64_t axis_;
};

}  // namespace

void RegisterSoftmaxKernels(KernelRegistry* r) {
  r->Add<SoftmaxKernel<false>>("Softmax", 1, 17);
  r->Add<SoftmaxKernel<true>>("LogSoftmax", 1, 17);
}

}  // namespace reco::engine
