// Recommender: one recommend request end to end, transport-free — history from the store, candidates from the
// retriever, business-rule filters, model scores (in-process or remote), min score / diversity / top-k, reasons.
//
// Ranking failures never fail a request: without a ranker, or when it fails (no model version yet, remote model
// server down or late), candidates keep their retrieval order and score, and `ranking` says why, e.g.
// "fallback: model server unavailable". Only a store failure is an error.
// Reasons: with a model, the history entry with the largest attention weight ("because you added 2268318 to your
// cart"); otherwise the candidate's retrieval source ("trending now").
// Thread-safety: Recommend is const and may be called concurrently; per-thread scratch buffers are reused, so a
// warm request allocates only its response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "online/ranking/ranker.h"
#include "online/retrieval/retriever.h"
#include "online/rules/business_rules.h"
#include "online/store/store.h"

namespace reco::online::service {

struct RecommenderOptions {
  int candidates = 500;         // asked of the retriever
  int max_per_category = 0;     // 0: no diversity cap
  std::optional<float> min_score;
  int max_k = 1000;
  bool remote = false;          // ranking runs in a model server (changes the fallback wording)
};

struct RecommendRequest {
  uint64_t user_id = 0;
  int k = 10;
  std::vector<uint64_t> exclude;
  std::optional<uint64_t> category;
};

struct RecommendedItem {
  uint64_t item_id = 0;
  uint64_t category_id = 0;
  float score = 0;
  // The reason: a history entry (reason_item, reason_behavior) when has_history_reason, else the retrieval source.
  bool has_history_reason = false;
  uint64_t reason_item = 0;
  data::BehaviorType reason_behavior = data::BehaviorType::kPv;
  uint8_t source = 0;
};

// Where one request's server-side time went (ms), for the Server-Timing header and load tests.
struct RecommendTiming {
  double retrieve_ms = 0;  // history + candidate retrieval
  double filter_ms = 0;    // business-rule filters before ranking
  double queue_ms = 0;     // waiting for a compute slot (in-process ranking)
  double rank_ms = 0;      // ranking without the queue: model inputs, engine run (or remote call), outputs
  double select_ms = 0;    // min score, diversity, top-k, reasons
};

struct RecommendResponse {
  uint64_t user_id = 0;
  std::vector<RecommendedItem> items;
  int64_t model_version = 0;  // 0: no model was used
  int candidates_considered = 0;
  int history_length = 0;
  bool cold_start = false;
  std::string ranking;  // "model", "fallback: ...", "retrieval (no model configured)"
  double latency_ms = 0;
  RecommendTiming timing;
};

// "because you added 2268318 to your cart", "because you viewed ...", "trending now", ...
std::string ReasonText(const RecommendedItem& item);

class Recommender {
 public:
  // Not owned; must outlive the recommender. `ranker` may be null (retrieval order).
  Recommender(const Store* store, const Retriever* retriever, const ranking::Ranker* ranker,
              RecommenderOptions options);

  // InvalidArgument for k outside [1, max_k]; never fails because of ranking.
  Status Recommend(const RecommendRequest& request, RecommendResponse* response) const;

  const RecommenderOptions& options() const { return options_; }
  const ranking::Ranker* ranker() const { return ranker_; }

 private:
  const Store* const store_;
  const Retriever* const retriever_;
  const ranking::Ranker* const ranker_;
  const RecommenderOptions options_;
};

}  // namespace reco::online::service
