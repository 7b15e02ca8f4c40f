// SeedMlpRanker: the seed's two-input model, cat(user_input [B, F], item_input [B, F]) → 128 → ReLU → 64 → ReLU
// → 1 (logit; the exported graph ends in a sigmoid named `output`, as the seed's ONNX model does).
// F = config.seed_features (8 in the contract); the features are computed from the logs by src/data.
// Thread-safety: see ranker.h.
#pragma once

#include <torch/nn/modules/linear.h>

#include <vector>

#include "nn/ranker.h"

namespace reco::nn {

class SeedMlpRanker : public RankerModel {
 public:
  static constexpr int64_t kHidden1 = 128;
  static constexpr int64_t kHidden2 = 64;

  explicit SeedMlpRanker(const RankerConfig& config);

  RankerOutput Forward(const RankerBatch& batch) override;  // uses user_input/item_input only
  const RankerConfig& config() const override { return config_; }
  std::vector<torch::Tensor> embedding_tables() override { return {}; }

  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};

 private:
  RankerConfig config_;
};

}  // namespace reco::nn
