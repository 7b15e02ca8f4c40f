#include "nn/ranker_parts.h"

#include <torch/torch.h>

#include <string>

namespace reco::nn {
namespace {

torch::nn::Embedding MakeTable(int64_t rows, int64_t dim, bool sparse) {
  torch::nn::Embedding e(torch::nn::EmbeddingOptions(rows, dim).padding_idx(0).sparse(sparse));
  torch::NoGradGuard no_grad;
  e->weight.normal_(0.0, kEmbeddingInitStd);
  e->weight[0].zero_();
  return e;
}

}  // namespace

BehaviorEmbeddingsImpl::BehaviorEmbeddingsImpl(const RankerConfig& c)
    : item(register_module("item", MakeTable(c.num_items, c.emb_dim, c.sparse_embeddings))),
      cate(register_module("cate", MakeTable(c.num_cates, c.emb_dim, c.sparse_embeddings))),
      type(register_module("type", MakeTable(kNumTypeIndices, c.type_dim, /*sparse=*/false))),
      recency(register_module("recency", MakeTable(kNumRecencyIndices, c.recency_dim, /*sparse=*/false))) {}

torch::Tensor BehaviorEmbeddingsImpl::History(const RankerBatch& b) {
  return torch::cat({item->forward(b.hist_item), cate->forward(b.hist_cate)}, -1);
}

torch::Tensor BehaviorEmbeddingsImpl::Target(const RankerBatch& b) {
  return torch::cat({item->forward(b.target_item), cate->forward(b.target_cate)}, -1);
}

torch::Tensor BehaviorEmbeddingsImpl::TypeRecency(const RankerBatch& b) {
  return torch::cat({type->forward(b.hist_type), recency->forward(b.hist_recency)}, -1);
}

RankerMlpImpl::RankerMlpImpl(int64_t in_features, const RankerConfig& c) : use_dice_(c.activation == "dice") {
  int64_t width = in_features;
  for (size_t i = 0; i < c.mlp_hidden.size(); ++i) {
    const std::string n = std::to_string(i);
    hidden.push_back(register_module("fc" + n, torch::nn::Linear(width, c.mlp_hidden[i])));
    if (use_dice_) {
      dice.push_back(register_module("dice" + n, Dice(c.mlp_hidden[i], c.dice_eps, c.dice_momentum)));
    } else {
      prelu.push_back(register_module(
          "prelu" + n, torch::nn::PReLU(torch::nn::PReLUOptions().num_parameters(c.mlp_hidden[i]).init(0.25))));
    }
    width = c.mlp_hidden[i];
  }
  out = register_module("out", torch::nn::Linear(width, 1));
}

torch::Tensor RankerMlpImpl::forward(const torch::Tensor& input) {
  torch::Tensor x = input;
  for (size_t i = 0; i < hidden.size(); ++i) {
    x = hidden[i]->forward(x);
    x = use_dice_ ? dice[i]->forward(x) : prelu[i]->forward(x);
  }
  return out->forward(x).squeeze(-1);
}

}  // namespace reco::nn
