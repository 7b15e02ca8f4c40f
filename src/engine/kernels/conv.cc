// Conv (float32, 1-3 spatial dims, group, strides, pads, dilations, auto_pad). Four paths, chosen per plan:
//  - Winograd F(2x2, 3x3) (conv_winograd.h): 2-D 3x3, stride 1, undilated, group 1, constant W, C >= 8 and
//    M >= 16 (the CNN's conv2): 2.25x fewer multiplications, the transforms are adds;
//  - direct (conv_direct.h): 1-D/2-D, stride 1, not 1x1 -- a register-blocked micro-kernel over the padded input,
//    no column matrix; bias and a fused Relu are applied as the tile is copied out. CNN batch 100/1000 were ~1.8x
//    ORT's time with im2col + OpenBLAS (conv2 32->64 3x3 on 13x13: a 64x121x288 GEMM per image, ~25 GFLOP/s);
//  - 1x1, stride 1, unpadded: one Sgemm per image on X directly;
//  - otherwise im2col + Sgemm per image and group: Y_g[M/g, OD*OH*OW] = W_g[M/g, C/g*kD*kH*kW] * col[C/g*kD*kH*kW, OD*OH*OW]. The column buffer is planned
// scratch (no allocation per call); a 1x1, stride-1, unpadded conv skips it and multiplies X directly. Weights are
// already [M, C/g*k] row-major, the layout the GEMM wants, so they are used in place. Bias is pre-filled into Y
// and the GEMM accumulates onto it; a fused activation is applied in place after.
// RECO_ENGINE_CONV=im2col|direct|winograd overrides the choice (tests, A/B benchmarks): im2col everywhere; no
// Winograd; Winograd wherever it applies, whatever the channel counts.
// A fused 2x2 max pool (conv_pool.h, set by fuse_conv_pool.h) is applied by every path: Winograd per output tile,
// direct from its tile rows, the GEMM paths from one image's output in scratch.
// Why not oneDNN's convolution primitive: oneDNN 2.6 allocates on every execute() even with a user scratchpad
// (measured 2026-11-29 with a malloc hook: 207 allocations per execute for plain NCHW, which picks gemm:jit; 7 for
// the blocked nChw8c jit:avx2 kernel, which would also need a reorder on each side of every conv), and on this
// machine its blocked kernel ran conv2 at batch 100 no faster than im2col + OpenBLAS.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/kernels/conv_direct.h"
#include "engine/kernels/conv_pool.h"
#include "engine/kernels/conv_winograd.h"
#include "engine/kernels/gemm_backend.h"
#include "engine/kernels/registry.h"
#include "engine/kernels/spatial.h"

