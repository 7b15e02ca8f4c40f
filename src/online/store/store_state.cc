#include "online/store/store_state.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace reco::online {
namespace {

// Popularity order: key descending, then item id ascending (deterministic ties).
bool Before(const PopularItem& a, const PopularItem& b) {
  return a.key > b.key || (a.key == b.key && a.item_id < b.item_id);
}

bool Before(const Neighbor& a, const Neighbor& b) {
  return a.weight > b.weight || (a.weight == b.weight && a.item_id < b.item_id);
}

// Moves entries[i] towards the front while it orders before its predecessor.
template <typename T>
void BubbleUp(std::vector<T>& entries, size_t i) {
  while (i > 0 && Before(entries[i], entries[i - 1])) {
    std::swap(entries[i], entries[i - 1]);
    --i;
  }
}

// log2(2^a + 2^b) without overflow.
double LogAddExp2(double a, double b) {
  const double hi = std::max(a, b);
  const double lo = std::min(a, b);
  return hi + std::log2(1.0 + std::exp2(lo - hi));
}

}  // namespace

StoreState::StoreState(const StoreOptions& options)
    : max_history_(std::max(1, options.max_history)),
      covis_window_(std::max(0, options.covis_window)),
      covis_max_gap_(options.covis_max_gap_seconds),
      covis_max_neighbors_(static_cast<size_t>(std::max(1, options.covis_max_neighbors))),
      half_life_(options.popularity_half_life_seconds > 0 ? options.popularity_half_life_seconds : 6 * 3600.0),
      category_top_k_(std::max(1, options.category_top_k)),
      global_top_k_(std::max(1, options.global_top_k)) {}

StoreState::ItemState& StoreState::ItemFor(uint64_t item_id, uint64_t category_id) {
  auto [it, inserted] = items_.try_emplace(item_id);
  if (inserted) it->second.info = ItemInfo{item_id, category_id, true};
  return it->second;
}

void StoreState::ApplyEvent(const StoredEvent& event) {
  ++num_events_;
  ItemState& item = ItemFor(event.item_id, event.category_id);
  UserState& user = users_[event.user_id];
  auto& history = user.history;

  // Co-visitation with the user's previous behaviours (most recent first), before this one joins the history.
  const float weight = BehaviorWeight(event.behavior);
  const int window = std::min<int>(covis_window_, static_cast<int>(history.size()));
  for (int d = 1; d <= window; ++d) {
    const HistoryEntry& prev = history[history.size() - static_cast<size_t>(d)];
    if (prev.item_id == event.item_id) continue;
    const int64_t gap = event.timestamp > prev.timestamp ? event.timestamp - prev.timestamp
                                                         : prev.timestamp - event.timestamp;
    if (gap > covis_max_gap_) continue;
    const float pair_weight = std::max(weight, BehaviorWeight(prev.behavior)) / static_cast<float>(d);
    AddNeighbor(item, prev.item_id, pair_weight);
    const auto other = items_.find(prev.item_id);
    if (other != items_.end()) AddNeighbor(other->second, event.item_id, pair_weight);
  }

  // History: ordered by timestamp (equal timestamps keep arrival order), the most recent max_history kept.
  const HistoryEntry entry{event.item_id, event.category_id, event.behavior, event.timestamp};
  size_t pos = static_cast<size_t>(
      std::upper_bound(history.begin(), history.end(), event.timestamp,
                       [](int64_t ts, const HistoryEntry& h) { return ts < h.timestamp; }) -
      history.begin());
  bool keep = true;
  if (history.size() >= static_cast<size_t>(max_history_)) {
    if (pos == 0) {
      keep = false;  // older than everything kept
    } else {
      history.erase(history.begin());
      --pos;
    }
  }
  if (keep) {
    if (history.capacity() == 0) history.reserve(std::min(max_history_, 8));
    history.insert(history.begin() + static_cast<std::ptrdiff_t>(pos), entry);
  }

  if (event.behavior == data::BehaviorType::kBuy) {
    auto it = std::lower_bound(user.bought.begin(), user.bought.end(), event.item_id);
    if (it == user.bought.end() || *it != event.item_id) user.bought.insert(it, event.item_id);
  }

  AddPopularity(item, weight, event.timestamp);
}

