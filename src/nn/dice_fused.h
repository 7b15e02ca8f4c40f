// Fused training-mode Dice (nn/dice.h) for float32 CPU tensors: forward and backward as a LibTorch autograd
// Function with hand-written loops instead of ~10 elementwise ops forward and ~15 backward.
//
// Same math as the reference expression in DiceImpl (masked batch statistics, then x·(α + (1 − α)·p)); the
// backward is the batch-normalisation gradient with weights w (the mask):
//   q = g·x·(1 − α)·p·(1 − p),  A = Σ q,  B = Σ q·s  (per feature, over all positions)
//   dx = g·(α + (1 − α)·p) + r·(q − (w/c)·A − s·(w/c)·B),   dα = Σ g·x·(1 − p)
// with s = (x − μ)·r, r = 1/sqrt(σ² + eps), c = Σ w. Sums run over fixed blocks combined in order, so results do
// not depend on the LibTorch thread count. Running statistics are updated in place (no autograd).
// Thread-safety: stateless; uses the LibTorch intra-op pool.
#pragma once

#include <torch/types.h>

namespace reco::nn {

// x: [N, F] float32 contiguous (any leading shape is flattened by the caller); weights: float32 [N] (0/1 mask) or
// undefined (all ones); alpha [F]. Returns y [N, F] (same shape as x).
torch::Tensor FusedDiceTrain(const torch::Tensor& x, const torch::Tensor& weights, const torch::Tensor& alpha,
                             double eps, torch::Tensor& running_mean, torch::Tensor& running_var, double momentum);

}  // namespace reco::nn
