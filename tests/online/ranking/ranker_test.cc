// The ranking stage on the contract fixture model (tests/models/make_models.py `ranker_din`): model folder
// loading and its errors, H = 1 broadcast equals one history per row, InProcessRanker under ServerCore (vocab
// mapping, last-L history, reasons from attention, hot swap of versions).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "online/ranking/in_process_ranker.h"
#include "online/ranking/model_inputs.h"
#include "online/ranking/ranker_model.h"
#include "online/ranking/ranker_fixture.h"
#include "serving/model_config.h"
#include "serving/server_core.h"

namespace reco::online::ranking {
namespace {

namespace fs = std::filesystem;
using testing::kFirstItem;

#define SKIP_WITHOUT_MODELS()                                                                 \
  const fs::path folder = testing::RankerModelFolder();                                      \
  if (folder.empty()) GTEST_SKIP() << "ranker_din not generated (fixture models_generate)"

struct History {
  std::vector<uint64_t> item, cate;
  std::vector<data::BehaviorType> type;
  std::vector<int64_t> time;
  void Add(uint64_t i, uint64_t c, data::BehaviorType t, int64_t ts) {
    item.push_back(i), cate.push_back(c), type.push_back(t), time.push_back(ts);
  }
};

RankRequest MakeRequest(const History& h, const std::vector<uint64_t>& items, const std::vector<uint64_t>& cates,
                        int64_t now) {
  return RankRequest{h.item, h.cate, h.type, h.time, items, cates, now};
}

TEST(HistoryBucket, RealLengthRoundedOnlyWhereAPositionMattersLittle) {
  for (int64_t n = 1; n <= 12; ++n) EXPECT_EQ(HistoryBucket(n, 50), n);
  EXPECT_EQ(HistoryBucket(0, 50), 1) << "an empty history is one masked position";
  EXPECT_EQ(HistoryBucket(13, 50), 14);
  EXPECT_EQ(HistoryBucket(16, 50), 16);
  EXPECT_EQ(HistoryBucket(17, 50), 20);
  EXPECT_EQ(HistoryBucket(30, 50), 32);
  EXPECT_EQ(HistoryBucket(33, 50), 40);
  EXPECT_EQ(HistoryBucket(45, 50), 48);
  EXPECT_EQ(HistoryBucket(49, 50), 50) << "capped at L";
  EXPECT_EQ(HistoryBucket(80, 50), 50);
  EXPECT_EQ(HistoryBucket(7, 5), 5);
  for (int64_t n = 1; n <= 50; ++n) {
    EXPECT_GE(HistoryBucket(n, 50), n);
    EXPECT_LE(HistoryBucket(n, 50), n + n / 4 + 1) << "at most ~25% padding";
  }
  // 12 exact + 14, 16 + 20..32 + 40, 48, 50 = 21 lengths, x 16 batch buckets up to 512.
  EXPECT_EQ(NumRankerShapes(50, 500), 21 * 16);
}

TEST(RankerModel, LoadsTheFolderAndNamesMissingFiles) {
  SKIP_WITHOUT_MODELS();
  auto model = LoadRankerModel((folder / "1").string(), {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->manifest().max_history, 50);
  EXPECT_TRUE((*model)->has_attention());
  EXPECT_EQ((*model)->items().Lookup(kFirstItem), 2);
  EXPECT_EQ((*model)->items().Lookup(1), data::IdVocab::kOov);

  const fs::path tmp = testing::MakeTempDir("ranker-broken");
  fs::copy(folder / "1", tmp / "1");
  fs::remove(tmp / "1" / "cate_vocab.txt");
  auto no_vocab = LoadRankerModel((tmp / "1").string(), {});
  ASSERT_FALSE(no_vocab.ok());
  EXPECT_NE(no_vocab.status().message().find("cate_vocab.txt"), std::string::npos) << no_vocab.status().ToString();

  fs::remove(tmp / "1" / "manifest.json");
  auto no_manifest = LoadRankerModel((tmp / "1").string(), {});
  ASSERT_FALSE(no_manifest.ok());
  EXPECT_NE(no_manifest.status().message().find("manifest.json"), std::string::npos);

  std::ofstream(tmp / "1" / "manifest.json") << R"({"format": "reco-ranker-v1", "model_kind": "din"})";
  auto no_len = LoadRankerModel((tmp / "1").string(), {});
  ASSERT_FALSE(no_len.ok());
  EXPECT_NE(no_len.status().message().find("max_history"), std::string::npos);
  fs::remove_all(tmp);
}

TEST(RankerModel, BroadcastHistoryEqualsOneHistoryPerRow) {
  SKIP_WITHOUT_MODELS();
  auto model = LoadRankerModel((folder / "1").string(), {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  History h;
  for (int j = 0; j < 30; ++j) h.Add(kFirstItem + 3 * j, 1 + j % 7, static_cast<data::BehaviorType>(j % 4), 1000 + 60 * j);
  std::vector<uint64_t> items, cates;
  for (int b = 0; b < 40; ++b) items.push_back(kFirstItem + 11 * b), cates.push_back(1 + b % 9);
  const RankRequest request = MakeRequest(h, items, cates, 5000);
  std::vector<std::string> names;
  for (const auto& info : (*model)->inputs()) names.push_back(info.name);
  const std::vector<std::string> outputs = {"prob", "attention"};

  ModelInputs broadcast, per_row;
  ASSERT_TRUE(broadcast.Build(**model, names, request, 1).ok());
  ASSERT_TRUE(per_row.Build(**model, names, request, 0).ok());
  // The fixture's history axis is dynamic: 30 behaviours are fed as a bucket of 32, not L = 50.
  ASSERT_TRUE((*model)->dynamic_history());
  EXPECT_EQ(broadcast.tensors()[0].tensor.shape, (std::vector<int64_t>{1, 32}));
  EXPECT_EQ(per_row.tensors()[0].tensor.shape, (std::vector<int64_t>{64, 32}));
  std::vector<serving::NamedTensor> a, b;
  ASSERT_TRUE((*model)->Run(broadcast.tensors(), outputs, &a).ok());
  ASSERT_TRUE((*model)->Run(per_row.tensors(), outputs, &b).ok());
  ASSERT_EQ(a[0].tensor.shape, b[0].tensor.shape);
  for (int i = 0; i < 2; ++i) {
    const float* x = a[i].tensor.data<float>();
    const float* y = b[i].tensor.data<float>();
    for (int64_t j = 0; j < a[i].tensor.num_elements(); ++j) ASSERT_NEAR(x[j], y[j], 1e-6) << outputs[i] << " " << j;
  }
  // Attention is zero on padding (positions 30, 31).
  for (int64_t j = 30; j < 32; ++j) EXPECT_EQ(a[1].tensor.data<float>()[j], 0.0f);

  // Fed at the full L = 50 (zero padding appended), the model gives the same scores and attention: trimming the
  // history to its bucket changes nothing but the cost.
  std::vector<serving::NamedTensor> full = broadcast.tensors();
  for (serving::NamedTensor& t : full) {
    if (t.tensor.shape.size() != 2) continue;
    const size_t elem = serving::DataTypeSize(t.tensor.dtype);
    std::vector<std::byte> bytes(50 * elem, std::byte{0});
    std::copy(t.tensor.bytes.begin(), t.tensor.bytes.end(), bytes.begin());
    t.tensor.shape = {1, 50};
    t.tensor.bytes = std::move(bytes);
  }
  std::vector<serving::NamedTensor> c;
  ASSERT_TRUE((*model)->Run(full, outputs, &c).ok());
  for (int64_t b = 0; b < 40; ++b) {
    ASSERT_NEAR(c[0].tensor.data<float>()[b], a[0].tensor.data<float>()[b], 1e-6) << b;
    for (int64_t j = 0; j < 30; ++j) {
      ASSERT_NEAR(c[1].tensor.data<float>()[b * 50 + j], a[1].tensor.data<float>()[b * 32 + j], 1e-6) << b << "," << j;
    }
  }
}

class InProcessRankerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = testing::RankerModelFolder();
    if (folder_.empty()) GTEST_SKIP() << "ranker_din not generated (fixture models_generate)";
    dir_ = testing::MakeTempDir("ranker");
    fs::copy(folder_ / "1", dir_ / "1");
    core_ = std::make_unique<serving::ServerCore>(serving::DefaultFileSystem(), &loaders_);
    ASSERT_TRUE(core_->ReloadConfig(serving::SingleModelConfig("ranker", dir_.string())).ok());
    ranker_ = std::make_unique<InProcessRanker>(&core_->manager(), "ranker");
  }
  void TearDown() override {
    ranker_.reset();
    core_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  fs::path folder_, dir_;
  RankerLoaderFactory loaders_{RankerLoadOptions{}};
  std::unique_ptr<serving::ServerCore> core_;
  std::unique_ptr<InProcessRanker> ranker_;
};

TEST_F(InProcessRankerTest, ScoresEveryCandidateWithReasonsFromTheLastLBehaviours) {
  ASSERT_TRUE(ranker_->Ready().ok());
  History h;
  for (int j = 0; j < 80; ++j) h.Add(kFirstItem + j, 1 + j % 5, data::BehaviorType::kPv, 100 * j);
  std::vector<uint64_t> items, cates;
  for (int b = 0; b < 500; ++b) items.push_back(kFirstItem + 100 + b), cates.push_back(1 + b % 20);
  items.push_back(999999999), cates.push_back(777777);  // OOV item and category
  RankResult result;
  ASSERT_TRUE(ranker_->Rank(MakeRequest(h, items, cates, 9000), &result).ok());
  ASSERT_EQ(result.scores.size(), items.size());
  EXPECT_EQ(result.model_version, 1);
  std::set<float> distinct;
  for (size_t b = 0; b < items.size(); ++b) {
    EXPECT_TRUE(result.scores[b] > 0 && result.scores[b] < 1) << b;
    EXPECT_GE(result.reason[b], 30) << "reasons come from the last 50 of 80 behaviours";
    EXPECT_LT(result.reason[b], 80);
    distinct.insert(result.scores[b]);
  }
  EXPECT_GT(distinct.size(), 100u) << "scores should depend on the candidate";

  // Warm timing (printed, not asserted: the machine is shared).
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ranker_->Rank(MakeRequest(h, items, cates, 9000), &result).ok());
  std::printf("[ranking] %zu candidates, history %zu (L=50): %.2f ms per Rank (warm, one thread)\n", items.size(),
              h.item.size(), std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 20);

  History short_history;
  for (int j = 0; j < 7; ++j) short_history.Add(kFirstItem + j, 1 + j % 5, data::BehaviorType::kPv, 100 * j);
  ASSERT_TRUE(ranker_->Rank(MakeRequest(short_history, items, cates, 9000), &result).ok());  // plan for length 7
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ranker_->Rank(MakeRequest(short_history, items, cates, 9000), &result).ok());
  std::printf("[ranking] %zu candidates, history 7 (fed as 7): %.2f ms per Rank (warm, one thread)\n", items.size(),
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count() / 20);
  ASSERT_TRUE(ranker_->Rank(MakeRequest(h, items, cates, 9000), &result).ok());

  // The same candidate scores the same in any batch (padding rows do not leak).
  RankResult one;
  const std::vector<uint64_t> item1 = {items[7]}, cate1 = {cates[7]};
  ASSERT_TRUE(ranker_->Rank(MakeRequest(h, item1, cate1, 9000), &one).ok());
  EXPECT_NEAR(one.scores[0], result.scores[7], 1e-6);
  EXPECT_EQ(one.reason[0], result.reason[7]);
}

TEST_F(InProcessRankerTest, EmptyHistoryAndNoCandidates) {
  History empty;
  std::vector<uint64_t> items = {kFirstItem, kFirstItem + 1}, cates = {1, 2};
  RankResult result;
  ASSERT_TRUE(ranker_->Rank(MakeRequest(empty, items, cates, 0), &result).ok());
  ASSERT_EQ(result.scores.size(), 2u);
  EXPECT_EQ(result.reason[0], -1);
  std::vector<uint64_t> none;
  ASSERT_TRUE(ranker_->Rank(MakeRequest(empty, none, none, 0), &result).ok());
  EXPECT_TRUE(result.scores.empty());
  // Mismatched arrays are an error, not a crash.
  std::vector<uint64_t> one_cate = {1};
  EXPECT_EQ(ranker_->Rank(MakeRequest(empty, items, one_cate, 0), &result).code(), StatusCode::kInvalidArgument);
}

TEST_F(InProcessRankerTest, NewVersionIsPickedUpByPolling) {
  EXPECT_EQ(ranker_->ModelVersion(), 1);
  fs::copy(folder_ / "1", dir_ / "7");
  core_->PollFileSystem();
  EXPECT_EQ(ranker_->ModelVersion(), 7);
  History h;
  h.Add(kFirstItem, 1, data::BehaviorType::kCart, 0);
  std::vector<uint64_t> items = {kFirstItem + 5}, cates = {3};
  RankResult result;
  ASSERT_TRUE(ranker_->Rank(MakeRequest(h, items, cates, 10), &result).ok());
  EXPECT_EQ(result.model_version, 7);
  EXPECT_EQ(result.reason[0], 0);
}

TEST(InProcessRanker, NoModelIsUnavailableNotACrash) {
  RankerLoaderFactory loaders{RankerLoadOptions{}};
  serving::ServerCore core(serving::DefaultFileSystem(), &loaders);
  InProcessRanker ranker(&core.manager(), "ranker");
  EXPECT_FALSE(ranker.Ready().ok());
  RankResult result;
  RankRequest request;
  EXPECT_FALSE(ranker.Rank(request, &result).ok());
  EXPECT_EQ(ranker.ModelVersion(), 0);
}

}  // namespace
}  // namespace reco::online::ranking
