// Ranker training on a tiny generated log: batch layout, LazyAdam = SparseAdam, learning, artifacts, early stop,
// evaluation through the run's vocabularies, bad inputs.
#include "train/ranker_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "data/events_generator.h"
#include "data/samples_pipeline.h"
#include "nn/ranker.h"
#include "testutil/idx_writer.h"
#include "train/lazy_adam.h"
#include "train/ranker_batch.h"
#include "train/ranker_tensors.h"

namespace reco::train {
namespace {

namespace fs = std::filesystem;

// One tiny log + sample dir shared by the tests (a few seconds to build).
class RankerTrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir("reco-ranker-train");
    data::EventGeneratorOptions g;
    g.users = 150, g.items = 1000, g.categories = 20, g.days = 6, g.seed = 7;
    ASSERT_TRUE(data::GenerateEventsToFile(g, dir_->file("events.csv"), nullptr).ok());
    data::SampleBuildOptions o;
    o.max_history = 10;
    o.num_negatives = 1;
    ASSERT_TRUE(data::BuildSampleDirFromCsv(dir_->file("events.csv"), {}, o, dir_->file("samples"), nullptr).ok());
  }
  static void TearDownTestSuite() { delete dir_; }
  RankerTrainConfig Config(const std::string& model, const std::string& out) {
    RankerTrainConfig c;
    c.samples_dir = dir_->file("samples");
    c.out_dir = dir_->file(out);
    c.model = model;
    c.epochs = 2;
    c.batch_size = 64;
    c.lr = 3e-3;
    c.emb_dim = 8;
    c.progress = false;
    return c;
  }
  static testutil::TempDir* dir_;
};
testutil::TempDir* RankerTrainerTest::dir_ = nullptr;

TEST_F(RankerTrainerTest, BatchLayoutFollowsTheContract) {
  auto file = data::SampleFile::Open(dir_->file("samples/samples.bin"));
  ASSERT_TRUE(file.ok());
  RankerBatcherOptions per_row;
  per_row.group_histories = false;
  const RankerBatcher grouped(**file, {}), copied(**file, std::move(per_row));
  RankerBatchBuffers g, b;
  const std::vector<uint32_t> idx = {5, 0};
  grouped.Fill(data::Split::kTrain, idx, &g);
  copied.Fill(data::Split::kTrain, idx, &b);
  ASSERT_EQ(b.rows, 4);  // 2 samples x (positive + 1 negative)
  ASSERT_EQ(g.rows, 4);
  EXPECT_EQ(b.hist_rows, 4);  // one history per row
  EXPECT_EQ(g.hist_rows, 2);  // one history per sample
  ASSERT_EQ(g.hist_item.size(), 2u * static_cast<size_t>(g.max_history));
  const int64_t L = b.max_history;
  const data::SampleRecord& r = (*file)->samples(data::Split::kTrain)[5];
  const auto items = (*file)->hist_item(r);
  const auto types = (*file)->hist_type(r);
  for (int64_t row : {0, 1}) {
    for (int64_t h = 0; h < L; ++h) {
      const bool real = h < r.hist_len;
      EXPECT_EQ(b.hist_mask[row * L + h], real ? 1.0f : 0.0f);
      EXPECT_EQ(b.hist_item[row * L + h], real ? items[h] : 0);
      EXPECT_EQ(b.hist_type[row * L + h], real ? 1 + types[h] : 0);
      EXPECT_EQ(b.hist_recency[row * L + h] > 0, real);
    }
  }
  // The grouped batch holds exactly the first row of each sample of the per-row batch; targets are per row in both.
  for (int64_t s = 0; s < 2; ++s) {
    for (int64_t h = 0; h < L; ++h) {
      const size_t gi = static_cast<size_t>(s * L + h), bi = static_cast<size_t>(2 * s * L + h);
      EXPECT_EQ(g.hist_item[gi], b.hist_item[bi]);
      EXPECT_EQ(g.hist_cate[gi], b.hist_cate[bi]);
      EXPECT_EQ(g.hist_type[gi], b.hist_type[bi]);
      EXPECT_EQ(g.hist_recency[gi], b.hist_recency[bi]);
      EXPECT_EQ(g.hist_mask[gi], b.hist_mask[bi]);
    }
  }
  EXPECT_EQ(g.target_item, b.target_item);
  EXPECT_EQ(g.target_cate, b.target_cate);
  EXPECT_EQ(g.label, b.label);
  EXPECT_EQ(b.label[0], 1.0f);
  EXPECT_EQ(b.label[1], 0.0f);
  EXPECT_EQ(b.target_item[0], (*file)->target_item(r));
  EXPECT_EQ(b.target_item[1], (*file)->negatives(data::Split::kTrain, 5)[0]);
  EXPECT_EQ(b.target_cate[1], (*file)->item_category(static_cast<int32_t>(b.target_item[1])));
  EXPECT_EQ(b.user[0], static_cast<int32_t>(r.user));
}

