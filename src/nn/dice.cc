#include "nn/dice.h"

#include <torch/torch.h>

#include "nn/dice_fused.h"

namespace reco::nn {

DiceImpl::DiceImpl(int64_t features, double eps, double momentum)
    : alpha(register_parameter("alpha", torch::zeros({features}))),
      running_mean(register_buffer("running_mean", torch::zeros({features}))),
      running_var(register_buffer("running_var", torch::ones({features}))),
      features_(features),
      eps_(eps),
      momentum_(momentum) {}

torch::Tensor DiceImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  if (is_training() && fused_ && x.scalar_type() == torch::kFloat && x.device().is_cpu() && x.size(-1) == features_ &&
      x.numel() > 0) {
    const std::vector<int64_t> lead(x.sizes().begin(), x.sizes().end() - 1);
    torch::Tensor w;
    if (mask.defined()) w = mask.to(torch::kFloat).expand(lead).reshape({-1}).contiguous();
    return FusedDiceTrain(x.reshape({-1, features_}), w, alpha, eps_, running_mean, running_var, momentum_)
        .view(x.sizes());
  }
  return Reference(x, mask);
}

torch::Tensor DiceImpl::Reference(const torch::Tensor& x, const torch::Tensor& mask) {
  torch::Tensor normed;
  if (is_training()) {
    const torch::Tensor flat = x.reshape({-1, features_});
    torch::Tensor mean, var;
    if (mask.defined()) {
      // Weighted statistics over the real positions: w is [N, 1], count clamps at 1 for an all-padding batch.
      const std::vector<int64_t> lead(x.sizes().begin(), x.sizes().end() - 1);
      const torch::Tensor w = mask.expand(lead).reshape({-1, 1});
      const torch::Tensor count = w.sum().clamp_min(1.0);
      mean = (flat * w).sum(0) / count;
      var = ((flat - mean).square() * w).sum(0) / count;
    } else {
      mean = flat.mean(0);
      var = flat.var(0, /*unbiased=*/false);
    }
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1.0 - momentum_).add_(mean.detach(), momentum_);
      running_var.mul_(1.0 - momentum_).add_(var.detach(), momentum_);
    }
    normed = (x - mean) * torch::rsqrt(var + eps_);
  } else {
    normed = torch::addcmul(FrozenShift(), x, FrozenScale());
  }
  const torch::Tensor p = torch::sigmoid(normed);
  // s·(α + (1 − α)·p): one fused expression instead of p·s + (1 − p)·α·s.
  return x * torch::addcmul(alpha, 1.0 - alpha, p);
}

torch::Tensor DiceImpl::FrozenScale() const { return torch::rsqrt(running_var + eps_); }

torch::Tensor DiceImpl::FrozenShift() const { return -running_mean * FrozenScale(); }

}  // namespace reco::nn
