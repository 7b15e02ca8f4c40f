#include "train/ranking_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace reco::train {
namespace {

bool IsPositive(float label) { return label > 0.5f; }

bool AnyNan(std::span<const float> v) {
  return std::any_of(v.begin(), v.end(), [](float x) { return std::isnan(x); });
}

struct PairCount {
  double wins = 0;  // positive/negative pairs ordered correctly, ties counted as one half
  int64_t positives = 0, negatives = 0;
  double Auc() const {
    return positives > 0 && negatives > 0 ? wins / (static_cast<double>(positives) * negatives) : kUndefinedMetric;
  }
};

// `order[begin, end)` are row indices sorted by ascending score. One pass over groups of equal scores: each
// positive beats every negative below its group and ties half of the negatives inside it.
PairCount CountPairs(const std::vector<uint32_t>& order, size_t begin, size_t end, std::span<const float> scores,
                     std::span<const float> labels) {
  PairCount c;
  for (size_t i = begin; i < end;) {
    size_t j = i;
    int64_t p = 0, q = 0;
    for (; j < end && scores[order[j]] == scores[order[i]]; ++j) (IsPositive(labels[order[j]]) ? p : q) += 1;
    c.wins += static_cast<double>(p) * static_cast<double>(c.negatives) + 0.5 * static_cast<double>(p) * q;
    c.positives += p;
    c.negatives += q;
    i = j;
  }
  return c;
}

}  // namespace

double Auc(std::span<const float> scores, std::span<const float> labels) {
  if (scores.size() != labels.size() || scores.empty() || AnyNan(scores)) return kUndefinedMetric;
  std::vector<uint32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return scores[a] < scores[b]; });
  return CountPairs(order, 0, order.size(), scores, labels).Auc();
}

double GroupAuc(std::span<const float> scores, std::span<const float> labels, std::span<const int32_t> users,
                int64_t* users_used, int64_t* rows_used) {
  if (users_used) *users_used = 0;
  if (rows_used) *rows_used = 0;
  if (scores.size() != labels.size() || scores.size() != users.size() || scores.empty() || AnyNan(scores)) {
    return kUndefinedMetric;
  }
  std::vector<uint32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return users[a] != users[b] ? users[a] < users[b] : scores[a] < scores[b];
  });
  double weighted = 0;
  int64_t n_users = 0, n_rows = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && users[order[j]] == users[order[i]]) ++j;
    const PairCount c = CountPairs(order, i, j, scores, labels);
    if (c.positives > 0 && c.negatives > 0) {
      const auto n = static_cast<int64_t>(j - i);
      weighted += static_cast<double>(n) * c.Auc();
      n_rows += n;
      ++n_users;
    }
    i = j;
  }
  if (users_used) *users_used = n_users;
  if (rows_used) *rows_used = n_rows;
  return n_rows > 0 ? weighted / static_cast<double>(n_rows) : kUndefinedMetric;
}

double LogLoss(std::span<const float> probabilities, std::span<const float> labels) {
  if (probabilities.size() != labels.size() || probabilities.empty()) return kUndefinedMetric;
  double sum = 0;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    const double p = std::clamp(static_cast<double>(probabilities[i]), kLogLossEps, 1.0 - kLogLossEps);
    sum -= IsPositive(labels[i]) ? std::log(p) : std::log1p(-p);
  }
  return sum / static_cast<double>(probabilities.size());
}

double LogLossFromLogits(std::span<const float> logits, std::span<const float> labels) {
  if (logits.size() != labels.size() || logits.empty()) return kUndefinedMetric;
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    // Same clipping as LogLoss, in double so that |logit| up to ~16 keeps full precision.
    const double p = std::clamp(1.0 / (1.0 + std::exp(-static_cast<double>(logits[i]))), kLogLossEps,
                                1.0 - kLogLossEps);
    sum -= IsPositive(labels[i]) ? std::log(p) : std::log1p(-p);
  }
  return sum / static_cast<double>(logits.size());
}

RankingMetrics ComputeRankingMetrics(std::span<const float> scores, std::span<const float> labels,
                                     std::span<const int32_t> users, ScoreKind kind) {
  RankingMetrics m;
  m.rows = static_cast<int64_t>(scores.size());
  m.positives = std::count_if(labels.begin(), labels.end(), IsPositive);
  m.auc = Auc(scores, labels);
  m.gauc = GroupAuc(scores, labels, users, &m.gauc_users, &m.gauc_rows);
  m.logloss = kind == ScoreKind::kLogit ? LogLossFromLogits(scores, labels) : LogLoss(scores, labels);
  return m;
}

}  // namespace reco::train
