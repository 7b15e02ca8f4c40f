// Rankers (nn/ranker.h): shapes, broadcast histories (H = 1 vs H = B), padding has no influence, Dice statistics
// in train vs eval mode, the factored attention against a naive [h, t, h−t, h⊙t] evaluation, save/load, bad configs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "nn/base_ranker.h"
#include "nn/dice.h"
#include "nn/din.h"
#include "nn/ranker.h"

namespace reco::nn {
namespace {

constexpr int64_t kItems = 50, kCates = 9, kL = 7;
constexpr bool kGroupedHistories = true;

RankerConfig Config(const std::string& kind) {
  RankerConfig c;
  c.kind = kind;
  c.num_items = kItems;
  c.num_cates = kCates;
  c.emb_dim = 6;
  c.max_history = kL;
  c.attention_hidden = {12, 5};
  c.mlp_hidden = {16, 8};
  return c;
}

std::shared_ptr<RankerModel> Make(const RankerConfig& c) {
  auto m = MakeRanker(c);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

// Random histories with lengths 0..L (left-aligned, zero-padded), `rows` of them, and `batch` targets.
RankerBatch RandomBatch(int64_t rows, int64_t batch, uint64_t seed) {
  torch::manual_seed(seed);
  RankerBatch b;
  torch::Tensor len = torch::randint(0, kL + 1, {rows, 1}, torch::kLong);
  if (rows > 1) len[0] = kL;  // at least one full history
  else len[0] = kL - 2;
  b.hist_mask = (torch::arange(kL).unsqueeze(0) < len).to(torch::kFloat);
  const torch::Tensor m = b.hist_mask.to(torch::kLong);
  b.hist_item = torch::randint(2, kItems, {rows, kL}, torch::kLong) * m;
  b.hist_cate = torch::randint(1, kCates, {rows, kL}, torch::kLong) * m;
  b.hist_type = torch::randint(1, kNumTypeIndices, {rows, kL}, torch::kLong) * m;
  b.hist_recency = torch::randint(1, kNumRecencyIndices, {rows, kL}, torch::kLong) * m;
  b.target_item = torch::randint(1, kItems, {batch}, torch::kLong);
  b.target_cate = torch::randint(1, kCates, {batch}, torch::kLong);
  b.user_input = torch::randn({batch, 8});
  b.item_input = torch::randn({batch, 8});
  return b;
}

RankerBatch Broadcast(const RankerBatch& one, int64_t batch) {
  RankerBatch b = one;
  for (torch::Tensor* t : {&b.hist_item, &b.hist_cate, &b.hist_type, &b.hist_recency, &b.hist_mask}) {
    *t = t->expand({batch, kL}).contiguous();
  }
  return b;
}

// Trains a few Adam steps (makes Dice statistics and alpha non-trivial).
void TrainSteps(RankerModel& model, int steps) {
  model.train();
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(0.01));
  for (int s = 0; s < steps; ++s) {
    RankerBatch b = RandomBatch(32, 32, 100 + s);
    torch::Tensor y = (b.target_item % 2).to(torch::kFloat);
    opt.zero_grad();
    torch::Tensor loss = torch::binary_cross_entropy_with_logits(model.Forward(b).logit, y);
    loss.backward();
    opt.step();
  }
  model.eval();
}

void ExpectClose(const torch::Tensor& a, const torch::Tensor& b, double tol, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LE((a - b).abs().max().item<double>(), tol) << what;
}

TEST(RankerTest, ShapesForEveryKind) {
  for (const std::string kind : {"din", "base", "seed-mlp"}) {
    auto model = Make(Config(kind));
    for (int64_t rows : {int64_t{1}, int64_t{5}}) {
      RankerBatch b = RandomBatch(rows, 5, 1);
      RankerOutput out = model->Forward(b);
      EXPECT_EQ(out.logit.sizes(), (std::vector<int64_t>{5})) << kind;
      EXPECT_EQ(out.attention.defined(), kind == "din") << kind;
      if (kind == "din") EXPECT_EQ(out.attention.sizes(), (std::vector<int64_t>{5, kL}));
      EXPECT_TRUE(torch::isfinite(out.logit).all().item<bool>()) << kind;
    }
  }
}

TEST(RankerTest, BroadcastHistoryEqualsRepeatedHistory) {
  for (const std::string kind : {"din", "base"}) {
    for (bool softmax : {false, true}) {
      RankerConfig c = Config(kind);
      c.attention_softmax = softmax;
      c.pooling = softmax ? "sum" : "mean";
      auto model = Make(c);
      TrainSteps(*model, 3);
      RankerBatch one = RandomBatch(1, 9, 2);
      torch::NoGradGuard no_grad;
      RankerOutput a = model->Forward(one), b = model->Forward(Broadcast(one, 9));
      ExpectClose(a.logit, b.logit, 1e-6, kind + " eval");
      if (kind == "din") ExpectClose(a.attention, b.attention, 1e-6, "attention");
      model->train();  // masked batch statistics see the same entries either way
      ExpectClose(model->Forward(one).logit, model->Forward(Broadcast(one, 9)).logit, 1e-5, kind + " train");
    }
  }
}

// H dividing B: rows grouped by history (a sample's positive and negatives) equal the repeated histories.
TEST(RankerTest, GroupedHistoriesEqualRepeatedHistories) {
  for (const std::string kind : {"din", "base"}) {
    auto model = Make(Config(kind));
    TrainSteps(*model, 2);
    RankerBatch grouped = RandomBatch(4, 12, 9), repeated = grouped;
    for (torch::Tensor* t : {&repeated.hist_item, &repeated.hist_cate, &repeated.hist_type, &repeated.hist_recency,
                             &repeated.hist_mask}) {
      *t = t->repeat_interleave(3, 0);
    }
    torch::NoGradGuard no_grad;
    for (bool training : {false, true}) {
      model->train(training);
      RankerOutput a = model->Forward(grouped), b = model->Forward(repeated);
      ExpectClose(a.logit, b.logit, 1e-5, kind + (training ? " train" : " eval"));
      if (kind == "din") ExpectClose(a.attention, b.attention, 1e-5, "attention");
    }
    RankerBatch bad = RandomBatch(5, 12, 9);
    EXPECT_THROW(model->Forward(bad), c10::Error);
  }
}

TEST(RankerTest, PaddingEntriesHaveNoInfluence) {
  for (const std::string kind : {"din", "base"}) {
    auto model = Make(Config(kind));
    TrainSteps(*model, 2);
    RankerBatch b = RandomBatch(6, 6, 3);
    RankerBatch junk = b;
    const torch::Tensor pad = (b.hist_mask == 0).to(torch::kLong);
    junk.hist_item = b.hist_item + pad * torch::randint(2, kItems, b.hist_item.sizes(), torch::kLong);
    junk.hist_cate = b.hist_cate + pad * torch::randint(2, kCates, b.hist_cate.sizes(), torch::kLong);
    junk.hist_type = b.hist_type + pad * 4;
    junk.hist_recency = b.hist_recency + pad * 15;
    torch::NoGradGuard no_grad;
    for (bool training : {false, true}) {
      model->train(training);
      RankerOutput x = model->Forward(b), y = model->Forward(junk);
      ExpectClose(x.logit, y.logit, 1e-5, kind + (training ? " train" : " eval"));
      if (kind == "din") {
        EXPECT_EQ((x.attention * (1 - b.hist_mask)).abs().max().item<float>(), 0.0f) << "padding weight";
      }
    }
  }
}

TEST(RankerTest, SoftmaxAttentionSumsToOneOverRealEntries) {
  RankerConfig c = Config("din");
  c.attention_softmax = true;
  auto model = Make(c);
  model->eval();
  RankerBatch b = RandomBatch(4, 4, 4);
  b.hist_mask[1].zero_();  // an empty history: weights 0, no NaN
  torch::NoGradGuard no_grad;
  RankerOutput out = model->Forward(b);
  EXPECT_NEAR(out.attention[0].sum().item<float>(), 1.0f, 1e-5);
  EXPECT_EQ(out.attention[1].abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(torch::isfinite(out.logit).all().item<bool>());
}

// The paper's unfactored evaluation: build a_l = [h, t, h−t, h⊙t, type, recency] and run the attention MLP on it.
TEST(RankerTest, FactoredAttentionMatchesNaiveConcatenation) {
  auto model = Make(Config("din"));
  TrainSteps(*model, 3);
  auto& din = dynamic_cast<DinRanker&>(*model);
  RankerBatch b = RandomBatch(5, 5, 5);
  torch::NoGradGuard no_grad;
  const torch::Tensor h = torch::cat({din.emb->item(b.hist_item), din.emb->cate(b.hist_cate)}, -1);
  const torch::Tensor t = torch::cat({din.emb->item(b.target_item), din.emb->cate(b.target_cate)}, -1)
                              .unsqueeze(1).expand_as(h);
  torch::Tensor a = torch::cat({h, t, h - t, h * t, din.emb->type(b.hist_type), din.emb->recency(b.hist_recency)}, -1);
  for (size_t i = 0; i < din.att_fc.size(); ++i) a = din.att_dice[i](din.att_fc[i](a));
  const torch::Tensor want = din.att_out(a).squeeze(-1) * b.hist_mask;
  ExpectClose(model->Forward(b).attention, want, 1e-5, "attention weights");
}

TEST(RankerTest, DiceUsesBatchStatisticsInTrainingAndRunningAveragesInEval) {
  Dice dice(3, /*eps=*/1e-8, /*momentum=*/0.1);
  {
    torch::NoGradGuard no_grad;
    dice->alpha.copy_(torch::tensor({0.0f, 0.5f, -0.25f}));
  }
  torch::Tensor x = torch::randn({64, 3}) * 2 + 1;
  torch::Tensor mask = (torch::rand({64}) < 0.6).to(torch::kFloat);
  auto reference = [&](const torch::Tensor& v, const torch::Tensor& mean, const torch::Tensor& var) {
    torch::Tensor p = torch::sigmoid((v - mean) / torch::sqrt(var + 1e-8));
    return p * v + (1 - p) * dice->alpha * v;
  };
  dice->train();
  torch::Tensor got = dice(x);
  torch::Tensor mean = x.mean(0), var = x.var(0, /*unbiased=*/false);
  ExpectClose(got, reference(x, mean, var), 1e-5, "train, batch statistics");
  ExpectClose(dice->running_mean, 0.1 * mean, 1e-6, "running mean");
  ExpectClose(dice->running_var, 0.9 + 0.1 * var, 1e-6, "running var");

  // Masked statistics equal the statistics of the real rows alone.
  Dice masked(3, 1e-8, 0.1);
  masked->alpha.data().copy_(dice->alpha);
  const torch::Tensor real = x.index({mask.to(torch::kBool)});
  got = masked(x, mask);
  ExpectClose(got, reference(x, real.mean(0), real.var(0, false)), 1e-5, "train, masked statistics");

  dice->eval();
  got = dice(x);
  ExpectClose(got, reference(x, dice->running_mean, dice->running_var), 1e-5, "eval, running statistics");
  ExpectClose(dice(x.narrow(0, 5, 1)), got.narrow(0, 5, 1), 1e-6, "eval row independent of the batch");
}

// The fused training kernel (dice_fused.h) against the plain-op reference: outputs, gradients, running stats.
TEST(RankerTest, FusedDiceMatchesReferenceForwardAndBackward) {
  torch::manual_seed(21);
  struct Case {
    std::vector<int64_t> shape;
    torch::Tensor mask;
  };
  std::vector<Case> cases = {{{300, 7}, {}},
                             {{300, 7}, (torch::rand({300}) < 0.7).to(torch::kFloat)},
                             {{6, 45, 5}, (torch::rand({1, 45}) < 0.5).to(torch::kFloat)},  // broadcast history mask
                             {{4, 3, 5}, torch::zeros({4, 3})}};                               // all padding
  for (size_t i = 0; i < cases.size(); ++i) {
    Dice fused(cases[i].shape.back(), 1e-8, 0.1), ref(cases[i].shape.back(), 1e-8, 0.1);
    {
      torch::NoGradGuard no_grad;
      fused->alpha.uniform_(-0.5, 0.5);
      ref->alpha.copy_(fused->alpha);
    }
    ref->set_fused(false);
    const torch::Tensor x0 = torch::randn(cases[i].shape) * 3 + 0.5;
    const torch::Tensor g = torch::randn(cases[i].shape);
    torch::Tensor x1 = x0.clone().requires_grad_(true), x2 = x0.clone().requires_grad_(true);
    torch::Tensor y1 = fused(x1, cases[i].mask), y2 = ref(x2, cases[i].mask);
    (y1 * g).sum().backward();
    (y2 * g).sum().backward();
    const std::string what = "case " + std::to_string(i);
    ExpectClose(y1, y2, 1e-5, what + " forward");
    ExpectClose(x1.grad(), x2.grad(), 1e-4, what + " dx");
    ExpectClose(fused->alpha.grad(), ref->alpha.grad(), 1e-3, what + " dalpha");
    ExpectClose(fused->running_mean, ref->running_mean, 1e-5, what + " running mean");
    ExpectClose(fused->running_var, ref->running_var, 1e-4, what + " running var");
  }
}

TEST(RankerTest, GradientsReachEmbeddingsButNotThePaddingRow) {
  auto model = Make(Config("din"));
  model->train();
  RankerBatch b = RandomBatch(8, 8, 6);
  model->Forward(b).logit.sum().backward();
  std::vector<torch::Tensor> tables = model->embedding_tables();
  ASSERT_EQ(tables.size(), 4u);
  for (const torch::Tensor& w : tables) {
    ASSERT_TRUE(w.grad().defined());
    EXPECT_EQ(w.grad()[0].abs().sum().item<float>(), 0.0f);
  }
  EXPECT_GT(tables[0].grad().abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(Make(Config("seed-mlp"))->embedding_tables().empty());
}

TEST(RankerTest, SaveLoadRoundTrip) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "reco_ranker_test";
  std::filesystem::create_directories(dir);
  for (const std::string kind : {"din", "base", "seed-mlp"}) {
    RankerConfig c = Config(kind);
    c.activation = kind == "base" ? "prelu" : "dice";
    c.attention_softmax = true;
    auto model = Make(c);
    TrainSteps(*model, 2);
    const std::string path = (dir / (kind + ".ranker")).string();
    ASSERT_TRUE(SaveRanker(*model, path).ok());
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    auto loaded = LoadRanker(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_FALSE((*loaded)->is_training());
    EXPECT_EQ(RankerConfigToJson((*loaded)->config()), RankerConfigToJson(c));
    RankerBatch b = RandomBatch(4, 4, 7);
    torch::NoGradGuard no_grad;
    ExpectClose((*loaded)->Forward(b).logit, model->Forward(b).logit, 0, kind);
    auto config = ReadRankerConfig(path);
    ASSERT_TRUE(config.ok());
    EXPECT_EQ(config->kind, kind);
  }
  std::filesystem::remove_all(dir);
}

TEST(RankerTest, LoadErrorsNameTheFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "reco_ranker_errors";
  std::filesystem::create_directories(dir);
  auto missing = LoadRanker((dir / "nope.ranker").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.ranker"), std::string::npos);

  const std::string junk = (dir / "junk.ranker").string();
  std::ofstream(junk) << "not a torch archive";
  auto bad = LoadRanker(junk);
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("junk.ranker"), std::string::npos);

  // A truncated archive.
  const std::string good = (dir / "good.ranker").string();
  ASSERT_TRUE(SaveRanker(*Make(Config("din")), good).ok());
  const auto size = std::filesystem::file_size(good);
  std::filesystem::resize_file(good, size / 2);
  EXPECT_EQ(LoadRanker(good).status().code(), StatusCode::kDataLoss);

  // A torch archive that is not a ranker.
  const std::string other = (dir / "other.pt").string();
  torch::serialize::OutputArchive archive;
  archive.write("x", torch::ones({2}));
  archive.save_to(other);
  EXPECT_EQ(LoadRanker(other).status().code(), StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST(RankerTest, BadConfigsAreInvalidArgument) {
  auto expect_bad = [](RankerConfig c, const std::string& field) {
    auto m = MakeRanker(c);
    ASSERT_FALSE(m.ok()) << field;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(m.status().message().find(field), std::string::npos) << m.status().message();
  };
  RankerConfig c = Config("din");
  c.kind = "transformer";
  expect_bad(c, "transformer");
  c = Config("din");
  c.num_items = 0;
  expect_bad(c, "num_items");
  c = Config("base");
  c.num_cates = 1;
  expect_bad(c, "num_cates");
  c = Config("din");
  c.emb_dim = 0;
  expect_bad(c, "emb_dim");
  c = Config("din");
  c.attention_hidden = {};
  expect_bad(c, "attention_hidden");
  c = Config("din");
  c.mlp_hidden = {200, -1};
  expect_bad(c, "mlp_hidden");
  c = Config("din");
  c.activation = "relu";
  expect_bad(c, "relu");
  c = Config("base");
  c.pooling = "max";
  expect_bad(c, "max");
  c = Config("din");
  c.max_history = 0;
  expect_bad(c, "max_history");
  c = Config("seed-mlp");
  c.seed_features = 0;
  expect_bad(c, "seed_features");
  EXPECT_FALSE(RankerConfigFromJson("{\"kind\": \"din\", \"emb_dim\": \"x\"}").ok());
  EXPECT_FALSE(RankerConfigFromJson("[1]").ok());
  auto round = RankerConfigFromJson(RankerConfigToJson(Config("din")));
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  EXPECT_EQ(round->attention_hidden, (std::vector<int64_t>{12, 5}));
}

}  // namespace
}  // namespace reco::nn

namespace reco::nn {
namespace {

// Speed report (not a pass/fail check): forward + backward of the default-size DIN, rows sharing histories or not.
// Run with --gtest_also_run_disabled_tests --gtest_filter='*Speed*'.
TEST(RankerSpeed, DISABLED_DinForwardBackward) {
  RankerConfig c;
  c.num_items = 50000;
  c.num_cates = 500;
  auto model = *MakeRanker(c);
  model->train();
  torch::set_num_threads(1);
  const int64_t rows = 512, L = 50;
  for (int round = 0; round < 4; ++round) {
  const bool fused = round % 2 == 0;
  for (const auto& m : model->modules()) {
    if (auto* d = dynamic_cast<DiceImpl*>(m.get())) d->set_fused(fused);
  }
  for (int64_t hist_rows : {rows, rows / 2, int64_t{1}}) {
    if (hist_rows != 1 && hist_rows != rows && !kGroupedHistories) continue;
    RankerBatch b;
    b.hist_mask = torch::ones({hist_rows, L});
    b.hist_item = torch::randint(2, c.num_items, {hist_rows, L}, torch::kLong);
    b.hist_cate = torch::randint(2, c.num_cates, {hist_rows, L}, torch::kLong);
    b.hist_type = torch::randint(1, 5, {hist_rows, L}, torch::kLong);
    b.hist_recency = torch::randint(1, 16, {hist_rows, L}, torch::kLong);
    b.target_item = torch::randint(2, c.num_items, {rows}, torch::kLong);
    b.target_cate = torch::randint(2, c.num_cates, {rows}, torch::kLong);
    const torch::Tensor y = torch::rand({rows}).round();
    for (bool backward : {false, true}) {
      const int iters = 10;
      auto start = std::chrono::steady_clock::now();
      const std::clock_t cpu_start = std::clock();
      for (int i = 0; i < iters; ++i) {
        model->zero_grad();
        torch::Tensor loss = torch::binary_cross_entropy_with_logits(model->Forward(b).logit, y);
        if (backward) loss.backward();
      }
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
      std::printf("din %s rows %lld, histories %lld, %s: %.2f ms/step wall, %.2f ms/step CPU, %.0f rows/CPU-s\n",
                  fused ? "fused Dice" : "plain Dice", static_cast<long long>(rows), static_cast<long long>(hist_rows),
                  backward ? "fwd+bwd" : "fwd",
                  ms / iters, cpu_ms / iters, rows * iters / cpu_ms * 1000);
    }
  }
  }
}

}  // namespace
}  // namespace reco::nn
