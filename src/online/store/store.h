// Store: the online recommender's embedded state — each user's recent behaviour, the catalog, online
// co-visitation counts and time-decayed popularity — durable in RocksDB, served from memory.
//
// Durability contract: Append returns OK only after its events are in RocksDB's write-ahead log and (with
// StoreOptions::sync, the default) fsync'ed, so an acknowledged event survives kill -9 and power loss. Concurrent
// Append/PutItems calls are group-committed: the first waiting caller becomes the leader, writes the batches of
// every caller queued behind it as one WriteBatch with one fsync, applies them to memory in that order and wakes
// them (the LevelDB writer queue), so durable throughput grows with the number of concurrent appenders.
//
// On disk (one RocksDB database under data_dir): an append-only event log ("e" + big-endian sequence → 33-byte
// record) and the catalog ("i" + big-endian item id → category + availability). Everything else — histories,
// bought sets, co-visitation, popularity — is derived from those and rebuilt in memory at Open by replaying the log
// in sequence order, so it is exactly what it was before a crash, and the hot read paths of a recommend request
// (History, CoVisited, TopItems) never touch RocksDB. Memory is O(users·L + items·max_neighbors). To keep Open
// fast, a clean close (and Checkpoint()) writes a snapshot of the derived state beside the database; Open loads it
// and replays only the log after it (replay runs at ~150-200k events/s on the shared 2-core machine). A snapshot
// that is corrupt, taken with other options or ahead of the log is ignored with a warning (full replay).
//
// Derived state, updated by every event (in log order):
//   - history: the user's last max_history behaviours ordered by timestamp (ties: arrival order);
//   - bought: (user, item) pairs with a buy event;
//   - co-visitation: the event's item is paired with the user's previous covis_window behaviours (within
//     covis_max_gap_seconds), both directions, weight max(BehaviorWeight) / distance; each item keeps at most
//     covis_max_neighbors neighbours (when full, a new neighbour replaces the weakest one);
//   - popularity: per item Σ BehaviorWeight · 2^(-(now - t) / half_life), kept as the time-invariant log key
//     log2(score) + t/half_life (decay never changes the order, and no value overflows), with a top list per
//     category and a global one.
//
// Thread-safety: all methods may be called concurrently. Readers share a lock with the apply step of the writer
// queue, so a read sees either none or all of a group commit.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/behavior_event.h"
#include "online/events/event.h"

namespace reco::online {

class StoreState;

struct HistoryEntry {
  uint64_t item_id = 0;
  uint64_t category_id = 0;
  data::BehaviorType behavior = data::BehaviorType::kPv;
  int64_t timestamp = 0;

  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

struct ItemInfo {
  uint64_t item_id = 0;
  uint64_t category_id = 0;
  bool available = true;

