#include "online/rules/business_rules.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace reco::online::rules {

void FilterCandidates(const FilterOptions& options, const ItemFacts* facts, std::vector<ScoredItem>* items) {
  auto excluded = [&](uint64_t id) {
    // Exclude lists are short (a page of items); a linear scan beats building a set per request.
    return std::find(options.exclude.begin(), options.exclude.end(), id) != options.exclude.end();
  };
  std::erase_if(*items, [&](const ScoredItem& it) {
    if (options.category && it.category_id != *options.category) return true;
    if (excluded(it.item_id)) return true;
    if (facts && (!facts->IsAvailable(it.item_id) || facts->HasBought(options.user_id, it.item_id))) return true;
    return false;
  });
}

void SelectTopK(const SelectOptions& options, std::vector<ScoredItem>* items) {
  if (options.min_score) {
    const float min_score = *options.min_score;
    std::erase_if(*items, [&](const ScoredItem& it) { return !(it.score >= min_score); });  // NaN scores go too
  } else {
    std::erase_if(*items, [](const ScoredItem& it) { return std::isnan(it.score); });
  }
  const size_t k = static_cast<size_t>(std::max(options.k, 0));
  if (options.max_per_category <= 0) {
    // Only the first k are shown: order those, not all ~500 (RanksBefore is a total order: same result).
    if (items->size() > k) {
      std::partial_sort(items->begin(), items->begin() + static_cast<std::ptrdiff_t>(k), items->end(), RanksBefore);
      items->resize(k);
    } else {
      std::sort(items->begin(), items->end(), RanksBefore);
    }
    return;
  }
  std::sort(items->begin(), items->end(), RanksBefore);
  // At most k categories can be counted; a small flat vector beats a hash map here.
  thread_local std::vector<std::pair<uint64_t, int>> per_category;
  per_category.clear();
  size_t out = 0;
  for (size_t i = 0; i < items->size() && out < k; ++i) {
    const ScoredItem& it = (*items)[i];
    auto c = std::find_if(per_category.begin(), per_category.end(),
                          [&](const auto& e) { return e.first == it.category_id; });
    if (c == per_category.end()) {
      per_category.emplace_back(it.category_id, 0);
      c = per_category.end() - 1;
    }
    if (c->second >= options.max_per_category) continue;
    ++c->second;
    (*items)[out++] = it;
  }
  items->resize(out);
}

}  // namespace reco::online::rules
