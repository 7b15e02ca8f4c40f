// Ranking metrics for click/purchase models: AUC, GAUC and log loss (LibTorch-free; library reco_metrics).
//
// Definitions (labels: a row is positive iff label > 0.5):
//   AUC  = P(score of a random positive > score of a random negative), a tie counting one half:
//          (Σ over positive/negative pairs of [s⁺ > s⁻] + ½·[s⁺ = s⁻]) / (P·N).
//          Computed by sorting, O(n log n).
//          Undefined (NaN) when there are no positives or no negatives, e.g. on empty input.
//   GAUC = impression-weighted mean of per-user AUC over the users that have both classes:
//          Σ_u n_u·AUC_u / Σ_u n_u, with n_u = number of rows (impressions) of user u. Users with a single class
//          are excluded (their AUC is undefined), and so are their rows from the weights. NaN if no user qualifies.
//          This is the GAUC of the DIN paper (Zhou et al., KDD 2018, eq. 1) with impressions as weights.
//   logloss = −mean(y·log p + (1−y)·log(1−p)) with p clipped to [kLogLossEps, 1 − kLogLossEps] so that a
//          confident wrong answer costs at most −log(kLogLossEps) ≈ 16.1 instead of infinity. NaN on empty input.
// AUC and GAUC depend only on the order of scores, so logits and probabilities give the same values; passing
// logits avoids the ties that float sigmoids create at the extremes.
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <limits>
#include <span>

namespace reco::train {

inline constexpr double kLogLossEps = 1e-7;
inline constexpr double kUndefinedMetric = std::numeric_limits<double>::quiet_NaN();

struct RankingMetrics {
  double auc = kUndefinedMetric;
  double gauc = kUndefinedMetric;
  double logloss = kUndefinedMetric;
  int64_t rows = 0;
  int64_t positives = 0;
  int64_t gauc_users = 0;  // users with both classes (the ones GAUC averages over)
  int64_t gauc_rows = 0;   // their impressions (the GAUC weight total)
};

enum class ScoreKind { kLogit, kProbability };

// `scores` and `labels` must have the same length (else NaN).
double Auc(std::span<const float> scores, std::span<const float> labels);
// `users` groups rows (any int32 id, rows need not be contiguous). Optional outputs: users and rows used.
double GroupAuc(std::span<const float> scores, std::span<const float> labels, std::span<const int32_t> users,
                int64_t* users_used = nullptr, int64_t* rows_used = nullptr);
double LogLoss(std::span<const float> probabilities, std::span<const float> labels);
double LogLossFromLogits(std::span<const float> logits, std::span<const float> labels);

// All three at once; `kind` says whether `scores` are logits or probabilities (for the log loss).
RankingMetrics ComputeRankingMetrics(std::span<const float> scores, std::span<const float> labels,
                                     std::span<const int32_t> users, ScoreKind kind);

}  // namespace reco::train
