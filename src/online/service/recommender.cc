#include "online/service/recommender.h"

#include <chrono>

#include <fmt/format.h>

#include "core/logging.h"
#include "online/retrieval/candidate_source.h"

namespace reco::online::service {
namespace {

// Rule facts over the store. Retrieval never proposes unavailable items, but exclusions and availability are
// cheap to re-check and the rules must hold whatever the sources do. One Reader (one shared lock) serves the whole
// filter pass instead of two lock round trips per candidate; appends wait only for that pass.
class StoreItemFacts final : public rules::ItemFacts {
 public:
  explicit StoreItemFacts(const Store* store) : reader_(store->Read()) {}
  bool HasBought(uint64_t user_id, uint64_t item_id) const override { return reader_.HasBought(user_id, item_id); }
  bool IsAvailable(uint64_t item_id) const override {
    const ItemInfo* info = reader_.FindItem(item_id);
    return !info || info->available;
  }

 private:
  Store::Reader reader_;
};

struct Scratch {
  std::vector<HistoryEntry> history;
  std::vector<Candidate> candidates;
  std::vector<rules::ScoredItem> items;
  std::vector<uint64_t> hist_item, hist_cate, target_item, target_cate;
  std::vector<data::BehaviorType> hist_type;
  std::vector<int64_t> hist_time;
  ranking::RankResult ranked;
};

std::string FallbackText(const Status& status, bool remote) {
  if (remote) return "fallback: model server unavailable";
  if (status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kNotFound) {
    return "fallback: no model version loaded";
  }
  return "fallback: model error";
}

}  // namespace

std::string ReasonText(const RecommendedItem& item) {
  if (item.has_history_reason) {
    switch (item.reason_behavior) {
      case data::BehaviorType::kPv: return fmt::format("because you viewed {}", item.reason_item);
      case data::BehaviorType::kCart: return fmt::format("because you added {} to your cart", item.reason_item);
      case data::BehaviorType::kFav: return fmt::format("because you saved {} as a favourite", item.reason_item);
      case data::BehaviorType::kBuy: return fmt::format("because you bought {}", item.reason_item);
    }
  }
  if (item.source & kSourceColdStart) return "trending now";
  if (item.source & kSourceCoVisit) return "often viewed with items you looked at";
  if (item.source & kSourceCategory) return "popular in a category you browse";
  if (item.source & kSourceTrending) return "trending now";
  return "recommended";
}

Recommender::Recommender(const Store* store, const Retriever* retriever, const ranking::Ranker* ranker,
                         RecommenderOptions options)
    : store_(store), retriever_(retriever), ranker_(ranker), options_(options) {}

Status Recommender::Recommend(const RecommendRequest& request, RecommendResponse* response) const {
  using Clock = std::chrono::steady_clock;
  const auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  const Clock::time_point start = Clock::now();
  response->timing = {};
  if (request.k <= 0 || request.k > options_.max_k) {
    return InvalidArgumentError(fmt::format("k must be in [1, {}], got {}", options_.max_k, request.k));
  }
  thread_local Scratch s;
  response->user_id = request.user_id;
  response->items.clear();
  const int64_t now = store_->Now();
  RETURN_IF_ERROR(store_->History(request.user_id, store_->options().max_history, &s.history));
  response->history_length = static_cast<int>(s.history.size());
  response->cold_start = s.history.empty();

  RetrievalRequest retrieval;
  retrieval.user_id = request.user_id;
  retrieval.history = s.history;
  retrieval.want = options_.candidates;
  retrieval.now = now;
  retrieval.category = request.category;
  RETURN_IF_ERROR(retriever_->Retrieve(retrieval, &s.candidates));
  const Clock::time_point retrieved = Clock::now();
  response->timing.retrieve_ms = ms(start, retrieved);

  s.items.clear();
  for (size_t i = 0; i < s.candidates.size(); ++i) {
    const Candidate& c = s.candidates[i];
    s.items.push_back({c.item_id, c.category_id, c.retrieval_score, -1, static_cast<uint32_t>(i)});
  }
  {
    const StoreItemFacts facts(store_);  // holds the store's shared lock: released before ranking
    rules::FilterCandidates({.user_id = request.user_id, .exclude = request.exclude, .category = request.category},
                            &facts, &s.items);
  }
  response->candidates_considered = static_cast<int>(s.items.size());
  const Clock::time_point filtered = Clock::now();
  response->timing.filter_ms = ms(retrieved, filtered);

  bool ranked = false;
  response->model_version = 0;
  if (ranker_ == nullptr) {
    response->ranking = "retrieval (no model configured)";
  } else if (s.items.empty()) {
    response->ranking = "model";
    response->model_version = ranker_->ModelVersion();
  } else {
    s.hist_item.clear(), s.hist_cate.clear(), s.hist_type.clear(), s.hist_time.clear();
    for (const HistoryEntry& h : s.history) {
      s.hist_item.push_back(h.item_id), s.hist_cate.push_back(h.category_id);
      s.hist_type.push_back(h.behavior), s.hist_time.push_back(h.timestamp);
    }
    s.target_item.clear(), s.target_cate.clear();
    for (const rules::ScoredItem& it : s.items) s.target_item.push_back(it.item_id), s.target_cate.push_back(it.category_id);
    const ranking::RankRequest rank{s.hist_item, s.hist_cate, s.hist_type, s.hist_time, s.target_item, s.target_cate,
                                    now};
    s.ranked.queue_ms = 0;
    const Status status = ranker_->Rank(rank, &s.ranked);
    response->timing.queue_ms = s.ranked.queue_ms;
    if (status.ok()) {
      ranked = true;
      response->ranking = "model";
      response->model_version = s.ranked.model_version;
      for (size_t i = 0; i < s.items.size(); ++i) {
        s.items[i].score = s.ranked.scores[i];
        s.items[i].reason = s.ranked.reason[i];
      }
    } else {
      response->ranking = FallbackText(status, options_.remote);
      RECO_LOG_DEBUG("ranking fell back to retrieval order: {}", status.ToString());
    }
  }
  const Clock::time_point ranked_at = Clock::now();
  response->timing.rank_ms = ms(filtered, ranked_at) - response->timing.queue_ms;
  rules::SelectOptions select{.k = request.k, .min_score = ranked ? options_.min_score : std::nullopt,
                              .max_per_category = options_.max_per_category};
  rules::SelectTopK(select, &s.items);

  response->items.reserve(s.items.size());
  for (const rules::ScoredItem& it : s.items) {
    RecommendedItem out;
    out.item_id = it.item_id;
    out.category_id = it.category_id;
    out.score = it.score;
    out.source = s.candidates[it.tag].source;
    if (it.reason >= 0 && static_cast<size_t>(it.reason) < s.history.size()) {
      out.has_history_reason = true;
      out.reason_item = s.history[static_cast<size_t>(it.reason)].item_id;
      out.reason_behavior = s.history[static_cast<size_t>(it.reason)].behavior;
    }
    response->items.push_back(out);
  }
  const Clock::time_point end = Clock::now();
  response->timing.select_ms = ms(ranked_at, end);
  response->latency_ms = ms(start, end);
  return Status::Ok();
}

}  // namespace reco::online::service