  friend bool operator==(const ItemInfo&, const ItemInfo&) = default;
};

// A co-visited item and its accumulated pair weight.
struct Neighbor {
  uint64_t item_id = 0;
  float weight = 0;
};

// An item with its popularity key (log2 of the decayed score + t/half_life; only differences are meaningful:
// 2^(a.key - b.key) is the ratio of the two items' current popularity).
struct PopularItem {
  uint64_t item_id = 0;
  uint64_t category_id = 0;
  double key = 0;
};

struct StoreOptions {
  std::string data_dir;       // created if missing
  int max_history = 50;       // L: last behaviours kept per user
  bool sync = true;           // fsync the WAL before Append returns (false: survives a process crash, not power loss)
  int max_group_events = 8192;  // events per group commit (one WriteBatch, one fsync)
  // Co-visitation.
  int covis_window = 5;
  int64_t covis_max_gap_seconds = 24 * 3600;
  int covis_max_neighbors = 64;
  // Popularity.
  double popularity_half_life_seconds = 6 * 3600;
  int category_top_k = 200;  // items kept in each category's top list
  int global_top_k = 1000;   // items kept in the global trending list
  // Snapshots of the derived state (data_dir/reco-state.snapshot) so Open replays only the log written after one.
  bool snapshot_on_close = true;  // also Store::Checkpoint()
  bool load_snapshot = true;      // false: always replay the whole log
  // Clock for events without a timestamp (Unix seconds); default: the system clock. Tests inject a fake.
  std::function<int64_t()> clock;
};

struct StoreStats {
  int64_t num_users = 0;
  int64_t num_items = 0;  // catalog size
  int64_t events_total = 0;
  int64_t group_commits = 0;    // since Open
  int64_t snapshot_events = 0;  // events restored from the snapshot at Open
  int64_t replayed_events = 0;  // events replayed from the log at Open (after the snapshot)
};

class Store {
 public:
  static StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Validates (ValidateEvent; messages name "events[i]"), fills missing categories from the catalog (an unknown
  // item without category_id is InvalidArgument naming it) and missing timestamps from the clock, registers
  // unknown items that carry a category in the catalog, and commits. All-or-nothing per call.
  Status Append(std::span<const Event> events);
  // Bulk variant for imports: no fsync per call (the WAL is still written); call Sync() at the end.
  Status AppendUnsynced(std::span<const Event> events);
  // Flushes and fsyncs the WAL: everything appended before is durable when it returns OK.
  Status Sync();
  // Writes a snapshot of the derived state (atomically: temp file, fsync, rename) so the next Open replays only
  // what is logged after it; done automatically on close when snapshot_on_close. Safe to call any time, e.g.
  // periodically from the service. Appends wait only while the state is serialised (~0.1 s per 40 MB image), not
  // while it is written to disk.
  Status Checkpoint();

  // The user's most recent behaviours, oldest first, at most `max` (≤ max_history) entries; an unknown user has an
  // empty history (OK). Replaces *out, reusing its capacity.
  Status History(uint64_t user_id, int max, std::vector<HistoryEntry>* out) const;
  bool HasBought(uint64_t user_id, uint64_t item_id) const;
  // out[i] = HasBought(user_id, item_ids[i]) under one lock.
  void HasBoughtBatch(uint64_t user_id, std::span<const uint64_t> item_ids, std::vector<uint8_t>* out) const;

  // Inserts or replaces catalog entries (category, availability); durable like Append. Ids ≤ 2^53.
  Status PutItems(std::span<const ItemInfo> items);
  std::optional<ItemInfo> GetItem(uint64_t item_id) const;

  // A consistent view of the in-memory state holding the shared lock, so one request's many lookups (every
  // candidate's catalog entry, each history item's neighbours) take the lock once and copy nothing. Pointers and
  // spans it returns are valid while the Reader lives. Keep it short-lived: appends wait for it. Do not take a
  // second Reader (or call the locking methods below) on the same thread while holding one.
  class Reader {
   public:
    const ItemInfo* FindItem(uint64_t item_id) const;  // nullptr if not in the catalog
    std::span<const Neighbor> CoVisited(uint64_t item_id) const;  // strongest first
    std::span<const PopularItem> TopItemsInCategory(uint64_t category_id, int max) const;  // most popular first
    std::span<const PopularItem> TrendingItems(int max) const;
    bool HasBought(uint64_t user_id, uint64_t item_id) const;

   private:
    friend class Store;
    Reader(std::shared_mutex& mu, const StoreState& state) : lock_(mu), state_(&state) {}
    std::shared_lock<std::shared_mutex> lock_;
    const StoreState* state_;
  };
  Reader Read() const;

  // Copying read paths (each under its own shared lock); replace *out, reusing its capacity.
  void CoVisited(uint64_t item_id, std::vector<Neighbor>* out) const;             // strongest first
  void TopItemsInCategory(uint64_t category_id, int max, std::vector<PopularItem>* out) const;  // most popular first
  void TrendingItems(int max, std::vector<PopularItem>* out) const;               // most popular first, all categories

  // Every logged event in sequence order (reads RocksDB; for tests, exports and debugging, not the hot path).
  Status ForEachEvent(const std::function<Status(uint64_t seq, const Event&)>& fn) const;

  // Up to `max` known users with at least `min_history` behaviours, spread over all users (StoreState::SampleUsers).
  void SampleUsers(int max, int min_history, std::vector<uint64_t>* out) const;

  StoreStats stats() const;
  const StoreOptions& options() const;
  int64_t Now() const;  // the store's clock, Unix seconds

 private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::online
