// RocksDB key/value layout of the Store (see store.h). Keys are a one-byte tag + a big-endian id so that RocksDB's
// bytewise order is numeric order (the event log replays in sequence order); values are fixed little-endian records.
//   "m" "format"              → "reco-store-v1"
//   "e" + seq (8 bytes BE)    → user u64, item u64, category u64, behaviour u8, timestamp i64   (33 bytes)
//   "i" + item id (8 bytes BE)→ category u64, available u8                                      (9 bytes)
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "online/store/store_state.h"

namespace reco::online::codec {

inline constexpr char kEventTag = 'e';
inline constexpr char kItemTag = 'i';
inline constexpr std::string_view kFormatKey = "mformat";
inline constexpr std::string_view kFormatValue = "reco-store-v1";
inline constexpr size_t kKeySize = 9;
inline constexpr size_t kEventValueSize = 33;
inline constexpr size_t kItemValueSize = 9;

struct Key {
  char bytes[kKeySize];
  std::string_view view() const { return {bytes, kKeySize}; }
};

Key MakeKey(char tag, uint64_t id);
// The id of a key with `tag`; false if the key has another tag or size.
bool ParseKey(std::string_view key, char tag, uint64_t* id);

void EncodeEvent(const StoredEvent& event, char out[kEventValueSize]);
// DataLoss naming the sequence number for a record of the wrong size or behaviour value.
Status DecodeEvent(uint64_t seq, std::string_view value, StoredEvent* event);

void EncodeItem(const ItemInfo& item, char out[kItemValueSize]);
Status DecodeItem(uint64_t item_id, std::string_view value, ItemInfo* item);

}  // namespace reco::online::codec
