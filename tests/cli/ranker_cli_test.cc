// `reco train-ranker` / `reco eval-ranker` end to end on tiny logs, and the bad-input list:
// malformed rows, an empty file, one user, single-event users, ids beyond 2^53, unsorted timestamps, histories
// longer than L, a run folder with a missing vocabulary.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli/cli_runner.h"

namespace reco {
namespace {

using testutil::RunBinary;
namespace fs = std::filesystem;

constexpr char kSmall[] = " --epochs 1 --batch-size 32 --emb-dim 4 --max-history 8 --no-progress";
constexpr char kTiny[] = " --epochs 1 --batch-size 32 --emb-dim 4 --no-progress";

class RankerCli : public ::testing::Test {
 protected:
  // A tiny generated log shared by the tests of this suite.
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir("reco-ranker-cli");
    auto r = RunBinary("reco", "gen-events --users 60 --items 400 --categories 8 --days 4 --seed 3 --quiet --out " +
                                   dir_->file("events.csv"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Csv(const std::string& name, const std::string& text) {
    std::ofstream(dir_->file(name)) << text;
    return dir_->file(name);
  }
  static testutil::TempDir* dir_;
};
testutil::TempDir* RankerCli::dir_ = nullptr;

// The number after "key": in a flat JSON object (NaN if absent).
double Number(const std::string& json, const std::string& key) {
  const size_t p = json.find("\"" + key + "\": ");
  return p == std::string::npos ? std::nan("") : std::stod(json.substr(p + key.size() + 4));
}

TEST_F(RankerCli, TrainsEvaluatesAndReusesSamples) {
  const std::string run = dir_->file("run");
  const std::string train = "train-ranker --events " + dir_->file("events.csv") + " --out " + run + kSmall +
                            " --metrics-json " + dir_->file("m.json");
  auto r = RunBinary("reco", train);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("samples built"), std::string::npos) << r.out;
  const std::string json = testutil::Slurp(dir_->file("m.json"));
  for (const char* key : {"\"test_gauc\"", "\"test_auc\"", "\"test_logloss\"", "\"valid_gauc\"",
                          "\"examples_per_second\"", "\"model_kind\": \"din\""}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  }
  for (const char* f : {"best.pt", "run.json", "curves.csv", "curves.svg", "user_vocab.txt", "item_vocab.txt",
                        "cate_vocab.txt", "user_features.tsv", "item_features.tsv", "samples/samples.bin"}) {
    EXPECT_TRUE(fs::exists(run + "/" + f)) << f;
  }
  auto again = RunBinary("reco", train + " --model base");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("reusing samples"), std::string::npos) << again.out;

  auto ev = RunBinary("reco", "eval-ranker --model " + run + " --events " + dir_->file("events.csv") +
                                  " --metrics-json -");
  ASSERT_EQ(ev.exit_code, 0) << ev.err;
  EXPECT_NE(ev.out.find("\"gauc\""), std::string::npos) << ev.out;
  EXPECT_NE(ev.out.find("\"unknown_items\": 0"), std::string::npos) << ev.out;
  // The base run (the last one) evaluated on its own log's test split reproduces its training-time test metrics.
  const std::string base_json = testutil::Slurp(dir_->file("m.json"));
  auto ckpt = RunBinary("reco", "eval-ranker --model " + run + "/best.pt --events " + dir_->file("events.csv") +
                                    " --splits test --metrics-json " + dir_->file("e.json"));
  ASSERT_EQ(ckpt.exit_code, 0) << ckpt.err;
  const std::string eval_json = testutil::Slurp(dir_->file("e.json"));
  EXPECT_NEAR(Number(eval_json, "auc"), Number(base_json, "test_auc"), 1e-9) << eval_json << base_json;
  EXPECT_NEAR(Number(eval_json, "gauc"), Number(base_json, "test_gauc"), 1e-9);

