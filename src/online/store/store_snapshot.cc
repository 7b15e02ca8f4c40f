// StoreState snapshots: the derived state written at a clean close (and by Store::Checkpoint) so that Open replays
// only the log written after it instead of the whole log.
//
// Format (little-endian, fixed-width):
//   "RECOSNP1", u64 options fingerprint, u64 next_seq, i64 num_events,
//   u64 users; per user: u64 id, u32 n, n × {u64 item, u64 category, u8 behaviour, i64 timestamp}, u32 m, m × u64
//   u64 items; per item: u64 id, u64 category, u8 available, u8 has_popularity, f64 popularity, u32 k,
//                        k × {u64 neighbour, f32 weight}
//   u64 FNV-1a hash of everything before it.
// Top lists are not stored: they are the exact top-k of the items' popularity and are recomputed.
#include <algorithm>
#include <cstring>

#include "online/store/store_state.h"

namespace reco::online {
namespace {

constexpr char kMagic[8] = {'R', 'E', 'C', 'O', 'S', 'N', 'P', '1'};

uint64_t Fnv1a(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : data) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  template <typename T>
  void Put(T v) {
    out_->append(reinterpret_cast<const char*>(&v), sizeof(T));
  }

 private:
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  bool Get(T* v) {
    if (data_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

uint64_t StoreState::OptionsFingerprint() const {
  std::string s;
  Writer w(&s);
  w.Put<int64_t>(max_history_), w.Put<int64_t>(covis_window_), w.Put<int64_t>(covis_max_gap_);
  w.Put<uint64_t>(covis_max_neighbors_), w.Put<double>(half_life_), w.Put<int64_t>(category_top_k_);
  w.Put<int64_t>(global_top_k_);
  return Fnv1a(s);
}

void StoreState::SaveSnapshot(std::string* out) const {
  out->clear();
  out->append(kMagic, sizeof(kMagic));
  Writer w(out);
  w.Put<uint64_t>(OptionsFingerprint());
  w.Put<uint64_t>(next_seq_);
  w.Put<int64_t>(num_events_);
  w.Put<uint64_t>(users_.size());
  for (const UserState& user : users_) {
    w.Put<uint64_t>(user.user_id);
    w.Put<uint32_t>(static_cast<uint32_t>(user.history.size()));
    for (const HistoryEntry& e : user.history) {
      w.Put<uint64_t>(e.item_id), w.Put<uint64_t>(e.category_id), w.Put<uint8_t>(static_cast<uint8_t>(e.behavior));
      w.Put<int64_t>(e.timestamp);
    }
    w.Put<uint32_t>(static_cast<uint32_t>(user.bought.size()));
    for (uint64_t item : user.bought) w.Put<uint64_t>(item);
  }
  w.Put<uint64_t>(items_.size());
  for (const ItemState& item : items_) {
    w.Put<uint64_t>(item.info.item_id), w.Put<uint64_t>(item.info.category_id);
    w.Put<uint8_t>(item.info.available ? 1 : 0), w.Put<uint8_t>(item.has_popularity ? 1 : 0);
    w.Put<double>(item.popularity);
    w.Put<uint32_t>(static_cast<uint32_t>(item.neighbors.size()));
    for (const Neighbor& n : item.neighbors) w.Put<uint64_t>(n.item_id), w.Put<float>(n.weight);
  }
  w.Put<uint64_t>(Fnv1a(*out));
}

Status StoreState::LoadSnapshot(std::string_view image) {
  const auto corrupt = [](const char* what) { return DataLossError(std::string("snapshot: ") + what); };
  if (image.size() < sizeof(kMagic) + 8 || std::memcmp(image.data(), kMagic, sizeof(kMagic)) != 0) {
    return corrupt("bad magic");
  }
  uint64_t stored_hash = 0;
  std::memcpy(&stored_hash, image.data() + image.size() - 8, 8);
  const std::string_view body = image.substr(0, image.size() - 8);
  if (Fnv1a(body) != stored_hash) return corrupt("checksum mismatch (truncated or corrupt)");
  Reader r(body.substr(sizeof(kMagic)));
  uint64_t fingerprint = 0, next_seq = 0, num_users = 0, num_items = 0;
  int64_t num_events = 0;
  if (!r.Get(&fingerprint) || !r.Get(&next_seq) || !r.Get(&num_events) || !r.Get(&num_users)) {
    return corrupt("short header");
  }
  if (fingerprint != OptionsFingerprint()) {
    return FailedPreconditionError("snapshot: taken with other store options (history length, co-visitation or "
                                   "popularity settings)");
  }
  // Rebuild into fresh containers; *this is replaced only when the whole image parsed. (Called at Open on an empty
  // state, so the copy of *this is cheap.)
  StoreState fresh(*this);
  fresh.users_.clear(), fresh.items_.clear(), fresh.category_top_.clear(), fresh.global_top_ = TopList();
  fresh.user_index_ = data::IdHashMap(static_cast<size_t>(std::min<uint64_t>(num_users, 1u << 26)));
  fresh.item_index_ = data::IdHashMap();
  fresh.users_.reserve(static_cast<size_t>(std::min<uint64_t>(num_users, r.remaining() / 16)));
  for (uint64_t u = 0; u < num_users; ++u) {
    uint64_t id = 0;
    uint32_t n = 0;
    if (!r.Get(&id) || !r.Get(&n) || r.remaining() / 25 < n) return corrupt("truncated user");
    UserState& user = fresh.UserFor(id);
    user.history.resize(n);
    for (HistoryEntry& e : user.history) {
      uint8_t type = 0;
      r.Get(&e.item_id), r.Get(&e.category_id), r.Get(&type), r.Get(&e.timestamp);
      if (type >= data::kNumBehaviorTypes) return corrupt("bad behaviour value");
      e.behavior = static_cast<data::BehaviorType>(type);
    }
    uint32_t m = 0;
    if (!r.Get(&m) || r.remaining() / 8 < m) return corrupt("truncated bought set");
    user.bought.resize(m);
    for (uint64_t& item : user.bought) r.Get(&item);
  }
  if (!r.Get(&num_items)) return corrupt("truncated item count");
  for (uint64_t i = 0; i < num_items; ++i) {
    uint64_t id = 0, category = 0;
    uint8_t available = 0, has_popularity = 0;
    double popularity = 0;
    uint32_t k = 0;
    if (!r.Get(&id) || !r.Get(&category) || !r.Get(&available) || !r.Get(&has_popularity) || !r.Get(&popularity) ||
        !r.Get(&k) || r.remaining() / 12 < k) {
      return corrupt("truncated item");
    }
    ItemState& item = fresh.items_[static_cast<size_t>(fresh.ItemIndexFor(id, category))];
    item.info.available = available != 0;
    item.has_popularity = has_popularity != 0;
    item.popularity = popularity;
    item.neighbors.resize(k);
    for (Neighbor& n : item.neighbors) r.Get(&n.item_id), r.Get(&n.weight);
  }
  if (r.remaining() != 0) return corrupt("trailing bytes");
  fresh.num_events_ = num_events;
  fresh.next_seq_ = next_seq;
  fresh.RebuildTopLists();
  *this = std::move(fresh);
  return Status::Ok();
}

void StoreState::RebuildTopLists() {
  category_top_.clear();
  global_top_ = TopList();
  std::vector<int32_t> order;
  for (size_t i = 0; i < items_.size(); ++i) {
    items_[i].global_pos = items_[i].category_pos = -1;
    if (items_[i].has_popularity) order.push_back(static_cast<int32_t>(i));
  }
  const auto entry = [&](int32_t i) {
    const ItemState& s = items_[static_cast<size_t>(i)];
    return PopularItem{s.info.item_id, s.info.category_id, s.popularity};
  };
  // Category, then popularity order: each category's first category_top_k entries are its list.
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    const PopularItem pa = entry(a), pb = entry(b);
    if (pa.category_id != pb.category_id) return pa.category_id < pb.category_id;
    return pa.key > pb.key || (pa.key == pb.key && pa.item_id < pb.item_id);
  });
  for (int32_t i : order) {
    TopList& list = category_top_[items_[static_cast<size_t>(i)].info.category_id];
    if (list.entries.size() >= static_cast<size_t>(category_top_k_)) continue;
    items_[static_cast<size_t>(i)].category_pos = static_cast<int32_t>(list.entries.size());
    list.entries.push_back(entry(i));
    list.item_index.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    const PopularItem pa = entry(a), pb = entry(b);
    return pa.key > pb.key || (pa.key == pb.key && pa.item_id < pb.item_id);
  });
  for (size_t n = 0; n < order.size() && n < static_cast<size_t>(global_top_k_); ++n) {
    items_[static_cast<size_t>(order[n])].global_pos = static_cast<int32_t>(n);
    global_top_.entries.push_back(entry(order[n]));
    global_top_.item_index.push_back(order[n]);
  }
}

}  // namespace reco::online
