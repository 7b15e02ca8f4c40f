#include "nn/dice_fused.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace reco::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per block of the reductions: fixed, so the summation order never depends on the thread count.
constexpr int64_t kBlockRows = 256;

int64_t NumBlocks(int64_t n) { return (n + kBlockRows - 1) / kBlockRows; }

// Runs fn(block, row_begin, row_end) for every block, in parallel.
template <typename Fn>
void ForBlocks(int64_t n, Fn fn) {
  at::parallel_for(0, NumBlocks(n), 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) fn(b, b * kBlockRows, std::min(n, (b + 1) * kBlockRows));
  });
}

// Sums per-block partials [blocks, F] in block order into out[F].
void SumBlocks(const std::vector<double>& partial, int64_t blocks, int64_t f, double* out) {
  std::fill(out, out + f, 0.0);
  for (int64_t b = 0; b < blocks; ++b) {
    for (int64_t j = 0; j < f; ++j) out[j] += partial[b * f + j];
  }
}

struct DiceFunction : public torch::autograd::Function<DiceFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in, const torch::Tensor& alpha_in,
                               const torch::Tensor& w_in, double eps, torch::Tensor running_mean,
                               torch::Tensor running_var, double momentum) {
    const torch::Tensor x = x_in.contiguous();
    const torch::Tensor alpha = alpha_in.contiguous();
    const int64_t n = x.size(0), f = x.size(1), blocks = NumBlocks(n);
    const float* xp = x.data_ptr<float>();
    const float* wp = w_in.numel() > 0 ? w_in.data_ptr<float>() : nullptr;
    const float* ap = alpha.data_ptr<float>();

    // Pass 1: weighted sums -> mean; pass 2: weighted squared deviations -> variance.
    std::vector<double> partial(blocks * f), count_partial(blocks);
    ForBlocks(n, [&](int64_t b, int64_t r0, int64_t r1) {
      double* acc = &partial[b * f];
      std::fill(acc, acc + f, 0.0);
      double cnt = 0;
      for (int64_t r = r0; r < r1; ++r) {
        const float w = wp ? wp[r] : 1.0f;
        if (w == 0.0f) continue;
        cnt += w;
        const float* row = xp + r * f;
        for (int64_t j = 0; j < f; ++j) acc[j] += static_cast<double>(w * row[j]);
      }
      count_partial[b] = cnt;
    });
    double count = 0;
    for (double c : count_partial) count += c;
    count = std::max(count, 1.0);
    std::vector<double> mean_d(f), var_d(f);
    SumBlocks(partial, blocks, f, mean_d.data());
    for (auto& m : mean_d) m /= count;
    std::vector<float> mean(mean_d.begin(), mean_d.end());
    ForBlocks(n, [&](int64_t b, int64_t r0, int64_t r1) {
      double* acc = &partial[b * f];
      std::fill(acc, acc + f, 0.0);
      for (int64_t r = r0; r < r1; ++r) {
        const float w = wp ? wp[r] : 1.0f;
        if (w == 0.0f) continue;
        const float* row = xp + r * f;
        for (int64_t j = 0; j < f; ++j) {
          const float d = row[j] - mean[j];
          acc[j] += static_cast<double>(w * d * d);
        }
      }
    });
    SumBlocks(partial, blocks, f, var_d.data());
    torch::Tensor stats = torch::empty({2, f});  // mean, rstd (saved for backward)
    float* mp = stats.data_ptr<float>();
    float* rp = mp + f;
    for (int64_t j = 0; j < f; ++j) {
      var_d[j] /= count;
      mp[j] = mean[j];
      rp[j] = static_cast<float>(1.0 / std::sqrt(var_d[j] + eps));
    }
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor batch_var = torch::from_blob(var_d.data(), {f}, torch::kDouble).to(torch::kFloat);
      running_mean.mul_(1.0 - momentum).add_(stats[0], momentum);
      running_var.mul_(1.0 - momentum).add_(batch_var, momentum);
    }

    // Pass 3: p = sigmoid((x − μ)·r), y = x·(α + (1 − α)·p). p is kept for the backward.
    torch::Tensor y = torch::empty_like(x), p = torch::empty_like(x);
    float* yp = y.data_ptr<float>();
    float* pp = p.data_ptr<float>();
    at::parallel_for(0, n, kBlockRows, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* row = xp + r * f;
        float* prow = pp + r * f;
        float* yrow = yp + r * f;
        for (int64_t j = 0; j < f; ++j) {
          const float s = (row[j] - mp[j]) * rp[j];
          const float pj = 1.0f / (1.0f + std::exp(-s));
          prow[j] = pj;
          yrow[j] = row[j] * (ap[j] + (1.0f - ap[j]) * pj);
        }
      }
    });
    ctx->save_for_backward({x, alpha, p, stats});
    ctx->saved_data["has_w"] = wp != nullptr;
    if (wp != nullptr) ctx->saved_data["w"] = w_in;
    ctx->saved_data["count"] = count;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& alpha = saved[1];
    const torch::Tensor& p = saved[2];
    const torch::Tensor& stats = saved[3];
    const torch::Tensor g = grads[0].contiguous();
    const torch::Tensor w = ctx->saved_data["has_w"].toBool() ? ctx->saved_data["w"].toTensor() : torch::Tensor();
    const double count = ctx->saved_data["count"].toDouble();
    const int64_t n = x.size(0), f = x.size(1), blocks = NumBlocks(n);
    const float* xp = x.data_ptr<float>();
    const float* pp = p.data_ptr<float>();
    const float* gp = g.data_ptr<float>();
    const float* ap = alpha.data_ptr<float>();
    const float* mp = stats.data_ptr<float>();
    const float* rp = mp + f;
    const float* wp = w.defined() ? w.data_ptr<float>() : nullptr;

    // Pass 1: per-feature sums A = Σ q, B = Σ q·s, dα = Σ g·x·(1 − p).
    std::vector<double> part_a(blocks * f), part_b(blocks * f), part_alpha(blocks * f);
    ForBlocks(n, [&](int64_t b, int64_t r0, int64_t r1) {
      double* pa = &part_a[b * f];
      double* pb = &part_b[b * f];
      double* pal = &part_alpha[b * f];
      std::fill(pa, pa + f, 0.0), std::fill(pb, pb + f, 0.0), std::fill(pal, pal + f, 0.0);
      for (int64_t r = r0; r < r1; ++r) {
        const float* xr = xp + r * f;
        const float* pr = pp + r * f;
        const float* gr = gp + r * f;
        for (int64_t j = 0; j < f; ++j) {
          const float gx = gr[j] * xr[j];
          const float q = gx * (1.0f - ap[j]) * pr[j] * (1.0f - pr[j]);
          const float s = (xr[j] - mp[j]) * rp[j];
          pa[j] += q;
          pb[j] += q * s;
          pal[j] += gx * (1.0f - pr[j]);
        }
      }
    });
    std::vector<double> sum_a(f), sum_b(f), sum_alpha(f);
    SumBlocks(part_a, blocks, f, sum_a.data());
    SumBlocks(part_b, blocks, f, sum_b.data());
    SumBlocks(part_alpha, blocks, f, sum_alpha.data());
    std::vector<float> a_c(f), b_c(f);
    for (int64_t j = 0; j < f; ++j) {
      a_c[j] = static_cast<float>(sum_a[j] / count);
      b_c[j] = static_cast<float>(sum_b[j] / count);
    }

    // Pass 2: dx.
    torch::Tensor dx = torch::empty_like(x);
    float* dp = dx.data_ptr<float>();
    at::parallel_for(0, n, kBlockRows, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* xr = xp + r * f;
        const float* pr = pp + r * f;
        const float* gr = gp + r * f;
        float* dr = dp + r * f;
        const float wr = wp ? wp[r] : 1.0f;
        for (int64_t j = 0; j < f; ++j) {
          const float s = (xr[j] - mp[j]) * rp[j];
          const float q = gr[j] * xr[j] * (1.0f - ap[j]) * pr[j] * (1.0f - pr[j]);
          dr[j] = gr[j] * (ap[j] + (1.0f - ap[j]) * pr[j]) + rp[j] * (q - wr * (a_c[j] + s * b_c[j]));
        }
      }
    });
    torch::Tensor dalpha = torch::from_blob(sum_alpha.data(), {f}, torch::kDouble).to(torch::kFloat);
    return {dx, dalpha, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor FusedDiceTrain(const torch::Tensor& x, const torch::Tensor& weights, const torch::Tensor& alpha,
                             double eps, torch::Tensor& running_mean, torch::Tensor& running_var, double momentum) {
  // Autograd Functions cannot take undefined tensors: "no weights" travels as an empty tensor.
  const torch::Tensor w = weights.defined() ? weights : torch::empty({0});
  TORCH_CHECK(w.numel() == 0 || w.numel() == x.size(0), "dice: ", w.numel(), " weights for ", x.size(0), " rows");
  return DiceFunction::apply(x, alpha, w, eps, running_mean, running_var, momentum);
}

}  // namespace reco::nn
