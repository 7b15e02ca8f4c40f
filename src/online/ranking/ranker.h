// Ranker: scores one user's candidates with the ranking model (docs/ranker_model.md).
//
// Contract: Rank() fills one score per candidate (higher = more likely) and, per candidate, the index of the
// history entry the model attended to most (the "reason"), or -1. The history is the user's behaviours OLDEST
// FIRST, any length: a ranker uses the last L (the model's max_history). Raw ids are mapped through the model's
// vocabularies (unknown -> OOV) by the ranker, so callers pass ids as stored.
// A failed Rank (no model loaded, model server down or late) returns a non-OK Status; the caller then keeps the
// retrieval order and says so — ranking failures never fail a recommendation.
// Thread-safety: Rank is const and may be called concurrently; implementations keep per-thread scratch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/behavior_event.h"

namespace reco::online::ranking {

struct RankRequest {
  // The user's history, oldest first; parallel arrays of equal length.
  std::span<const uint64_t> hist_item;
  std::span<const uint64_t> hist_cate;
  std::span<const data::BehaviorType> hist_type;
  std::span<const int64_t> hist_time;  // Unix seconds
  // Candidates; parallel arrays of equal length.
  std::span<const uint64_t> target_item;
  std::span<const uint64_t> target_cate;
  int64_t now = 0;  // the "target time" of the recency buckets
};

struct RankResult {
  std::vector<float> scores;    // one per candidate
  std::vector<int32_t> reason;  // one per candidate: index into the request's history, -1 if none
  int64_t model_version = 0;
  double queue_ms = 0;  // time spent waiting for a compute slot before ranking (in-process ranker), for timing
};

class Ranker {
 public:
  virtual ~Ranker() = default;
  // Fills `result` (its vectors are reused: no allocation once warm).
  virtual Status Rank(const RankRequest& request, RankResult* result) const = 0;
  // "in-process", "remote 127.0.0.1:8500", ... for /readyz and logs.
  virtual std::string Describe() const = 0;
  // OK once a model version is available to rank with.
  virtual Status Ready() const = 0;
  // The version Rank would use now (0 if none).
  virtual int64_t ModelVersion() const = 0;
};

// Validates the request's parallel arrays (InvalidArgument naming the array).
Status CheckRankRequest(const RankRequest& request);

}  // namespace reco::online::ranking
