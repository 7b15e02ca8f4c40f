// StoreState: the in-memory part of the Store — histories, bought sets, catalog, co-visitation neighbours and
// popularity top lists — derived from the event log by ApplyEvent in log order (online and at Open's replay, so
// both give the same state). See store.h for the rules each structure follows.
// Thread-safety: none; the Store guards it with a shared mutex (readers shared, ApplyEvent/PutItem exclusive).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "online/store/store.h"

namespace reco::online {

// An event as logged: category resolved, timestamp filled in.
struct StoredEvent {
  uint64_t user_id = 0;
  uint64_t item_id = 0;
  uint64_t category_id = 0;
  data::BehaviorType behavior = data::BehaviorType::kPv;
  int64_t timestamp = 0;

  friend bool operator==(const StoredEvent&, const StoredEvent&) = default;
};

class StoreState {
 public:
  explicit StoreState(const StoreOptions& options);

  void ApplyEvent(const StoredEvent& event);
  // Inserts or replaces a catalog entry; a category change moves the item's popularity to the new category.
  void PutItem(const ItemInfo& item);

  // nullptr if the catalog does not know the item.
  const ItemInfo* FindItem(uint64_t item_id) const;
  void History(uint64_t user_id, int max, std::vector<HistoryEntry>* out) const;
  bool HasBought(uint64_t user_id, uint64_t item_id) const;
  void CoVisited(uint64_t item_id, std::vector<Neighbor>* out) const;
  void TopItemsInCategory(uint64_t category_id, int max, std::vector<PopularItem>* out) const;
  void TrendingItems(int max, std::vector<PopularItem>* out) const;

  int64_t num_users() const { return static_cast<int64_t>(users_.size()); }
  int64_t num_items() const { return static_cast<int64_t>(items_.size()); }
  int64_t num_events() const { return num_events_; }

 private:
  struct UserState {
    std::vector<HistoryEntry> history;  // ordered by timestamp, ≤ max_history
    std::vector<uint64_t> bought;       // sorted item ids
  };
  struct ItemState {
    ItemInfo info;
    double popularity = 0;  // log2(decayed score) + t/half_life; meaningful only when has_popularity
    bool has_popularity = false;
    bool in_global_top = false;
    bool in_category_top = false;
    std::vector<Neighbor> neighbors;  // strongest first, ≤ covis_max_neighbors
  };
  // Items ordered by popularity key descending (ties: item id ascending), at most `capacity`.
  struct TopList {
    std::vector<PopularItem> entries;
  };

  ItemState& ItemFor(uint64_t item_id, uint64_t category_id);
  void AddNeighbor(ItemState& item, uint64_t neighbor, float weight);
  void AddPopularity(ItemState& item, float weight, int64_t timestamp);
  // Updates `item`'s position in `list` (inserting it if it qualifies); clears the flag of an evicted item.
  void UpdateTopList(TopList& list, int capacity, ItemState& item, bool ItemState::*member);
  static void RemoveFromTopList(TopList& list, uint64_t item_id);
  static void CopyTop(const TopList& list, int max, std::vector<PopularItem>* out);

  const int max_history_;
  const int covis_window_;
  const int64_t covis_max_gap_;
  const size_t covis_max_neighbors_;
  const double half_life_;
  const int category_top_k_;
  const int global_top_k_;

  std::unordered_map<uint64_t, UserState> users_;
  std::unordered_map<uint64_t, ItemState> items_;
  std::unordered_map<uint64_t, TopList> category_top_;
  TopList global_top_;
  int64_t num_events_ = 0;
};

}  // namespace reco::online
