// The built-in candidate sources (see retriever.h for how they are merged). Each reads the Store's in-memory
// structures only (no RocksDB reads), reusing thread-local scratch buffers.
// Thread-safety: const, concurrent Retrieve calls are fine. The Store is not owned and must outlive the source.
#pragma once

#include <string_view>

#include "online/retrieval/candidate_source.h"

namespace reco::online {

// Neighbours of the user's `recent_items` most recent distinct history items; a neighbour's score is
// Σ pair weight · BehaviorWeight(history behaviour) / (1 + recency rank of the history item).
class CoVisitationSource final : public CandidateSource {
 public:
  CoVisitationSource(const Store* store, int recent_items) : store_(store), recent_items_(recent_items) {}
  std::string_view name() const override { return "covisit"; }
  Status Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const override;

 private:
  const Store* store_;
  int recent_items_;
};

// Top items of the user's `recent_categories` most recent distinct categories (request.category, when set, is
// consulted first); a category's items are scored by popularity relative to its best item, times 1/(1 + rank of
// the category).
class CategoryPopularSource final : public CandidateSource {
 public:
  CategoryPopularSource(const Store* store, int recent_categories, int items_per_category)
      : store_(store), recent_categories_(recent_categories), items_per_category_(items_per_category) {}
  std::string_view name() const override { return "category"; }
  Status Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const override;

 private:
  const Store* store_;
  int recent_categories_;
  int items_per_category_;
};

// Globally most popular items (time-decayed), scored relative to the best; `bit` is kSourceTrending, or
// kSourceColdStart when used as the cold-start source. With request.category, the category's top list instead.
class TrendingSource final : public CandidateSource {
 public:
  TrendingSource(const Store* store, int items, uint8_t bit) : store_(store), items_(items), bit_(bit) {}
  std::string_view name() const override { return bit_ == kSourceColdStart ? "cold_start" : "trending"; }
  Status Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const override;

 private:
  const Store* store_;
  int items_;
  uint8_t bit_;
};

}  // namespace reco::online
