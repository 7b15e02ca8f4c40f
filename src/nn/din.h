// DinRanker: the Deep Interest Network (Zhou et al., KDD 2018) with behaviour-type and recency features.
//
// For candidate t (item ⊕ category embedding, 2D wide) and history entries h_l (same space), the local activation
// unit scores each entry with an MLP on
//     a_l = [h_l, t, h_l − t, h_l ⊙ t, type_l, recency_l]        (8D + type_dim + recency_dim wide)
// → Linear → Dice → … → Linear(·, 1), so a cart or buy, or a recent view, can weigh more than an old view of the
// same item (beyond the paper). The weights w_l are used raw (the paper: no softmax, so their sum carries
// intensity) or, with attention_softmax, softmax-normalised over the real entries; padding gets weight 0.
// pooled = Σ_l w_l·h_l; the final MLP sees [pooled, t, pooled ⊙ t] (the product makes "interest matches candidate"
// a first-layer feature; base uses the same input so the comparison isolates the attention).
//
// The first attention layer keeps the paper's parameterisation W (one Linear over a_l) but is evaluated factored,
//     W·a_l = (W_h + W_{h−t})·h_l + W_tr·[type_l, recency_l] + (W_t − W_{h−t})·t + W_{h⊙t}·(h_l ⊙ t),
// so the history term is computed once per history ([H, L]) rather than per candidate, and a_l is never built:
// with H = 1 (online serving) that removes most of the work. The ONNX exporter emits the same factored form.
// Training batches (float CPU, 0/1 mask) run the whole attention unit as one fused autograd Function over the real
// history entries only (nn/din_attention.h); evaluation, and training with set_fused_attention(false), run the
// same maths op by op.
// Thread-safety: see ranker.h.
#pragma once

#include <torch/nn/modules/linear.h>

#include <vector>

#include "nn/dice.h"
#include "nn/ranker.h"
#include "nn/ranker_parts.h"

namespace reco::nn {

class DinRanker : public RankerModel {
 public:
  explicit DinRanker(const RankerConfig& config);

  RankerOutput Forward(const RankerBatch& batch) override;
  const RankerConfig& config() const override { return config_; }
  std::vector<torch::Tensor> embedding_tables() override;

  // Factored blocks of the first attention layer's weight [A1, 8D + Dt + Dr] (see the header comment).
  torch::Tensor AttentionHistoryWeight() const;   // [A1, 2D + Dt + Dr]: (W_h + W_{h−t}) ⊕ W_tr
  torch::Tensor AttentionTargetWeight() const;    // [A1, 2D]: W_t − W_{h−t}
  torch::Tensor AttentionProductWeight() const;   // [A1, 2D]: W_{h⊙t}

  // Added to masked-out scores before the optional softmax (finite, so an all-padding row gives 0, not NaN).
  static constexpr double kMaskedScore = -1e9;

  // Training forward through FusedDinAttention (default) or the op-by-op path (the tests' reference).
  void set_fused_attention(bool fused) { fused_attention_ = fused; }

  BehaviorEmbeddings emb{nullptr};
  std::vector<torch::nn::Linear> att_fc;  // attention hidden layers; att_fc[0] is the factored one
  std::vector<Dice> att_dice;
  torch::nn::Linear att_out{nullptr};     // A_last -> 1
  RankerMlp mlp{nullptr};

 private:
  // Raw attention scores [B, L] of the op-by-op path (any value at padded entries).
  torch::Tensor AttentionScores(const torch::Tensor& h, const torch::Tensor& hist_ext, const torch::Tensor& t,
                                const torch::Tensor& mask);

  RankerConfig config_;
  bool fused_attention_ = true;
};

}  // namespace reco::nn