// Grouped histories (one per sample) and per-row copies must give the same training loss (Dice batch statistics
// included), the same gradients, and the same eval logits, for din and base.
TEST_F(RankerTrainerTest, GroupedAndPerRowBatchesGiveTheSameLoss) {
  auto file = data::SampleFile::Open(dir_->file("samples/samples.bin"));
  ASSERT_TRUE(file.ok());
  RankerBatcherOptions per_row;
  per_row.group_histories = false;
  const RankerBatcher grouped(**file, {}), copied(**file, std::move(per_row));
  std::vector<uint32_t> idx(64);
  const size_t n_train = (*file)->samples(data::Split::kTrain).size();
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<uint32_t>((i * 37) % n_train);
  RankerBatchBuffers g, b;
  grouped.Fill(data::Split::kTrain, idx, &g);
  copied.Fill(data::Split::kTrain, idx, &b);
  ASSERT_EQ(g.hist_rows * 2, b.hist_rows);
  for (const char* kind : {"din", "base"}) {
    torch::manual_seed(11);
    nn::RankerConfig mc;
    mc.kind = kind;
    mc.num_items = static_cast<int64_t>((*file)->header().num_items);
    mc.num_cates = static_cast<int64_t>((*file)->header().num_cates);
    mc.emb_dim = 8;
    mc.max_history = (*file)->max_history();
    auto model = nn::MakeRanker(mc);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    auto loss_and_grads = [&](RankerBatchBuffers& buf) {
      (*model)->zero_grad();
      const torch::Tensor loss =
          torch::binary_cross_entropy_with_logits((*model)->Forward(AsRankerBatch(buf)).logit, LabelTensor(buf));
      loss.backward();
      std::vector<torch::Tensor> grads;
      for (const auto& p : (*model)->parameters()) {
        if (p.grad().defined()) grads.push_back(p.grad().to_dense().clone());
      }
      return std::make_pair(loss.item<double>(), grads);
    };
    (*model)->train();
    const auto [loss_g, grads_g] = loss_and_grads(g);
    const auto [loss_b, grads_b] = loss_and_grads(b);
    EXPECT_NEAR(loss_g, loss_b, 1e-5) << kind;
    ASSERT_EQ(grads_g.size(), grads_b.size()) << kind;
    for (size_t i = 0; i < grads_g.size(); ++i) {
      EXPECT_TRUE(torch::allclose(grads_g[i], grads_b[i], 1e-4, 1e-6)) << kind << " parameter " << i;
    }
    (*model)->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor eval_g = (*model)->Forward(AsRankerBatch(g)).logit;
    const torch::Tensor eval_b = (*model)->Forward(AsRankerBatch(b)).logit;
    EXPECT_LT((eval_g - eval_b).abs().max().item<double>(), 1e-5) << kind;
  }
}

// LazyAdam must reproduce torch.optim.SparseAdam's update (written out here with tensor ops).
TEST(LazyAdamTest, MatchesSparseAdamFormula) {
  torch::manual_seed(3);
  torch::nn::Embedding emb(torch::nn::EmbeddingOptions(10, 4).padding_idx(0).sparse(true));
  torch::Tensor ref = emb->weight.detach().clone(), m = torch::zeros_like(ref), v = torch::zeros_like(ref);
  LazyAdam opt({emb->weight}, {.lr = 0.01});
  const std::vector<std::vector<int64_t>> steps = {{1, 2, 2, 0}, {3, 1}, {2, 9, 9, 9}};
  for (size_t s = 0; s < steps.size(); ++s) {
    const torch::Tensor idx = torch::tensor(steps[s]);
    const torch::Tensor target = torch::randn({idx.size(0), 4});
    (emb->forward(idx) * target).sum().backward();
    torch::Tensor g = emb->weight.grad().coalesce();
    opt.Step();
    // Reference on the coalesced rows, as SparseAdam does.
    const torch::Tensor rows = g._indices()[0], gv = g._values();
    m.index_put_({rows}, 0.9 * m.index({rows}) + 0.1 * gv);
    v.index_put_({rows}, 0.999 * v.index({rows}) + 0.001 * gv * gv);
    const double t = static_cast<double>(s + 1);
    const double step_size = 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    ref.index_put_({rows}, ref.index({rows}) - step_size * m.index({rows}) / (v.index({rows}).sqrt() + 1e-8));
    EXPECT_TRUE(torch::allclose(emb->weight.detach(), ref, 1e-6, 1e-7)) << "step " << s;
  }
  EXPECT_EQ(opt.rows_touched_last_step(), 2);                       // rows 2 and 9
  EXPECT_TRUE(emb->weight[0].detach().eq(0).all().item<bool>());   // padding never moves
}