  fs::remove(run + "/cate_vocab.txt");
  auto missing = RunBinary("reco", "eval-ranker --model " + run + " --events " + dir_->file("events.csv"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("cate_vocab.txt"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.ErrLines(), 1) << missing.err;
}

TEST_F(RankerCli, SeedMlpTrainsAndEvaluates) {
  const std::string run = dir_->file("seed");
  auto r = RunBinary("reco", "train-ranker --model seed-mlp --events " + dir_->file("events.csv") + " --out " + run +
                                 kSmall);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = RunBinary("reco", "eval-ranker --model " + run + " --events " + dir_->file("events.csv"));
  EXPECT_EQ(ev.exit_code, 0) << ev.err;
  fs::remove(run + "/item_features.tsv");
  auto missing = RunBinary("reco", "eval-ranker --model " + run + " --events " + dir_->file("events.csv"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("item_features.tsv"), std::string::npos) << missing.err;
}

// Rows of a clean base log: users 1..6, 5 events each over items 100..129, sorted by time.
std::string BaseRows() {
  std::string s;
  for (int u = 1; u <= 6; ++u) {
    for (int e = 0; e < 5; ++e) {
      s += std::to_string(u) + "," + std::to_string(100 + (u * 7 + e * 3) % 30) + "," + std::to_string(e % 3) +
           ",pv," + std::to_string(1511600000 + u * 1000 + e * 60) + "\n";
    }
  }
  return s;
}

TEST_F(RankerCli, BadInputIsReportedOrHandled) {
  auto run = [&](const std::string& csv, const std::string& extra = "") {
    return RunBinary("reco", "train-ranker --events " + csv + " --out " + dir_->file("bad-run") + kTiny + extra);
  };
  // Malformed rows and ids beyond 2^53 are skipped, counted by reason, and training goes on.
  auto dirty = run(Csv("dirty.csv", BaseRows() + "1,2,3\nx,1,1,pv,1511600000\n1,9007199254740993,1,pv,1511600001\n"
                                                 "1,100,1,click,1511600002\n"));
  ASSERT_EQ(dirty.exit_code, 0) << dirty.err;
  EXPECT_NE(dirty.out.find("4 dirty"), std::string::npos) << dirty.out;
  EXPECT_NE(dirty.out.find("id_too_large"), std::string::npos) << dirty.out;
  EXPECT_NE(dirty.out.find("field_count"), std::string::npos) << dirty.out;
  // Unsorted timestamps are sorted per user (counted); histories longer than L are truncated (counted).
  std::string rows = BaseRows();
  rows += "1,120,1,pv,1511500000\n";  // user 1's earliest event comes last in the file
  auto unsorted = run(Csv("unsorted.csv", rows), " --max-history 2 --rebuild-samples");
  ASSERT_EQ(unsorted.exit_code, 0) << unsorted.err;
  EXPECT_NE(unsorted.out.find("1 re-sorted by time"), std::string::npos) << unsorted.out;
  EXPECT_EQ(unsorted.out.find(" 0 histories truncated"), std::string::npos) << unsorted.out;
  // Errors: one line on stderr, naming the problem.
  auto expect_error = [](const testutil::CommandResult& r, const std::string& needle) {
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(r.ErrLines(), 1) << r.err;
  };
  expect_error(run(Csv("empty.csv", "")), "no usable rows");
  expect_error(run(dir_->file("absent.csv")), "absent.csv");
  expect_error(run(Csv("single.csv", "1,100,1,pv,1511600000\n2,101,1,pv,1511600000\n3,102,2,buy,1511600001\n")),
               "no training samples");
  // One user alone has touched every item of the vocabulary: no negative can be drawn.
  expect_error(run(Csv("one-user.csv", "7,100,1,pv,1511600000\n7,101,1,pv,1511600100\n7,102,1,cart,1511600200\n")),
               "every item");
  expect_error(run(dir_->file("events.csv"), " --split time"), "--train-end");
}

}  // namespace
}  // namespace reco
