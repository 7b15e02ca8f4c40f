// Building blocks shared by the `din` and `base` rankers: the behaviour/target embeddings and the final MLP.
//
// BehaviorEmbeddings owns the item, category, behaviour-type and recency tables (row 0 = padding, kept at zero
// and never updated: padding_idx). A behaviour vector is h = item ⊕ category embedding (2·emb_dim); the target
// vector t is built the same way, so h and t live in one space and the attention unit can compare them.
// RankerMlp is Linear → (Dice | PReLU) per hidden width → Linear(·, 1), returning the logit [B].
// Thread-safety: torch Modules (see ranker.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "nn/dice.h"
#include "nn/ranker.h"

namespace reco::nn {

class BehaviorEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BehaviorEmbeddingsImpl(const RankerConfig& config);

  torch::Tensor History(const RankerBatch& batch);   // [H, L, 2D]
  torch::Tensor Target(const RankerBatch& batch);    // [B, 2D]
  torch::Tensor TypeRecency(const RankerBatch& batch);  // [H, L, type_dim + recency_dim]

  torch::nn::Embedding item{nullptr}, cate{nullptr}, type{nullptr}, recency{nullptr};
};
TORCH_MODULE(BehaviorEmbeddings);

class RankerMlpImpl : public torch::nn::Module {
 public:
  RankerMlpImpl(int64_t in_features, const RankerConfig& config);
  torch::Tensor forward(const torch::Tensor& x);  // [B, in] -> logit [B]

  bool uses_dice() const { return use_dice_; }

  std::vector<torch::nn::Linear> hidden;
  std::vector<Dice> dice;                  // one per hidden layer when activation == "dice"
  std::vector<torch::nn::PReLU> prelu;     // one per hidden layer when activation == "prelu"
  torch::nn::Linear out{nullptr};

 private:
  bool use_dice_;
};
TORCH_MODULE(RankerMlp);

// Initial embedding weights: N(0, kEmbeddingInitStd), padding row zero.
inline constexpr double kEmbeddingInitStd = 0.05;

}  // namespace reco::nn
