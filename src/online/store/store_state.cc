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

int32_t StoreState::ItemIndexFor(uint64_t item_id, uint64_t category_id) {
  bool inserted = false;
  const int32_t index = item_index_.FindOrInsert(item_id, static_cast<int32_t>(items_.size()), &inserted);
  if (inserted) {
    items_.emplace_back();
    items_.back().info = ItemInfo{item_id, category_id, true};
  }
  return index;
}

StoreState::ItemState* StoreState::FindItemState(uint64_t item_id) {
  const int32_t index = item_index_.Find(item_id, -1);
  return index < 0 ? nullptr : &items_[static_cast<size_t>(index)];
}

StoreState::UserState& StoreState::UserFor(uint64_t user_id) {
  bool inserted = false;
  const int32_t index = user_index_.FindOrInsert(user_id, static_cast<int32_t>(users_.size()), &inserted);
  if (inserted) {
    users_.emplace_back();
    users_.back().user_id = user_id;
  }
  return users_[static_cast<size_t>(index)];
}

const StoreState::UserState* StoreState::FindUser(uint64_t user_id) const {
  const int32_t index = user_index_.Find(user_id, -1);
  return index < 0 ? nullptr : &users_[static_cast<size_t>(index)];
}

void StoreState::ApplyEvent(const StoredEvent& event) {
  ++num_events_;
  // No other item is inserted below, so `item` stays valid (items_ only grows in ItemIndexFor).
  const int32_t item_index = ItemIndexFor(event.item_id, event.category_id);
  ItemState& item = items_[static_cast<size_t>(item_index)];
  UserState& user = UserFor(event.user_id);
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
    if (ItemState* other = FindItemState(prev.item_id)) AddNeighbor(*other, event.item_id, pair_weight);
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

  AddPopularity(item_index, weight, event.timestamp);
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

void StoreState::AddPopularity(int32_t item_index, float weight, int64_t timestamp) {
  ItemState& item = items_[static_cast<size_t>(item_index)];
  const double added = std::log2(static_cast<double>(weight)) + static_cast<double>(timestamp) / half_life_;
  item.popularity = item.has_popularity ? LogAddExp2(item.popularity, added) : added;
  item.has_popularity = true;
  UpdateTopList(global_top_, global_top_k_, item_index, &ItemState::global_pos);
  UpdateTopList(category_top_[item.info.category_id], category_top_k_, item_index, &ItemState::category_pos);
}

void StoreState::UpdateTopList(TopList& list, int capacity, int32_t item_index, int32_t ItemState::*pos) {
  auto& entries = list.entries;
  auto& index = list.item_index;
  ItemState& item = items_[static_cast<size_t>(item_index)];
  const PopularItem updated{item.info.item_id, item.info.category_id, item.popularity};
  size_t i = 0;
  if (item.*pos >= 0) {
    i = static_cast<size_t>(item.*pos);
    entries[i] = updated;  // the key only grows: it can only move towards the front
  } else if (entries.size() < static_cast<size_t>(capacity)) {
    entries.push_back(updated);
    index.push_back(item_index);
    i = entries.size() - 1;
  } else if (Before(updated, entries.back())) {
    items_[static_cast<size_t>(index.back())].*pos = -1;  // evicted
    entries.back() = updated;
    index.back() = item_index;
    i = entries.size() - 1;
  } else {
    return;
  }
  while (i > 0 && Before(entries[i], entries[i - 1])) {
    std::swap(entries[i], entries[i - 1]);
    std::swap(index[i], index[i - 1]);
    items_[static_cast<size_t>(index[i])].*pos = static_cast<int32_t>(i);
    --i;
  }
  items_[static_cast<size_t>(index[i])].*pos = static_cast<int32_t>(i);
}

void StoreState::RemoveFromTopList(TopList& list, int32_t item_index, int32_t ItemState::*pos) {
  ItemState& item = items_[static_cast<size_t>(item_index)];
  if (item.*pos < 0) return;
  const size_t at = static_cast<size_t>(item.*pos);
  list.entries.erase(list.entries.begin() + static_cast<std::ptrdiff_t>(at));
  list.item_index.erase(list.item_index.begin() + static_cast<std::ptrdiff_t>(at));
  for (size_t j = at; j < list.item_index.size(); ++j) {
    items_[static_cast<size_t>(list.item_index[j])].*pos = static_cast<int32_t>(j);
  }
  item.*pos = -1;
}

// A full list that lost an entry takes the best item of the category it had evicted earlier, so the live list is
// what RebuildTopLists makes from scratch after a restart. O(items): only on a re-categorisation.
void StoreState::RefillCategoryTop(uint64_t category) {
  int32_t best = -1;
  PopularItem best_key{};
  for (size_t i = 0; i < items_.size(); ++i) {
    const ItemState& candidate = items_[i];
    if (!candidate.has_popularity || candidate.category_pos >= 0 || candidate.info.category_id != category) continue;
    const PopularItem key{candidate.info.item_id, candidate.info.category_id, candidate.popularity};
    if (best < 0 || Before(key, best_key)) {
      best = static_cast<int32_t>(i);
      best_key = key;
    }
  }
  if (best >= 0) UpdateTopList(category_top_[category], category_top_k_, best, &ItemState::category_pos);
}

void StoreState::PutItem(const ItemInfo& info) {
  const int32_t item_index = ItemIndexFor(info.item_id, info.category_id);
  ItemState& item = items_[static_cast<size_t>(item_index)];
  const uint64_t old_category = item.info.category_id;
  item.info = info;
  if (old_category == info.category_id) return;
  // A re-categorised item takes its popularity to its new category's list.
  TopList& old_list = category_top_[old_category];
  const bool was_full = old_list.entries.size() >= static_cast<size_t>(category_top_k_);
  const bool was_listed = item.category_pos >= 0;
  RemoveFromTopList(old_list, item_index, &ItemState::category_pos);
  if (was_full && was_listed) RefillCategoryTop(old_category);
  if (item.global_pos >= 0) global_top_.entries[static_cast<size_t>(item.global_pos)].category_id = info.category_id;
  if (item.has_popularity) {
    UpdateTopList(category_top_[info.category_id], category_top_k_, item_index, &ItemState::category_pos);
  }
}

const ItemInfo* StoreState::FindItem(uint64_t item_id) const {
  const int32_t index = item_index_.Find(item_id, -1);
  return index < 0 ? nullptr : &items_[static_cast<size_t>(index)].info;
}

std::span<const HistoryEntry> StoreState::History(uint64_t user_id, int max) const {
  const UserState* user = FindUser(user_id);
  if (user == nullptr || max <= 0) return {};
  const std::span<const HistoryEntry> h = user->history;
  return h.last(std::min(h.size(), static_cast<size_t>(max)));
}

bool StoreState::HasBought(uint64_t user_id, uint64_t item_id) const {
  const UserState* user = FindUser(user_id);
  return user != nullptr && std::binary_search(user->bought.begin(), user->bought.end(), item_id);
}

std::span<const Neighbor> StoreState::CoVisited(uint64_t item_id) const {
  const int32_t index = item_index_.Find(item_id, -1);
  if (index < 0) return {};
  return items_[static_cast<size_t>(index)].neighbors;
}

std::span<const PopularItem> StoreState::Top(const TopList& list, int max) {
  const size_t n = std::min(list.entries.size(), static_cast<size_t>(std::max(0, max)));
  return std::span<const PopularItem>(list.entries).first(n);
}

std::span<const PopularItem> StoreState::TopItemsInCategory(uint64_t category_id, int max) const {
  const auto it = category_top_.find(category_id);
  return it == category_top_.end() ? std::span<const PopularItem>() : Top(it->second, max);
}

std::span<const PopularItem> StoreState::TrendingItems(int max) const { return Top(global_top_, max); }

void StoreState::SampleUsers(int max, int min_history, std::vector<uint64_t>* out) const {
  out->clear();
  if (max <= 0 || users_.empty()) return;
  // Every stride-th user, starting at each offset in turn, until `max` qualify or every user was looked at.
  const size_t stride = std::max<size_t>(1, users_.size() / static_cast<size_t>(max));
  for (size_t start = 0; start < stride && out->size() < static_cast<size_t>(max); ++start) {
    for (size_t i = start; i < users_.size() && out->size() < static_cast<size_t>(max); i += stride) {
      if (static_cast<int>(users_[i].history.size()) >= min_history) out->push_back(users_[i].user_id);
    }
  }
}

}  // namespace reco::online
