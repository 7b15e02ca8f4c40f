// StoreState: the in-memory part of the Store — histories, bought sets, catalog, co-visitation neighbours and
// popularity top lists — derived from the event log by ApplyEvent in log order (online and at Open's replay, so
// both give the same state). See store.h for the rules each structure follows.
// Thread-safety: none; the Store guards it with a shared mutex (readers shared, ApplyEvent/PutItem exclusive).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/vocab_hash_map.h"
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

  // Views valid until the next mutation. nullptr / empty if unknown.
  const ItemInfo* FindItem(uint64_t item_id) const;
  std::span<const HistoryEntry> History(uint64_t user_id, int max) const;  // the last `max`, oldest first
  bool HasBought(uint64_t user_id, uint64_t item_id) const;
  std::span<const Neighbor> CoVisited(uint64_t item_id) const;
  std::span<const PopularItem> TopItemsInCategory(uint64_t category_id, int max) const;
  std::span<const PopularItem> TrendingItems(int max) const;

  // Sequence number the next logged event gets (= 1 + the last one applied). Set by the Store's writer.
  uint64_t next_seq() const { return next_seq_; }
  void set_next_seq(uint64_t seq) { next_seq_ = seq; }

  // Snapshot of the whole derived state (see store_snapshot.cc for the format). Load replaces this state and fails
  // with DataLoss on a truncated/corrupt image, or FailedPrecondition when it was taken with other options (the
  // derived state depends on them); the caller then falls back to a full replay.
  void SaveSnapshot(std::string* out) const;
  Status LoadSnapshot(std::string_view image);

  int64_t num_users() const { return static_cast<int64_t>(users_.size()); }
  // Up to `max` users with at least `min_history` behaviours, spread evenly over all users (first-seen order), for
  // pickers such as the storefront's. O(max + users skipped for short histories).
  void SampleUsers(int max, int min_history, std::vector<uint64_t>* out) const;
  int64_t num_items() const { return static_cast<int64_t>(items_.size()); }
  int64_t num_events() const { return num_events_; }

 private:
  struct UserState {
    uint64_t user_id = 0;
    std::vector<HistoryEntry> history;  // ordered by timestamp, ≤ max_history
    std::vector<uint64_t> bought;       // sorted item ids
  };
  struct ItemState {
    ItemInfo info;
    double popularity = 0;  // log2(decayed score) + t/half_life; meaningful only when has_popularity
    bool has_popularity = false;
    int32_t global_pos = -1;    // position in global_top_, -1 if not there
    int32_t category_pos = -1;  // position in its category's top list
    std::vector<Neighbor> neighbors;  // strongest first, ≤ covis_max_neighbors
  };
  // Items ordered by popularity key descending (ties: item id ascending), at most `capacity`.
  // Each member item knows its position (ItemState::*_pos), so an update is O(distance moved), not a search.
  struct TopList {
    std::vector<PopularItem> entries;
    std::vector<int32_t> item_index;  // parallel to entries: index into items_
  };

  int32_t ItemIndexFor(uint64_t item_id, uint64_t category_id);  // inserts an unknown item
  ItemState* FindItemState(uint64_t item_id);
  UserState& UserFor(uint64_t user_id);
  const UserState* FindUser(uint64_t user_id) const;
  void AddNeighbor(ItemState& item, uint64_t neighbor, float weight);
  void AddPopularity(int32_t item_index, float weight, int64_t timestamp);
  // Updates `item`'s position in `list` (inserting it if it qualifies); clears the flag of an evicted item.
  void UpdateTopList(TopList& list, int capacity, int32_t item_index, int32_t ItemState::*pos);
  void RemoveFromTopList(TopList& list, int32_t item_index, int32_t ItemState::*pos);
  void RefillCategoryTop(uint64_t category);
  static std::span<const PopularItem> Top(const TopList& list, int max);
  // Recomputes every top list from the items' popularity (exact top-k, what incremental updates also maintain).
  void RebuildTopLists();
  uint64_t OptionsFingerprint() const;

  int max_history_;
  int covis_window_;
  int64_t covis_max_gap_;
  size_t covis_max_neighbors_;
  double half_life_;
  int category_top_k_;
  int global_top_k_;

  // Dense storage indexed through open-addressing maps: replay and apply are bound by memory latency, and this is
  // one probe into a flat array instead of a node-based hash table walk.
  data::IdHashMap user_index_;
  std::vector<UserState> users_;
  data::IdHashMap item_index_;
  std::vector<ItemState> items_;
  std::unordered_map<uint64_t, TopList> category_top_;
  TopList global_top_;
  int64_t num_events_ = 0;
  uint64_t next_seq_ = 0;
};

}  // namespace reco::online
