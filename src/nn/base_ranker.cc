#include "nn/base_ranker.h"

#include <torch/torch.h>

namespace reco::nn {

BaseRanker::BaseRanker(const RankerConfig& c) : config_(c) {
  emb = register_module("emb", BehaviorEmbeddings(c));
  mlp = register_module("mlp", RankerMlp(6 * c.emb_dim, c));
}

RankerOutput BaseRanker::Forward(const RankerBatch& b) {
  const int64_t batch = b.target_item.size(0);
  const int64_t hist_batch = b.hist_item.size(0);
  TORCH_CHECK(hist_batch > 0 && batch % hist_batch == 0, "base: history batch ", hist_batch, " must divide ", batch);
  const torch::Tensor h = emb->History(b);  // [H, L, E]
  const torch::Tensor t = emb->Target(b);   // [B, E]
  torch::Tensor pooled = torch::matmul(b.hist_mask.unsqueeze(1), h).squeeze(1);  // [H, E]: masked sum
  if (config_.pooling == "mean") pooled = pooled / b.hist_mask.sum(1, /*keepdim=*/true).clamp_min(1.0);
  const int64_t e = pooled.size(1);
  pooled = pooled.unsqueeze(1).expand({hist_batch, batch / hist_batch, e}).reshape({batch, e});  // row r: r / G
  RankerOutput out;
  out.logit = mlp->forward(torch::cat({pooled, t, pooled * t}, -1));
  return out;
}

std::vector<torch::Tensor> BaseRanker::embedding_tables() {
  return {emb->item->weight, emb->cate->weight, emb->type->weight, emb->recency->weight};
}

}  // namespace reco::nn