void StoreState::AddNeighbor(ItemState& item, uint64_t neighbor, float weight) {
  auto& list = item.neighbors;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].item_id == neighbor) {
      list[i].weight += weight;
      BubbleUp(list, i);
      return;
    }
  }
  // Full: the newcomer replaces the weakest neighbour, so the strong ones stay and new pairs still get a slot.
  if (list.size() >= covis_max_neighbors_) {
    list.back() = Neighbor{neighbor, weight};
  } else {
    if (list.capacity() == 0) list.reserve(4);
    list.push_back(Neighbor{neighbor, weight});
  }
  BubbleUp(list, list.size() - 1);
}

void StoreState::AddPopularity(ItemState& item, float weight, int64_t timestamp) {
  const double added = std::log2(static_cast<double>(weight)) + static_cast<double>(timestamp) / half_life_;
  item.popularity = item.has_popularity ? LogAddExp2(item.popularity, added) : added;
  item.has_popularity = true;
  UpdateTopList(global_top_, global_top_k_, item, &ItemState::in_global_top);
  UpdateTopList(category_top_[item.info.category_id], category_top_k_, item, &ItemState::in_category_top);
}

void StoreState::UpdateTopList(TopList& list, int capacity, ItemState& item, bool ItemState::*member) {
  auto& entries = list.entries;
  const PopularItem updated{item.info.item_id, item.info.category_id, item.popularity};
  if (item.*member) {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].item_id == updated.item_id) {
        entries[i] = updated;  // the key only grows: move towards the front
        BubbleUp(entries, i);
        return;
      }
    }
  }
  if (entries.size() < static_cast<size_t>(capacity)) {
    entries.push_back(updated);
  } else if (Before(updated, entries.back())) {
    const auto evicted = items_.find(entries.back().item_id);
    if (evicted != items_.end()) evicted->second.*member = false;
    entries.back() = updated;
  } else {
    return;
  }
  item.*member = true;
  BubbleUp(entries, entries.size() - 1);
}

void StoreState::RemoveFromTopList(TopList& list, uint64_t item_id) {
  auto& e = list.entries;
  e.erase(std::remove_if(e.begin(), e.end(), [&](const PopularItem& p) { return p.item_id == item_id; }), e.end());
}

void StoreState::PutItem(const ItemInfo& info) {
  ItemState& item = ItemFor(info.item_id, info.category_id);
  const uint64_t old_category = item.info.category_id;
  item.info = info;
  if (old_category != info.category_id) {
    if (item.in_category_top) {
      RemoveFromTopList(category_top_[old_category], info.item_id);
      item.in_category_top = false;
    }
    if (item.in_global_top) {
      for (auto& e : global_top_.entries) {
        if (e.item_id == info.item_id) e.category_id = info.category_id;
      }
    }
    if (item.has_popularity) {
      UpdateTopList(category_top_[info.category_id], category_top_k_, item, &ItemState::in_category_top);
    }
  }
}

const ItemInfo* StoreState::FindItem(uint64_t item_id) const {
  const auto it = items_.find(item_id);
  return it == items_.end() ? nullptr : &it->second.info;
}

void StoreState::History(uint64_t user_id, int max, std::vector<HistoryEntry>* out) const {
  out->clear();
  const auto it = users_.find(user_id);
  if (it == users_.end() || max <= 0) return;
  const auto& h = it->second.history;
  const size_t n = std::min(h.size(), static_cast<size_t>(max));
  out->assign(h.end() - static_cast<std::ptrdiff_t>(n), h.end());
}

bool StoreState::HasBought(uint64_t user_id, uint64_t item_id) const {
  const auto it = users_.find(user_id);
  if (it == users_.end()) return false;
  return std::binary_search(it->second.bought.begin(), it->second.bought.end(), item_id);
}

void StoreState::CoVisited(uint64_t item_id, std::vector<Neighbor>* out) const {
  out->clear();
  const auto it = items_.find(item_id);
  if (it != items_.end()) out->assign(it->second.neighbors.begin(), it->second.neighbors.end());
}

void StoreState::CopyTop(const TopList& list, int max, std::vector<PopularItem>* out) {
  const size_t n = std::min(list.entries.size(), static_cast<size_t>(std::max(0, max)));
  out->assign(list.entries.begin(), list.entries.begin() + static_cast<std::ptrdiff_t>(n));
}

void StoreState::TopItemsInCategory(uint64_t category_id, int max, std::vector<PopularItem>* out) const {
  out->clear();
  const auto it = category_top_.find(category_id);
  if (it != category_top_.end()) CopyTop(it->second, max, out);
}

void StoreState::TrendingItems(int max, std::vector<PopularItem>* out) const { CopyTop(global_top_, max, out); }

}  // namespace reco::online