TEST_F(RankerTrainerTest, DinLearnsAndWritesArtifacts) {
  auto r = TrainRanker(Config("din", "din"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->epochs.size(), 2u);
  EXPECT_LT(r->epochs.back().train_loss, 0.69);  // below chance-level BCE
  EXPECT_GT(r->best_validation.auc, 0.6);
  EXPECT_GT(r->test.auc, 0.6);
  EXPECT_GT(r->test.gauc_users, 100);  // every user has a test sample
  EXPECT_GT(r->examples_per_second, 0);
  EXPECT_TRUE(fs::exists(r->checkpoint));
  EXPECT_TRUE(fs::exists(r->user_features));
  std::ifstream csv(r->curves_csv);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "epoch,train_loss,valid_logloss,valid_auc,valid_gauc");
  auto model = nn::LoadRanker(r->checkpoint);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->config().kind, "din");
  EXPECT_EQ((*model)->config().max_history, 10);

  // Evaluating the run on its own samples reproduces the test metrics.
  for (const char* name : {"user_vocab.txt", "item_vocab.txt", "cate_vocab.txt"}) {
    fs::copy_file(dir_->file(std::string("samples/") + name), dir_->file(std::string("din/") + name),
                  fs::copy_options::overwrite_existing);
  }
  RankerEvalConfig ec;
  ec.checkpoint = r->checkpoint;
  ec.vocab_dir = dir_->file("din");
  ec.samples_path = dir_->file("samples/samples.bin");
  ec.splits = {2};
  auto ev = EvaluateRanker(ec);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_NEAR(ev->metrics.auc, r->test.auc, 1e-9);
  EXPECT_NEAR(ev->metrics.gauc, r->test.gauc, 1e-9);
  EXPECT_EQ(ev->unknown_items, 0);

  fs::remove(dir_->file("din/item_vocab.txt"));
  auto missing = EvaluateRanker(ec);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("item_vocab.txt"), std::string::npos) << missing.status().ToString();
}

TEST_F(RankerTrainerTest, BaseAndSeedMlpTrainToo) {
  for (const char* kind : {"base", "seed-mlp"}) {
    auto c = Config(kind, kind);
    c.epochs = 1;
    auto r = TrainRanker(c);
    ASSERT_TRUE(r.ok()) << kind << ": " << r.status().ToString();
    EXPECT_GT(r->test.auc, 0.55) << kind;
  }
}

TEST_F(RankerTrainerTest, DenseAdamAndL2Options) {
  auto c = Config("din", "dense");
  c.epochs = 1;
  c.optimizer = "adam";
  auto r = TrainRanker(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->test.auc, 0.55);
  c.l2_emb = 1e-4;  // needs lazy-adam
  EXPECT_EQ(TrainRanker(c).status().code(), StatusCode::kInvalidArgument);
  c.optimizer = "lazy-adam";
  c.train_limit = 200;
  EXPECT_TRUE(TrainRanker(c).ok());
}

TEST_F(RankerTrainerTest, EarlyStoppingKeepsTheBestEpoch) {
  auto c = Config("din", "early");
  c.epochs = 30;
  c.lr = 0.05;  // overfits fast on 150 users
  c.patience = 1;
  c.train_limit = 1500;
  auto r = TrainRanker(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stopped_early);
  EXPECT_LT(r->epochs.size(), 30u);
  EXPECT_EQ(r->best_epoch, static_cast<int>(r->epochs.size()) - 1);
}

TEST_F(RankerTrainerTest, BadConfigsAreClearErrors) {
  auto c = Config("wide-and-deep", "bad");
  EXPECT_NE(TrainRanker(c).status().message().find("--model"), std::string::npos);
  c = Config("din", "bad");
  c.epochs = 0;
  EXPECT_EQ(TrainRanker(c).status().code(), StatusCode::kInvalidArgument);
  c = Config("din", "bad");
  c.samples_dir = dir_->file("nowhere");
  auto missing = TrainRanker(c);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("samples.bin"), std::string::npos);
  c = Config("din", "bad");
  c.l2_emb = std::nan("");  // passed `< 0` and trained every metric to NaN
  EXPECT_NE(TrainRanker(c).status().message().find("--l2-emb"), std::string::npos);
  c = Config("base", "diverge");
  c.lr = 1e30;
  auto diverged = TrainRanker(c);
  ASSERT_FALSE(diverged.ok());
  EXPECT_NE(diverged.status().message().find("diverged"), std::string::npos) << diverged.status().ToString();
}

}  // namespace
}  // namespace reco::train
