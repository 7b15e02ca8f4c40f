#include "nn/seed_mlp.h"

#include <torch/torch.h>

namespace reco::nn {

SeedMlpRanker::SeedMlpRanker(const RankerConfig& c) : config_(c) {
  fc1 = register_module("fc1", torch::nn::Linear(2 * c.seed_features, kHidden1));
  fc2 = register_module("fc2", torch::nn::Linear(kHidden1, kHidden2));
  fc3 = register_module("fc3", torch::nn::Linear(kHidden2, 1));
}

RankerOutput SeedMlpRanker::Forward(const RankerBatch& b) {
  TORCH_CHECK(b.user_input.defined() && b.item_input.defined(), "seed-mlp: user_input and item_input are required");
  torch::Tensor x = torch::cat({b.user_input, b.item_input}, 1);
  x = torch::relu(fc2->forward(torch::relu(fc1->forward(x))));
  RankerOutput out;
  out.logit = fc3->forward(x).squeeze(-1);
  return out;
}

}  // namespace reco::nn