namespace reco::engine {
namespace {

enum class ConvPath { kAuto, kIm2Col, kDirect, kWinograd };
ConvPath ConvPathOverride() {
  static const ConvPath path = [] {
    const char* env = std::getenv("RECO_ENGINE_CONV");
    const std::string_view v = env ? env : "";
    if (v == "im2col") return ConvPath::kIm2Col;
    if (v == "direct") return ConvPath::kDirect;
    if (v == "winograd") return ConvPath::kWinograd;
    return ConvPath::kAuto;
  }();
  return path;
}
bool ForceIm2Col() { return ConvPathOverride() == ConvPath::kIm2Col; }
constexpr size_t kMaxWinogradScratchBytes = size_t{8} << 20;

// Winograd pays once the transforms are amortised over enough channels (conv1 of the CNN, C = 1, stays direct).
bool WinogradWorthIt(int64_t c, int64_t m) {
  switch (ConvPathOverride()) {
    case ConvPath::kIm2Col:
    case ConvPath::kDirect:
      return false;
    case ConvPath::kWinograd:
      return true;
    case ConvPath::kAuto:
      break;
  }
  return c >= 8 && m >= 16;
}

// col[(c*kD + kd)*kH*kW + kh*kW + kw][od*OH*OW + oh*OW + ow] = x[c][id][ih][iw] (0 in the padding).
void Im2Col(const float* x, int64_t channels, const Window3& w, float* col) {
  const int64_t out_size = w.out_size();
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * w.in_size();
    for (int64_t kd = 0; kd < w.k[0]; ++kd) {
      for (int64_t kh = 0; kh < w.k[1]; ++kh) {
        for (int64_t kw = 0; kw < w.k[2]; ++kw) {
          float* dst = col + (((c * w.k[0] + kd) * w.k[1] + kh) * w.k[2] + kw) * out_size;
          for (int64_t od = 0; od < w.out[0]; ++od) {
            const int64_t id = od * w.stride[0] - w.pad_begin[0] + kd * w.dil[0];
            for (int64_t oh = 0; oh < w.out[1]; ++oh) {
              const int64_t ih = oh * w.stride[1] - w.pad_begin[1] + kh * w.dil[1];
              float* row = dst + (od * w.out[1] + oh) * w.out[2];
              if (id < 0 || id >= w.in[0] || ih < 0 || ih >= w.in[1]) {
                std::fill(row, row + w.out[2], 0.f);
                continue;
              }
              const float* src = xc + (id * w.in[1] + ih) * w.in[2];
              const int64_t off = kw * w.dil[2] - w.pad_begin[2];
              const int64_t s = w.stride[2];
              // Output columns whose input column is inside [0, in): [lo, hi); the rest is padding.
              const int64_t lo = std::min(w.out[2], off >= 0 ? 0 : (-off + s - 1) / s);
              const int64_t hi = std::max(lo, std::min(w.out[2], w.in[2] - off <= 0 ? 0 : (w.in[2] - off + s - 1) / s));
              std::fill(row, row + lo, 0.f);
              if (s == 1) {
                std::copy(src + lo + off, src + hi + off, row + lo);
              } else {
                for (int64_t ow = lo; ow < hi; ++ow) row[ow] = src[ow * s + off];
              }
              std::fill(row + hi, row + w.out[2], 0.f);
            }
          }
        }
      }
    }
  }
}

class ConvKernel final : public OpKernel {
 public:
  explicit ConvKernel(const KernelInfo& info)
      : OpKernel(info), attrs_(WindowAttrs::Read(info)), group_(info.GetInt("group", 1)),
        act_(info.fused_activation()), pool_(info.GetInt(kFusedMaxPoolAttr, 0) != 0) {
    if (!WindowAttrs::ValidAutoPad(info)) SetInitError(Error("unknown auto_pad " + info.GetString("auto_pad", "")));
    if (group_ <= 0) SetInitError(Error("group must be positive"));
    if (pool_ && act_.kind != Activation::Kind::kNone && act_.kind != Activation::Kind::kRelu) {
      SetInitError(Error("a fused max pool needs no activation or Relu"));
    }
    const TensorView* w = info.constant_input(1);
    if (w && group_ > 0 && w->dtype == DType::kFloat32 && w->shape.rank() >= 3 && w->shape[0] > 0 &&
        w->shape[0] % group_ == 0) {
      const int64_t m = w->shape[0], kdim = w->num_elements() / m;
      const bool strided = std::any_of(attrs_.strides.begin(), attrs_.strides.end(), [](int64_t v) { return v != 1; });
      const bool dilated = std::any_of(attrs_.dilations.begin(), attrs_.dilations.end(), [](int64_t v) { return v != 1; });
      if (w->shape.rank() == 4 && w->shape[2] == 3 && w->shape[3] == 3 && group_ == 1 && !strided && !dilated &&
          WinogradWorthIt(w->shape[1], m)) {
        winograd_w_ = PackWinogradWeights(w->data_as<float>(), m, w->shape[1]);
      }
      packed_w_ = PackDirectConvWeights(w->data_as<float>(), m, group_, kdim);
    }
  }

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const TensorView* w = ctx.input_meta(1);
    const TensorView* b = ctx.num_inputs() > 2 ? ctx.input_meta(2) : nullptr;
    if (x->dtype != DType::kFloat32 || w->dtype != DType::kFloat32 || (b && b->dtype != DType::kFloat32)) {
      return Unimplemented("only float32 is supported, got " + std::string(DTypeName(x->dtype)));
    }
    const int rank = x->shape.rank();
    if (rank < 3 || w->shape.rank() != rank) return Error("X " + x->shape.ToString() + " and W " + w->shape.ToString() + " must be [N,C,...] and [M,C/group,...] of equal rank >= 3");
    const int64_t n = x->shape[0], c = x->shape[1], m = w->shape[0];
    if (c % group_ != 0 || m % group_ != 0 || w->shape[1] * group_ != c) {
      return Error("channels do not match: X " + x->shape.ToString() + ", W " + w->shape.ToString() + ", group " + std::to_string(group_));
    }
    if (b && b->num_elements() != m) return Error("B must have M = " + std::to_string(m) + " elements");
    std::vector<int64_t> in_dims, kernel;
    for (int d = 2; d < rank; ++d) {
      in_dims.push_back(x->shape[d]);
      kernel.push_back(w->shape[d]);
    }
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel) return Error("kernel_shape does not match W");
    auto plan = std::make_shared<Plan>();
    if (std::string err = ResolveWindow(attrs_, in_dims, kernel, &plan->win); !err.empty()) return Error(err);
    const Window3& win = plan->win;
    if (pool_ && rank != 4) return Error("a fused max pool needs a 2-D conv");
    plan->direct = win.k_size() == 1 && win.stride[0] * win.stride[1] * win.stride[2] == 1 &&
                   win.pad_begin[0] + win.pad_begin[1] + win.pad_begin[2] + win.pad_end[0] + win.pad_end[1] + win.pad_end[2] == 0;
    if (winograd_w_ && winograd_w_->c == c && winograd_w_->m == m && WinogradApplies(win, group_)) {
      plan->winograd = MakeWinogradPlan(win, c, m, pool_);
      // The transformed tiles of a whole image live in scratch (16 x tiles x (C + M) floats); large images
      // (no tile blocking yet) take the direct path rather than a scratch of tens of MB.
      plan->use_winograd = plan->winograd.scratch_bytes() <= kMaxWinogradScratchBytes;
    }
    if (!plan->use_winograd && !plan->direct && !ForceIm2Col() && DirectConvApplies(win)) {
      plan->conv = MakeDirectConvPlan(win, c, m, group_, !packed_w_.empty(), pool_);
      plan->use_direct_conv = c / group_ * plan->conv.plane < INT32_MAX;
    }
    if (plan->use_winograd) {
      ctx.request_scratch(plan->winograd.scratch_bytes());
    } else if (plan->use_direct_conv) {
      ctx.request_scratch(plan->conv.scratch_bytes());
    } else {
      // GEMM paths: the column matrix (not for 1x1), then with a fused pool one image's unpooled output.
      plan->col_floats = plan->direct ? 0 : static_cast<size_t>(c / group_ * win.k_size() * win.out_size());
      plan->col_floats = (plan->col_floats + 15) / 16 * 16;
      const size_t unpooled = pool_ ? static_cast<size_t>(m * win.out_size()) : 0;
      ctx.request_scratch((plan->col_floats + unpooled) * sizeof(float));
    }
    Shape out{n, m};
    for (int d = 0; d < rank - 2; ++d) out.push_back(win.out[3 - (rank - 2) + d] / (pool_ ? 2 : 1));
    ctx.set_output(0, DType::kFloat32, out);
    ctx.set_plan_state(std::move(plan));
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    SetGemmThreads(ctx.intra_op_threads());
    const Plan& p = *ctx.plan_state<Plan>();
    const Window3& win = p.win;
    const TensorView& x = *ctx.input(0);
    const TensorView& w = *ctx.input(1);
    const TensorView* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    TensorView& y = ctx.output(0);
    const int64_t n = x.shape[0], c = x.shape[1], m = w.shape[0];
    const int64_t cg = c / group_, mg = m / group_, kdim = cg * win.k_size(), out_size = win.out_size();
    const float* xv = x.data_as<float>();
    const float* wv = w.data_as<float>();
    float* yv = y.data_as<float>();
    float* col = static_cast<float*>(ctx.scratch());
    if (p.use_winograd) {
      RunWinogradConv(p.winograd, *winograd_w_, n, xv, b ? b->data_as<float>() : nullptr, act_, yv, col);
      return Status::Ok();
    }
    if (p.use_direct_conv) {
      RunDirectConv(p.conv, n, xv, wv, packed_w_.empty() ? nullptr : packed_w_.data(), b ? b->data_as<float>() : nullptr,
                    act_, yv, col);
      return Status::Ok();
    }
    // With a fused pool each image's conv output goes to scratch (after the column matrix) and is pooled from
    // there into Y.
    float* unpooled = col + p.col_floats;
    const int64_t pooled_plane = (win.out[1] / 2) * (win.out[2] / 2);
    for (int64_t img = 0; img < n; ++img) {
      for (int64_t g = 0; g < group_; ++g) {
        const float* xg = xv + (img * c + g * cg) * win.in_size();
        float* yg = pool_ ? unpooled + g * mg * out_size : yv + (img * m + g * mg) * out_size;
        float beta = 0.f;
        if (b) {
          const float* bias = b->data_as<float>() + g * mg;
          for (int64_t o = 0; o < mg; ++o) std::fill(yg + o * out_size, yg + (o + 1) * out_size, bias[o]);
          beta = 1.f;
        }
        const float* rhs = xg;
        if (!p.direct) {
          Im2Col(xg, cg, win, col);
          rhs = col;
        }
        Sgemm(false, false, mg, out_size, kdim, 1.f, wv + g * mg * kdim, kdim, rhs, out_size, beta, yg, out_size);
      }
      if (pool_) {
        for (int64_t o = 0; o < m; ++o) {
          MaxPool2x2Plane(unpooled + o * out_size, win.out[2], win.out[1], win.out[2],
                          yv + (img * m + o) * pooled_plane, act_);
        }
      }
    }
    if (!pool_) ApplyActivation(act_, yv, y.num_elements());
    return Status::Ok();
  }

 private:
  struct Plan {
    Window3 win;
    bool direct = false;  // 1x1, stride 1, no padding: X is already the column matrix
    bool use_direct_conv = false;
    DirectConvPlan conv;
    bool use_winograd = false;
    WinogradPlan winograd;
    size_t col_floats = 0;  // GEMM paths: the column matrix's share of the scratch
  };
  WindowAttrs attrs_;
  int64_t group_;
  Activation act_;
  bool pool_;  // fused 2x2 max pool (conv_pool.h)
  std::unique_ptr<const WinogradWeights> winograd_w_;  // constant 3x3 W transformed for Winograd, when it applies
  std::vector<float> packed_w_;  // constant W in the direct path's layout (empty when W is not a constant)
};

}  // namespace

void RegisterConvKernels(KernelRegistry* r) { r->Add<ConvKernel>("Conv", 1, 17, KernelDef::kFusableActivation); }

}  // namespace reco::engine
