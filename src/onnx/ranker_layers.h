// ONNX emitters for the ranker building blocks (nn/dice.h, nn/ranker_parts.h, nn/din.h), used by ranker_export.
//
// Contract: each function reads the module's current (eval-mode) parameters and buffers, adds them as
// initializers under `prefix`, appends nodes computing exactly what the module's eval forward computes (same
// operation order, so LibTorch and the engine agree to float rounding) and returns the output tensor name.
//   - Dice: frozen statistics become constants scale = 1/sqrt(running_var + eps), shift = −running_mean·scale;
//     y = x · (α + (1 − α) · sigmoid(x·scale + shift)).
//   - RankerMlp: Gemm → Dice|PRelu per hidden layer → Gemm to [B, 1] (the logit, not squeezed).
//   - DIN attention: the factored first layer (history term once per history, target term per candidate,
//     interaction h ⊙ t), Dice, the remaining layers, masked (optionally softmax-normalised) weights [B, L].
//   - Masked pooling: Σ_l w[b, l] · h[hb, l, :] as a broadcasting MatMul ([B, 1, L] × [H, L, E]).
// L is the history axis as fed (dynamic `hist_len` or the fixed max_history): no emitter depends on its value.
// Thread-safety: read-only on the modules; the caller must not train them concurrently.
#pragma once

#include <string>

#include "core/status.h"
#include "onnx/graph_builder.h"

namespace reco::nn {
class DiceImpl;
class RankerMlpImpl;
class DinRanker;
}  // namespace reco::nn

namespace reco::onnx_export {

StatusOr<std::string> EmitDice(GraphBuilder& b, const std::string& x, const nn::DiceImpl& dice,
                               const std::string& prefix);

StatusOr<std::string> EmitRankerMlp(GraphBuilder& b, const std::string& x, const nn::RankerMlpImpl& mlp,
                                    const std::string& prefix);

// hist: [H, L, E] behaviour vectors, hist_ext: [H, L, E + Dt + Dr] (hist ⊕ type ⊕ recency embeddings),
// target: [B, E], mask: [H, L] float. Returns the attention weights [B, L] named `output`.
StatusOr<std::string> EmitDinAttention(GraphBuilder& b, const nn::DinRanker& din, const std::string& hist,
                                       const std::string& hist_ext, const std::string& target,
                                       const std::string& mask, const std::string& output);

// Σ_l weight[b, l] · hist[hb, l, :] -> [B, E] (weight [B, L] or [H, L]; hist [H, L, E]; H broadcasts).
std::string EmitWeightedSum(GraphBuilder& b, const std::string& weight, const std::string& hist,
                            const std::string& prefix);

}  // namespace reco::onnx_export
