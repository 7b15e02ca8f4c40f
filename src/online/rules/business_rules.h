// Business rules: which ranked candidates a shopper may see, and in what order.
//
// Two steps, so the expensive model never scores an item that would be dropped anyway:
//  1. Filter (before ranking): drop items the user already bought, unavailable items, items on the request's
//     exclude list and, with a category filter, items of other categories.
//  2. SelectTopK (after ranking): drop scores below min_score, order by score descending then item id ascending
//     (a stable, reproducible order for ties), then take the first k while keeping at most max_per_category
//     items of one category (diversity); a capped category's later items are skipped, not moved up.
// The item facts (bought? available?) come through ItemFacts so the rules know nothing of the store.
// Thread-safety: stateless functions; an ItemFacts implementation must be safe for the calling thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace reco::online::rules {

// What the rules need to know about an item; the service implements it over the store.
class ItemFacts {
 public:
  virtual ~ItemFacts() = default;
  virtual bool HasBought(uint64_t user_id, uint64_t item_id) const = 0;
  virtual bool IsAvailable(uint64_t item_id) const = 0;
};

struct ScoredItem {
  uint64_t item_id = 0;
  uint64_t category_id = 0;
  float score = 0;
  int32_t reason = -1;  // index into the user's history, -1 if none
  uint32_t tag = 0;     // the caller's payload (e.g. the candidate's position), carried through unchanged
};

struct FilterOptions {
  uint64_t user_id = 0;
  std::span<const uint64_t> exclude;  // any order
  std::optional<uint64_t> category;   // keep only this category
};

struct SelectOptions {
  int k = 10;
  std::optional<float> min_score;
  int max_per_category = 0;  // 0: no limit
};

// Step 1, in place, keeping the order of the survivors. `facts` may be null (nothing bought, all available).
void FilterCandidates(const FilterOptions& options, const ItemFacts* facts, std::vector<ScoredItem>* items);

// Step 2, in place: `items` becomes the final list (at most k).
void SelectTopK(const SelectOptions& options, std::vector<ScoredItem>* items);

// The order of step 2: score descending, then item id ascending.
inline bool RanksBefore(const ScoredItem& a, const ScoredItem& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.item_id < b.item_id;
}

}  // namespace reco::online::rules
