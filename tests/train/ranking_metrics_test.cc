#include "train/ranking_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace reco::train {
namespace {

TEST(AucTest, HandComputedWithoutTies) {
  // Positives 0.35, 0.8; negatives 0.1, 0.4: 3 of 4 pairs ordered correctly.
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{0.1f, 0.4f, 0.35f, 0.8f}, std::vector<float>{0, 0, 1, 1}), 0.75);
}

TEST(AucTest, TiesCountHalf) {
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{0.5f, 0.5f}, std::vector<float>{1, 0}), 0.5);
  // Pairs (0.5,0.2)=1, (0.5,0.5)=0.5, (0.9,0.2)=1, (0.9,0.5)=1 → 3.5 / 4.
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{0.2f, 0.5f, 0.5f, 0.9f}, std::vector<float>{0, 1, 0, 1}), 0.875);
  // All scores equal: every pair is a tie.
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{3, 3, 3, 3, 3}, std::vector<float>{1, 0, 0, 1, 0}), 0.5);
}

TEST(AucTest, PerfectAndInverted) {
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{-2, -1, 5, 7}, std::vector<float>{0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{-2, -1, 5, 7}, std::vector<float>{1, 1, 0, 0}), 0.0);
}

TEST(AucTest, UndefinedCases) {
  EXPECT_TRUE(std::isnan(Auc({}, {})));
  EXPECT_TRUE(std::isnan(Auc(std::vector<float>{0.1f, 0.9f}, std::vector<float>{1, 1})));
  EXPECT_TRUE(std::isnan(Auc(std::vector<float>{0.1f, 0.9f}, std::vector<float>{0, 0})));
  EXPECT_TRUE(std::isnan(Auc(std::vector<float>{0.1f}, std::vector<float>{0, 1})));  // length mismatch
  EXPECT_TRUE(std::isnan(Auc(std::vector<float>{NAN, 0.9f}, std::vector<float>{0, 1})));
}

TEST(AucTest, MatchesBruteForceOnRandomData) {
  std::vector<float> s, y;
  uint32_t x = 12345;
  for (int i = 0; i < 500; ++i) {
    x = x * 1103515245u + 12345u;
    s.push_back(static_cast<float>((x >> 16) % 20));  // many ties
    y.push_back(((x >> 8) & 3) == 0 ? 1.0f : 0.0f);
  }
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    for (size_t j = 0; j < s.size(); ++j) {
      if (y[i] == 1 && y[j] == 0) {
        pairs += 1;
        wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
    }
  }
  EXPECT_NEAR(Auc(s, y), wins / pairs, 1e-12);
}

TEST(GroupAucTest, ImpressionWeightedAndSingleClassUsersExcluded) {
  // User 7: scores 0.1 0.4 0.35 0.8 / labels 0 0 1 1 → AUC 0.75 over 4 rows.
  // User 3: 0.3(+) 0.6(-) 0.2(-) → 1 of 2 pairs → AUC 0.5 over 3 rows.
  // User 9: only positives → excluded. Rows are interleaved on purpose.
  const std::vector<float> s = {0.1f, 0.3f, 0.9f, 0.4f, 0.6f, 0.35f, 0.1f, 0.2f, 0.8f};
  const std::vector<float> y = {0, 1, 1, 0, 0, 1, 1, 0, 1};
  const std::vector<int32_t> u = {7, 3, 9, 7, 3, 7, 9, 3, 7};
  int64_t users = 0, rows = 0;
  EXPECT_NEAR(GroupAuc(s, y, u, &users, &rows), (4 * 0.75 + 3 * 0.5) / 7, 1e-12);
  EXPECT_EQ(users, 2);
  EXPECT_EQ(rows, 7);
}

TEST(GroupAucTest, TiesInsideAUser) {
  const std::vector<float> s = {1, 1, 1, 2};
  const std::vector<float> y = {1, 0, 1, 0};
  const std::vector<int32_t> u = {1, 1, 2, 2};
  // User 1: one tie → 0.5; user 2: positive below negative → 0.
  EXPECT_DOUBLE_EQ(GroupAuc(s, y, u), (2 * 0.5 + 2 * 0.0) / 4);
}

TEST(GroupAucTest, UndefinedWhenNoUserHasBothClasses) {
  int64_t users = -1, rows = -1;
  EXPECT_TRUE(std::isnan(GroupAuc({}, {}, {}, &users, &rows)));
  EXPECT_EQ(users, 0);
  EXPECT_EQ(rows, 0);
  EXPECT_TRUE(std::isnan(GroupAuc(std::vector<float>{0.1f, 0.2f}, std::vector<float>{1, 0},
                                  std::vector<int32_t>{1, 2})));
}

TEST(LogLossTest, HandComputedAndClipped) {
  EXPECT_NEAR(LogLoss(std::vector<float>{0.9f, 0.2f}, std::vector<float>{1, 0}),
              -(std::log(0.9) + std::log(0.8)) / 2, 1e-7);
  // p = 0 for a positive and p = 1 for a negative cost -log(1e-7) each, not infinity.
  EXPECT_NEAR(LogLoss(std::vector<float>{0.0f, 1.0f}, std::vector<float>{1, 0}), -std::log(kLogLossEps), 1e-6);
  EXPECT_TRUE(std::isnan(LogLoss({}, {})));
}

TEST(LogLossTest, FromLogitsMatchesProbabilities) {
  EXPECT_NEAR(LogLossFromLogits(std::vector<float>{0.0f}, std::vector<float>{1}), std::log(2.0), 1e-12);
  const std::vector<float> logits = {-3.0f, 0.5f, 2.0f, 40.0f};
  const std::vector<float> y = {0, 1, 0, 0};
  std::vector<float> p;
  for (float z : logits) p.push_back(static_cast<float>(1.0 / (1.0 + std::exp(-z))));
  EXPECT_NEAR(LogLossFromLogits(logits, y), LogLoss(p, y), 1e-6);
  EXPECT_NEAR(LogLossFromLogits(std::vector<float>{40.0f}, std::vector<float>{0}), -std::log(kLogLossEps), 1e-6);
}

TEST(RankingMetricsTest, AllAtOnce) {
  const std::vector<float> s = {-1, 2, 0.5f, -3};
  const std::vector<float> y = {0, 1, 1, 0};
  const std::vector<int32_t> u = {5, 5, 6, 6};
  const RankingMetrics m = ComputeRankingMetrics(s, y, u, ScoreKind::kLogit);
  EXPECT_EQ(m.rows, 4);
  EXPECT_EQ(m.positives, 2);
  EXPECT_DOUBLE_EQ(m.auc, 1.0);
  EXPECT_DOUBLE_EQ(m.gauc, 1.0);
  EXPECT_EQ(m.gauc_users, 2);
  EXPECT_NEAR(m.logloss, LogLossFromLogits(s, y), 1e-12);
  const RankingMetrics empty = ComputeRankingMetrics({}, {}, {}, ScoreKind::kProbability);
  EXPECT_EQ(empty.rows, 0);
  EXPECT_TRUE(std::isnan(empty.auc) && std::isnan(empty.gauc) && std::isnan(empty.logloss));
}

}  // namespace
}  // namespace reco::train
