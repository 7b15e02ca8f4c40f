// The fused, packed attention unit of DinRanker's training path (nn/din_attention.h) against the op-by-op path over
// all L entries: same logits, attention weights, gradients of every parameter and Dice running statistics, for
// grouped / per-row / broadcast histories, empty histories, an all-padding batch, softmax attention, 1–3 hidden
// layers, and the default sizes. Padded entries are skipped by the fused path, so equality here also shows that
// packing changes nothing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

#include "nn/din.h"
#include "nn/din_attention.h"
#include "nn/ranker.h"

namespace reco::nn {
namespace {

constexpr int64_t kItems = 60, kCates = 11;

RankerConfig Config(int64_t len, std::vector<int64_t> attention, bool softmax) {
  RankerConfig c;
  c.num_items = kItems;
  c.num_cates = kCates;
  c.emb_dim = 6;
  c.max_history = len;
  c.attention_hidden = std::move(attention);
  c.mlp_hidden = {16, 8};
  c.attention_softmax = softmax;
  return c;
}

// hist histories of length len (random real lengths 0..len, left-aligned; `empty` = all padding), hist·group rows.
RankerBatch Batch(int64_t hist, int64_t group, int64_t len, uint64_t seed, bool empty = false) {
  torch::manual_seed(seed);
  RankerBatch b;
  torch::Tensor n = torch::randint(0, len + 1, {hist, 1}, torch::kLong);
  if (!empty) n[0] = len;
  b.hist_mask = empty ? torch::zeros({hist, len}) : (torch::arange(len).unsqueeze(0) < n).to(torch::kFloat);
  const torch::Tensor m = b.hist_mask.to(torch::kLong);
  // Padded entries hold junk ids: they must not matter.
  b.hist_item = torch::randint(1, kItems, {hist, len}, torch::kLong);
  b.hist_cate = torch::randint(1, kCates, {hist, len}, torch::kLong);
  b.hist_type = torch::randint(1, kNumTypeIndices, {hist, len}, torch::kLong) * m;
  b.hist_recency = torch::randint(1, kNumRecencyIndices, {hist, len}, torch::kLong) * m;
  b.target_item = torch::randint(1, kItems, {hist * group}, torch::kLong);
  b.target_cate = torch::randint(1, kCates, {hist * group}, torch::kLong);
  return b;
}

// Two models with the same weights (Dice α randomised so that every term of the gradient is exercised).
std::pair<std::shared_ptr<DinRanker>, std::shared_ptr<DinRanker>> Twins(const RankerConfig& c) {
  auto a = std::dynamic_pointer_cast<DinRanker>(*MakeRanker(c));
  auto b = std::dynamic_pointer_cast<DinRanker>(*MakeRanker(c));
  torch::NoGradGuard no_grad;
  for (auto& p : a->named_parameters()) {
    if (p.key().find("alpha") != std::string::npos) p.value().uniform_(-0.5, 0.5);
    if (p.key().find("att_out.bias") != std::string::npos) p.value().fill_(0.3);
  }
  auto pb = b->named_parameters();
  for (auto& p : a->named_parameters()) pb[p.key()].copy_(p.value());
  a->set_fused_attention(true);
  b->set_fused_attention(false);
  a->train();
  b->train();
  return {a, b};
}

double RelErr(const torch::Tensor& got, const torch::Tensor& want) {
  const double scale = std::max(1.0, want.abs().max().item<double>());
  return (got - want).abs().max().item<double>() / scale;
}

// Whether the autograd graph behind `t` contains the fused attention Function (so a fallback cannot pass unseen).
bool UsesFusedAttention(const torch::Tensor& t) {
  std::vector<torch::autograd::Node*> todo = {t.grad_fn().get()};
  std::set<torch::autograd::Node*> seen;
  while (!todo.empty()) {
    torch::autograd::Node* n = todo.back();
    todo.pop_back();
    if (n == nullptr || !seen.insert(n).second) continue;
    if (n->name().find("AttentionFunction") != std::string::npos) return true;
    for (const auto& e : n->next_edges()) todo.push_back(e.function.get());
  }
  return false;
}

// One train-mode forward + backward of both twins on the same batch; compares everything.
void ExpectSameStep(const RankerConfig& c, const RankerBatch& batch, const std::string& what, double tol = 2e-5) {
  auto [fused, ref] = Twins(c);
  const int64_t rows = batch.target_item.size(0);
  torch::manual_seed(99);
  const torch::Tensor g_logit = torch::randn({rows});
  const torch::Tensor g_att = torch::randn({rows, batch.hist_mask.size(1)});
  RankerOutput of = fused->Forward(batch), orf = ref->Forward(batch);
  EXPECT_TRUE(UsesFusedAttention(of.logit)) << what;
  EXPECT_FALSE(UsesFusedAttention(orf.logit)) << what;
  EXPECT_LE(RelErr(of.logit, orf.logit), tol) << what << ": logit";
  EXPECT_LE(RelErr(of.attention, orf.attention), tol) << what << ": attention";
  ((of.logit * g_logit).sum() + (of.attention * g_att).sum()).backward();
  ((orf.logit * g_logit).sum() + (orf.attention * g_att).sum()).backward();
  auto pr = ref->named_parameters();
  for (auto& p : fused->named_parameters()) {
    const torch::Tensor& want = pr[p.key()].grad();
    ASSERT_TRUE(p.value().grad().defined() == want.defined()) << what << ": " << p.key();
    if (!want.defined()) continue;
    EXPECT_LE(RelErr(p.value().grad(), want), 10 * tol) << what << ": grad of " << p.key();
  }
  auto br = ref->named_buffers();
  for (auto& b : fused->named_buffers()) {
    EXPECT_LE(RelErr(b.value(), br[b.key()]), tol) << what << ": " << b.key();
  }
}

TEST(DinAttentionTest, FusedMatchesOpByOpForEveryLayout) {
  const int64_t len = 9;
  for (bool softmax : {false, true}) {
    const RankerConfig c = Config(len, {12, 5}, softmax);
    const std::string tag = softmax ? "softmax " : "";
    ExpectSameStep(c, Batch(4, 3, len, 1), tag + "grouped H=4 G=3");
    ExpectSameStep(c, Batch(12, 1, len, 2), tag + "per-row H=12");
    ExpectSameStep(c, Batch(1, 7, len, 3), tag + "broadcast H=1 G=7");
  }
}

TEST(DinAttentionTest, FusedMatchesOpByOpForOtherDepths) {
  ExpectSameStep(Config(6, {7}, false), Batch(5, 2, 6, 4), "one hidden layer");
  ExpectSameStep(Config(6, {9, 6, 4}, false), Batch(5, 2, 6, 5), "three hidden layers");
}

TEST(DinAttentionTest, EmptyHistoriesAndAllPaddingBatch) {
  RankerBatch b = Batch(6, 2, 8, 6);
  b.hist_mask[2].zero_();  // one sample without history among others
  b.hist_mask[4].zero_();
  ExpectSameStep(Config(8, {12, 5}, false), b, "some empty histories");
  ExpectSameStep(Config(8, {12, 5}, true), b, "some empty histories, softmax");
  ExpectSameStep(Config(8, {12, 5}, false), Batch(3, 2, 8, 7, /*empty=*/true), "all padding");
}

// The bench's sizes (emb 16, L 50, 80-40, 2 rows per sample), mostly full histories: summation order at scale.
TEST(DinAttentionTest, FusedMatchesOpByOpAtDefaultSizes) {
  RankerConfig c;
  c.num_items = kItems;
  c.num_cates = kCates;
  ExpectSameStep(c, Batch(64, 2, c.max_history, 8), "default sizes", 5e-5);
}

TEST(DinAttentionTest, GroupedPoolMatchesBatchedMatmul) {
  torch::manual_seed(10);
  for (int64_t group : {1, 3}) {
    const torch::Tensor w0 = torch::randn({4 * group, 7}), h0 = torch::randn({4, 7, 5});
    const torch::Tensor g = torch::randn({4 * group, 5});
    torch::Tensor w1 = w0.clone().requires_grad_(true), h1 = h0.clone().requires_grad_(true);
    torch::Tensor w2 = w0.clone().requires_grad_(true), h2 = h0.clone().requires_grad_(true);
    const torch::Tensor got = GroupedPool(w1, h1);
    const torch::Tensor want = torch::matmul(w2.view({4, group, 7}), h2).view({4 * group, 5});
    EXPECT_LE(RelErr(got, want), 1e-6) << "group " << group;
    (got * g).sum().backward();
    (want * g).sum().backward();
    EXPECT_LE(RelErr(w1.grad(), w2.grad()), 1e-6) << "group " << group;
    EXPECT_LE(RelErr(h1.grad(), h2.grad()), 1e-6) << "group " << group;
  }
  EXPECT_THROW(GroupedPool(torch::randn({5, 7}), torch::randn({2, 7, 3})), c10::Error);
}

TEST(DinAttentionTest, NonBinaryMaskFallsBackToTheOpPath) {
  const RankerConfig c = Config(5, {12, 5}, false);
  auto [fused, ref] = Twins(c);
  RankerBatch b = Batch(3, 2, 5, 9);
  b.hist_mask[0][0] = 0.5f;
  FusedDinAttentionInputs in;
  in.h = torch::randn({3, 5, 12});
  in.hist_type = torch::ones({3, 5}, torch::kLong), in.hist_recency = torch::ones({3, 5}, torch::kLong);
  in.type_table = torch::randn({5, 4}), in.recency_table = torch::randn({16, 4});
  in.target = torch::randn({6, 12});
  in.mask = b.hist_mask;
  in.w_hist = torch::randn({12, 20}), in.w_tgt = torch::randn({12, 12}), in.w_prod = torch::randn({12, 12});
  in.weight = {torch::randn({5, 12})};
  in.bias = {torch::randn({12}), torch::randn({5})};
  in.alpha = {torch::zeros({12}), torch::zeros({5})};
  in.running_mean = {torch::zeros({12}), torch::zeros({5})};
  in.running_var = {torch::ones({12}), torch::ones({5})};
  in.w_out = torch::randn({1, 5}), in.b_out = torch::randn({1});
  EXPECT_FALSE(FusedDinAttention(in).defined());
  in.mask = (b.hist_mask > 0).to(torch::kFloat);
  EXPECT_TRUE(FusedDinAttention(in).defined());
  const torch::Tensor logit = fused->Forward(b).logit;
  EXPECT_FALSE(UsesFusedAttention(logit));
  EXPECT_LE(RelErr(logit, ref->Forward(b).logit), 1e-6);
}

}  // namespace
}  // namespace reco::nn
