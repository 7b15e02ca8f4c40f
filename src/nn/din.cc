#include "nn/din.h"

#include <torch/torch.h>

#include <string>

#include "nn/din_attention.h"

namespace reco::nn {

DinRanker::DinRanker(const RankerConfig& c) : config_(c) {
  emb = register_module("emb", BehaviorEmbeddings(c));
  int64_t width = 8 * c.emb_dim + c.type_dim + c.recency_dim;
  for (size_t i = 0; i < c.attention_hidden.size(); ++i) {
    const std::string n = std::to_string(i);
    att_fc.push_back(register_module("att_fc" + n, torch::nn::Linear(width, c.attention_hidden[i])));
    att_dice.push_back(register_module("att_dice" + n, Dice(c.attention_hidden[i], c.dice_eps, c.dice_momentum)));
    width = c.attention_hidden[i];
  }
  att_out = register_module("att_out", torch::nn::Linear(width, 1));
  mlp = register_module("mlp", RankerMlp(6 * c.emb_dim, c));
}

torch::Tensor DinRanker::AttentionHistoryWeight() const {
  const torch::Tensor& w = att_fc[0]->weight;
  const int64_t e = 2 * config_.emb_dim;
  return torch::cat({w.narrow(1, 0, e) + w.narrow(1, 2 * e, e), w.narrow(1, 4 * e, w.size(1) - 4 * e)}, 1);
}

torch::Tensor DinRanker::AttentionTargetWeight() const {
  const torch::Tensor& w = att_fc[0]->weight;
  const int64_t e = 2 * config_.emb_dim;
  return w.narrow(1, e, e) - w.narrow(1, 2 * e, e);
}

torch::Tensor DinRanker::AttentionProductWeight() const {
  const int64_t e = 2 * config_.emb_dim;
  return att_fc[0]->weight.narrow(1, 3 * e, e);
}

torch::Tensor DinRanker::AttentionScores(const torch::Tensor& h, const torch::Tensor& hist_ext, const torch::Tensor& t,
                                         const torch::Tensor& mask) {
  const int64_t batch = t.size(0), hist_batch = h.size(0), group = batch / hist_batch, len = h.size(1);
  // First attention layer, factored: per-history term + per-candidate term + interaction term, computed as
  // [H, G, L, A] (= [B, L, A]) so the history-side work is done once per history.
  const int64_t e = h.size(2);
  const torch::Tensor hist_term = torch::matmul(hist_ext, AttentionHistoryWeight().t()).unsqueeze(1);  // [H,1,L,A]
  const torch::Tensor tgt_term = torch::addmm(att_fc[0]->bias, t, AttentionTargetWeight().t());         // [B, A]
  const torch::Tensor prod = h.unsqueeze(1) * t.view({hist_batch, group, 1, e});                        // [H,G,L,E]
  torch::Tensor z = torch::matmul(prod, AttentionProductWeight().t());                                  // [H,G,L,A]
  z = (z + hist_term) + tgt_term.view({hist_batch, group, 1, -1});
  z = z.view({batch, len, -1});
  z = att_dice[0]->forward(z, mask);
  for (size_t i = 1; i < att_fc.size(); ++i) z = att_dice[i]->forward(att_fc[i]->forward(z), mask);
  return att_out->forward(z).squeeze(-1);  // [B, L]
}

RankerOutput DinRanker::Forward(const RankerBatch& b) {
  const int64_t batch = b.target_item.size(0);
  const int64_t hist_batch = b.hist_item.size(0);
  TORCH_CHECK(hist_batch > 0 && batch % hist_batch == 0, "din: history batch ", hist_batch, " must divide ", batch);
  // Rows are grouped by history: row r uses history r / group (group = 1: one history per row; = B: broadcast).
  const int64_t group = batch / hist_batch, len = b.hist_mask.size(1);
  const torch::Tensor h = emb->History(b);                                   // [H, L, E]
  const torch::Tensor t = emb->Target(b);                                    // [B, E]
  const torch::Tensor mask =                                                 // [B, L]
      group == 1 ? b.hist_mask : b.hist_mask.unsqueeze(1).expand({hist_batch, group, len}).reshape({batch, len});

  torch::Tensor score;
  if (is_training() && fused_attention_) {
    FusedDinAttentionInputs in;
    in.h = h, in.target = t, in.mask = b.hist_mask;
    in.hist_type = b.hist_type, in.hist_recency = b.hist_recency;
    in.type_table = emb->type->weight, in.recency_table = emb->recency->weight;
    in.w_hist = AttentionHistoryWeight(), in.w_tgt = AttentionTargetWeight(), in.w_prod = AttentionProductWeight();
    for (size_t i = 0; i < att_fc.size(); ++i) {
      if (i > 0) in.weight.push_back(att_fc[i]->weight);
      in.bias.push_back(att_fc[i]->bias);
      in.alpha.push_back(att_dice[i]->alpha);
      in.running_mean.push_back(att_dice[i]->running_mean);
      in.running_var.push_back(att_dice[i]->running_var);
    }
    in.w_out = att_out->weight, in.b_out = att_out->bias;
    in.eps = config_.dice_eps, in.momentum = config_.dice_momentum;
    score = FusedDinAttention(in);  // undefined when it does not apply (e.g. a non-binary mask)
  }
  if (!score.defined()) {
    const torch::Tensor hist_ext = torch::cat({h, emb->TypeRecency(b)}, -1);  // [H, L, E + Dt + Dr]
    score = AttentionScores(h, hist_ext, t, mask);
  }

  torch::Tensor weight;
  if (config_.attention_softmax) {
    weight = torch::softmax(score + (mask - 1.0) * -kMaskedScore, -1) * mask;
  } else {
    weight = score * mask;
  }
  const int64_t e = h.size(2);
  const torch::Tensor pooled =  // [B, E]
      is_training() && fused_attention_ ? GroupedPool(weight, h)
                                        : torch::matmul(weight.view({hist_batch, group, len}), h).view({batch, e});
  RankerOutput out;
  out.logit = mlp->forward(torch::cat({pooled, t, pooled * t}, -1));
  out.attention = weight;
  return out;
}

std::vector<torch::Tensor> DinRanker::embedding_tables() {
  return {emb->item->weight, emb->cate->weight, emb->type->weight, emb->recency->weight};
}

}  // namespace reco::nn
