#include "online/retrieval/sources.h"

#include <algorithm>
#include <cmath>

#include "online/retrieval/candidate_order.h"
#include "online/retrieval/scratch_index.h"

namespace reco::online {
namespace {

// Scratch buffers of one thread, reused across requests (vectors keep their capacity, the index resets in O(1)).
struct Scratch {
  std::vector<uint64_t> seen_items;
  std::vector<uint64_t> seen_categories;
  std::vector<Candidate> candidates;
  ScratchIndex index;
};
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

bool Contains(const std::vector<uint64_t>& v, uint64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Sorts `c` best first, keeps `want`, scales scores so the best is 1, stamps `bit` and appends to *out.
void Emit(std::vector<Candidate>& c, int want, uint8_t bit, std::vector<Candidate>* out) {
  SortTop(&c, static_cast<size_t>(std::max(0, want)));
  const float best = c.empty() ? 1.0f : c.front().retrieval_score;
  for (Candidate& x : c) {
    x.retrieval_score = best > 0 ? x.retrieval_score / best : 1.0f;
    x.source = bit;
    out->push_back(x);
  }
}

}  // namespace

Status CoVisitationSource::Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const {
  Scratch& s = ThreadScratch();
  s.seen_items.clear();
  s.candidates.clear();
  s.index.Reset(1024);
  const Store::Reader reader = store_->Read();
  for (auto h = request.history.rbegin(); h != request.history.rend(); ++h) {
    if (static_cast<int>(s.seen_items.size()) >= recent_items_) break;
    if (Contains(s.seen_items, h->item_id)) continue;
    const float source_weight = BehaviorWeight(h->behavior) / static_cast<float>(1 + s.seen_items.size());
    s.seen_items.push_back(h->item_id);
    for (const Neighbor& n : reader.CoVisited(h->item_id)) {
      bool inserted = false;
      const uint32_t slot = s.index.FindOrInsert(n.item_id, static_cast<uint32_t>(s.candidates.size()), &inserted);
      if (inserted) s.candidates.push_back(Candidate{n.item_id, 0, 0, 0});
      s.candidates[slot].retrieval_score += n.weight * source_weight;
    }
  }
  // Categories and availability come from the catalog.
  size_t kept = 0;
  for (Candidate& c : s.candidates) {
    const ItemInfo* item = reader.FindItem(c.item_id);
    if (!item || !item->available) continue;
    if (request.category && item->category_id != *request.category) continue;
    c.category_id = item->category_id;
    s.candidates[kept++] = c;
  }
  s.candidates.resize(kept);
  Emit(s.candidates, request.want, kSourceCoVisit, out);
  return Status::Ok();
}

Status CategoryPopularSource::Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const {
  Scratch& s = ThreadScratch();
  s.seen_categories.clear();
  s.candidates.clear();
  s.index.Reset(static_cast<size_t>(recent_categories_ * items_per_category_));
  if (request.category) {
    s.seen_categories.push_back(*request.category);
  } else {
    for (auto h = request.history.rbegin(); h != request.history.rend(); ++h) {
      if (static_cast<int>(s.seen_categories.size()) >= recent_categories_) break;
      if (!Contains(s.seen_categories, h->category_id)) s.seen_categories.push_back(h->category_id);
    }
  }
  const Store::Reader reader = store_->Read();
  for (size_t rank = 0; rank < s.seen_categories.size(); ++rank) {
    const auto popular = reader.TopItemsInCategory(s.seen_categories[rank], items_per_category_);
    if (popular.empty()) continue;
    const double best = popular.front().key;
    const float category_weight = 1.0f / static_cast<float>(1 + rank);
    for (const PopularItem& p : popular) {
      const float score = category_weight * static_cast<float>(std::exp2(p.key - best));
      bool inserted = false;
      const uint32_t slot = s.index.FindOrInsert(p.item_id, static_cast<uint32_t>(s.candidates.size()), &inserted);
      if (inserted) s.candidates.push_back(Candidate{p.item_id, p.category_id, 0, 0});
      s.candidates[slot].retrieval_score += score;
    }
  }
  size_t kept = 0;
  for (Candidate& c : s.candidates) {
    const ItemInfo* item = reader.FindItem(c.item_id);
    if (!item || !item->available) continue;
    s.candidates[kept++] = c;
  }
  s.candidates.resize(kept);
  Emit(s.candidates, request.want, kSourceCategory, out);
  return Status::Ok();
}

Status TrendingSource::Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const {
  Scratch& s = ThreadScratch();
  s.candidates.clear();
  const Store::Reader reader = store_->Read();
  const auto popular =
      request.category ? reader.TopItemsInCategory(*request.category, items_) : reader.TrendingItems(items_);
  const double best = popular.empty() ? 0 : popular.front().key;
  for (const PopularItem& p : popular) {
    const ItemInfo* item = reader.FindItem(p.item_id);
    if (!item || !item->available) continue;
    s.candidates.push_back(Candidate{p.item_id, item->category_id, static_cast<float>(std::exp2(p.key - best)), 0});
  }
  Emit(s.candidates, request.want, bit_, out);
  return Status::Ok();
}

}  // namespace reco::online
