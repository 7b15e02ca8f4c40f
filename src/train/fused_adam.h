// FusedAdam: torch::optim::Adam with a one-pass update per parameter.
//
// LibTorch's Adam issues ~8 tensor ops per parameter per step; for small models (the tutorial MLP has six
// parameter tensors) their dispatch overhead costs more than the arithmetic. This subclass keeps Adam's
// options, state layout (AdamParamState) and serialization, and so its checkpoints, but updates each
// contiguous float parameter in a single loop with the same formula as torch (bias-corrected, eps added
// after the bias-corrected sqrt). AMSGrad, non-float or non-contiguous parameters use the base step.
// Thread-safety: as torch::optim::Adam (one training loop owns it).
#pragma once

#include <torch/optim/adam.h>

#include <vector>

namespace reco::train {

class FusedAdam : public torch::optim::Adam {
 public:
  FusedAdam(std::vector<torch::Tensor> params, torch::optim::AdamOptions options)
      : torch::optim::Adam(std::move(params), std::move(options)) {}
  torch::Tensor step(LossClosure closure = nullptr) override;

 private:
  bool AllFusable();
};

// Drops gradients instead of zeroing them (PyTorch's set_to_none): the next backward writes fresh ones.
void ClearGradients(torch::optim::Optimizer& optimizer);

}  // namespace reco::train
