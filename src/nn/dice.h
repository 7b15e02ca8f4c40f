// Dice: the data-adaptive activation of DIN (Zhou et al., KDD 2018, §4.3).
//
//   p(s) = sigmoid((s − E[s]) / sqrt(Var[s] + eps)),   f(s) = p(s)·s + (1 − p(s))·α·s = s·(α + (1 − α)·p(s))
//
// per feature (the last dimension). In training, E and Var are the (biased) statistics of the current batch over
// every leading position — optionally weighted by a 0/1 mask, so padded history entries do not skew them — and
// the running averages are updated with `momentum` (running = (1 − m)·running + m·batch). In eval mode the running
// averages are used: the activation is then a fixed per-feature function, which is what the ONNX export freezes
// into constants (scale = 1/sqrt(running_var + eps), shift = −running_mean·scale). α is learnable, initialised to 0.
// Training runs the fused kernel of dice_fused.h (same math, ~3 passes forward and 2 backward).
// Thread-safety: a torch Module; eval-mode forward is read-only, train-mode forward mutates the running buffers.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace reco::nn {

class DiceImpl : public torch::nn::Module {
 public:
  DiceImpl(int64_t features, double eps, double momentum);

  // x: [..., F]. mask (optional, training only): float 0/1 broadcastable to x.shape[:-1]; statistics are taken
  // over the positions where it is 1 (all positions when undefined). Eval mode ignores the mask.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});
  // The same with plain LibTorch ops (what forward runs for non-float/non-CPU input, and the tests' reference for
  // the fused training path of dice_fused.h).
  torch::Tensor Reference(const torch::Tensor& x, const torch::Tensor& mask = {});
  // Training forward/backward through FusedDiceTrain (default) or the reference ops.
  void set_fused(bool fused) { fused_ = fused; }

  // Eval-mode affine form of the normalisation: p = sigmoid(x·scale + shift). Both [F].
  torch::Tensor FrozenScale() const;
  torch::Tensor FrozenShift() const;

  int64_t features() const { return features_; }
  double eps() const { return eps_; }

  torch::Tensor alpha;                       // [F], learnable
  torch::Tensor running_mean, running_var;   // [F], buffers (start at 0 and 1)

 private:
  int64_t features_;
  double eps_, momentum_;
  bool fused_ = true;
};
TORCH_MODULE(Dice);

}  // namespace reco::nn
