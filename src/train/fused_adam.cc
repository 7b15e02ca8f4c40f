#include "train/fused_adam.h"

#include <torch/torch.h>

#include <cmath>

namespace reco::train {
namespace {

bool CanFuse(const torch::Tensor& p, const torch::Tensor& g) {
  return p.scalar_type() == torch::kFloat32 && g.scalar_type() == torch::kFloat32 && p.is_contiguous() &&
         g.is_contiguous() && p.device().is_cpu() && !g.is_sparse();
}

// One pass over a parameter; cloned for AVX2 so the update runs 8 lanes wide where the CPU allows.
__attribute__((target_clones("avx2", "default"))) void AdamUpdate(float* __restrict w, const float* __restrict g,
                                                                 float* __restrict m, float* __restrict v, int64_t n,
                                                                 float beta1, float beta2, float eps,
                                                                 float weight_decay, float step_size,
                                                                 float inv_sqrt_bc2) {
  if (weight_decay != 0.0f) {
    for (int64_t i = 0; i < n; ++i) {
      const float gi = g[i] + weight_decay * w[i];
      m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
      v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
      w[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (1.0f - beta1) * g[i];
    v[i] = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
    w[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace

bool FusedAdam::AllFusable() {
  for (auto& group : param_groups()) {
    if (static_cast<torch::optim::AdamOptions&>(group.options()).amsgrad()) return false;
    for (auto& p : group.params()) {
      if (p.grad().defined() && !CanFuse(p, p.grad())) return false;
    }
  }
  return true;
}

torch::Tensor FusedAdam::step(LossClosure closure) {
  // Rare path (AMSGrad, doubles, strided params): LibTorch's implementation for the whole step.
  if (!AllFusable()) return torch::optim::Adam::step(std::move(closure));
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups()) {
    auto& options = static_cast<torch::optim::AdamOptions&>(group.options());
    const float beta1 = static_cast<float>(std::get<0>(options.betas()));
    const float beta2 = static_cast<float>(std::get<1>(options.betas()));
    const float eps = static_cast<float>(options.eps());
    const float weight_decay = static_cast<float>(options.weight_decay());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const torch::Tensor& grad = p.grad();
      auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
      auto it = state().find(key);
      if (it == state().end()) {
        auto fresh = std::make_unique<torch::optim::AdamParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        it = state().emplace(key, std::move(fresh)).first;
      }
      auto& st = static_cast<torch::optim::AdamParamState&>(*it->second);
      st.step(st.step() + 1);
      const double bc1 = 1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(st.step()));
      const double bc2 = 1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(st.step()));
      const float step_size = static_cast<float>(options.lr() / bc1);
      const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
      AdamUpdate(p.data_ptr<float>(), grad.data_ptr<float>(), st.exp_avg().data_ptr<float>(),
                 st.exp_avg_sq().data_ptr<float>(), p.numel(), beta1, beta2, eps, weight_decay, step_size,
                 inv_sqrt_bc2);
    }
  }
  return loss;
}

void ClearGradients(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups()) {
    for (auto& p : group.params()) {
      if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
    }
  }
}

}  // namespace reco::train
