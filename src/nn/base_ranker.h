// BaseRanker: the DIN paper's BaseModel — the same embeddings and final MLP as DinRanker, but the history is
// pooled without attention: masked sum or mean (config.pooling) of the behaviour vectors h_l = item ⊕ category.
// The final MLP sees [pooled, t, pooled ⊙ t], exactly as in DinRanker, so din vs base measures the attention.
// Behaviour-type/recency tables exist (same parameters as din) but base's pooling does not use them.
// Pooling happens once per history ([H, E]) and is broadcast over the candidates.
// Thread-safety: see ranker.h.
#pragma once

#include <vector>

#include "nn/ranker.h"
#include "nn/ranker_parts.h"

namespace reco::nn {

class BaseRanker : public RankerModel {
 public:
  explicit BaseRanker(const RankerConfig& config);

  RankerOutput Forward(const RankerBatch& batch) override;  // attention stays undefined
  const RankerConfig& config() const override { return config_; }
  std::vector<torch::Tensor> embedding_tables() override;

  BehaviorEmbeddings emb{nullptr};
  RankerMlp mlp{nullptr};

 private:
  RankerConfig config_;
};

}  // namespace reco::nn
