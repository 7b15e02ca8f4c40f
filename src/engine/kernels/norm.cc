// BatchNormalization (inference) and LayerNormalization (opset 17), float32/float64.
// BatchNormalization folds scale/var/eps into one multiplier per channel while walking the channel's plane, so
// there is no per-call buffer; training_mode=1 (opset 14+) would need running-stat outputs and is Unimplemented.
// LayerNormalization normalises over dims[axis:] and accumulates mean/variance in double for its rows.
#include <cmath>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

class BatchNormKernel final : public OpKernel {
 public:
  explicit BatchNormKernel(const KernelInfo& info)
      : OpKernel(info), epsilon_(info.GetFloat("epsilon", 1e-5f)) {
    if (info.GetInt("training_mode", 0) != 0) SetInitError(Unimplemented("training_mode=1"));
    for (int i = 1; i < info.num_outputs(); ++i) {
      if (!info.node().output(i).empty()) SetInitError(Unimplemented("running mean/var outputs (training)"));
    }
  }

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchFloat(x->dtype, [](auto) {})) return Unimplemented("dtype " + std::string(DTypeName(x->dtype)));
    if (x->shape.rank() < 2) return Error("X must have rank >= 2 (N, C, ...)");
    const int64_t c = x->shape[1];
    for (int i = 1; i <= 4; ++i) {
      const TensorView* p = ctx.input_meta(i);
      if (!p || p->dtype != x->dtype || p->num_elements() != c) {
        return Error("input " + std::to_string(i) + " must be a [C] tensor of X's dtype");
      }
    }
    ctx.set_output(0, x->dtype, x->shape);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const int64_t n = x.shape[0], c = x.shape[1];
    const int64_t plane = c == 0 || n == 0 ? 0 : x.num_elements() / (n * c);
    DispatchFloat(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data_as<T>();
      T* out = ctx.output(0).data_as<T>();
      const T* scale = ctx.input(1)->data_as<T>();
      const T* bias = ctx.input(2)->data_as<T>();
      const T* mean = ctx.input(3)->data_as<T>();
      const T* var = ctx.input(4)->data_as<T>();
      for (int64_t b = 0; b < n; ++b) {
        for (int64_t ch = 0; ch < c; ++ch) {
          const T mul = scale[ch] / std::sqrt(var[ch] + static_cast<T>(epsilon_));
          const T add = bias[ch] - mean[ch] * mul;
          const T* src = in + (b * c + ch) * plane;
          T* dst = out + (b * c + ch) * plane;
          for (int64_t i = 0; i < plane; ++i) dst[i] = src[i] * mul + add;
        }
      }
    });
    return Status::Ok();
  }

 private:
  float epsilon_;
};

class LayerNormKernel final : public OpKernel {
 public:
  explicit LayerNormKernel(const KernelInfo& info)
      : OpKernel(info), axis_(info.GetInt("axis", -1)), epsilon_(info.GetFloat("epsilon", 1e-5f)) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchFloat(x->dtype, [](auto) {})) return Unimplemented("dtype " + std::string(DTypeName(x->dtype)));
    const int rank = x->shape.rank();
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= rank) return Error("axis " + std::to_string(axis_) + " out of range");
    int64_t inner = 1;
    for (int d = static_cast<int>(axis); d < rank; ++d) inner *= x->shape[d];
    for (int i = 1; i <= 2; ++i) {
      const TensorView* p = i < ctx.num_inputs() ? ctx.input_meta(i) : nullptr;
      if (i == 1 && !p) return Error("Scale is required");
      if (p && (p->dtype != x->dtype || (p->num_elements() != inner && p->num_elements() != 1))) {
        return Error("Scale/B must hold " + std::to_string(inner) + " elements of X's dtype (or one)");
      }
    }
    ctx.set_output(0, x->dtype, x->shape);
    Shape stat = x->shape;
    for (int d = static_cast<int>(axis); d < rank; ++d) stat[d] = 1;
    for (int i = 1; i < ctx.num_outputs() && i < 3; ++i) ctx.set_output(i, x->dtype, stat);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const int rank = x.shape.rank();
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= x.shape[d];
    for (int d = axis; d < rank; ++d) inner *= x.shape[d];
    const TensorView* scale_v = ctx.input(1);
    const TensorView* bias_v = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    DispatchFloat(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data_as<T>();
      T* out = ctx.output(0).data_as<T>();
      const T* scale = scale_v->data_as<T>();
      const T* bias = bias_v ? bias_v->data_as<T>() : nullptr;
      const int64_t ss = scale_v->num_elements() == 1 ? 0 : 1;
      const int64_t bs = bias_v && bias_v->num_elements() == 1 ? 0 : 1;
      T* mean_out = ctx.output_exists(1) ? ctx.output(1).data_as<T>() : nullptr;
      T* inv_out = ctx.output_exists(2) ? ctx.output(2).data_as<T>() : nullptr;
      for (int64_t o = 0; o < outer; ++o) {
        const T* row = in + o * inner;
        T* dst = out + o * inner;
        double sum = 0;
        for (int64_t i = 0; i < inner; ++i) sum += row[i];
        const double mean = inner ? sum / inner : 0.0;
        double sq = 0;
        for (int64_t i = 0; i < inner; ++i) sq += (row[i] - mean) * (row[i] - mean);
        const double inv = 1.0 / std::sqrt((inner ? sq / inner : 0.0) + epsilon_);
        const T m = static_cast<T>(mean), iv = static_cast<T>(inv);
        for (int64_t i = 0; i < inner; ++i) {
          T v = (row[i] - m) * iv * scale[i * ss];
          dst[i] = bias ? v + bias[i * bs] : v;
        }
        if (mean_out) mean_out[o] = m;
        if (inv_out) inv_out[o] = iv;
      }
    });
    return Status::Ok();
  }

 private:
  int64_t axis_;
  float epsilon_;
};

}  // namespace

void RegisterNormKernels(KernelRegistry* r) {
  r->Add<BatchNormKernel>("BatchNormalization", 9, 17);
  r->Add<LayerNormKernel>("LayerNormalization", 17, 17);
}

}  // namespace reco::engine
