#include "online/store/store_codec.h"

#include <cstring>

namespace reco::online::codec {
namespace {

// Little-endian fixed-width fields (x86 and every platform we build on are little-endian; memcpy keeps it legal).
template <typename T>
void Put(char*& p, T v) {
  std::memcpy(p, &v, sizeof(T));
  p += sizeof(T);
}
template <typename T>
T Get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  p += sizeof(T);
  return v;
}

}  // namespace

Key MakeKey(char tag, uint64_t id) {
  Key key;
  key.bytes[0] = tag;
  for (int i = 0; i < 8; ++i) key.bytes[1 + i] = static_cast<char>((id >> (56 - 8 * i)) & 0xff);
  return key;
}

bool ParseKey(std::string_view key, char tag, uint64_t* id) {
  if (key.size() != kKeySize || key[0] != tag) return false;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(key[1 + i]);
  *id = v;
  return true;
}

void EncodeEvent(const StoredEvent& event, char out[kEventValueSize]) {
  char* p = out;
  Put(p, event.user_id);
  Put(p, event.item_id);
  Put(p, event.category_id);
  Put(p, static_cast<uint8_t>(event.behavior));
  Put(p, event.timestamp);
}

Status DecodeEvent(uint64_t seq, std::string_view value, StoredEvent* event) {
  if (value.size() != kEventValueSize) {
    return DataLossError("event log record " + std::to_string(seq) + ": " + std::to_string(value.size()) +
                         " bytes, expected " + std::to_string(kEventValueSize));
  }
  const char* p = value.data();
  event->user_id = Get<uint64_t>(p);
  event->item_id = Get<uint64_t>(p);
  event->category_id = Get<uint64_t>(p);
  const uint8_t type = Get<uint8_t>(p);
  event->timestamp = Get<int64_t>(p);
  if (type >= data::kNumBehaviorTypes) {
    return DataLossError("event log record " + std::to_string(seq) + ": behaviour value " + std::to_string(type));
  }
  event->behavior = static_cast<data::BehaviorType>(type);
  return Status::Ok();
}

void EncodeItem(const ItemInfo& item, char out[kItemValueSize]) {
  char* p = out;
  Put(p, item.category_id);
  Put(p, static_cast<uint8_t>(item.available ? 1 : 0));
}

Status DecodeItem(uint64_t item_id, std::string_view value, ItemInfo* item) {
  if (value.size() != kItemValueSize) {
    return DataLossError("catalog record of item " + std::to_string(item_id) + ": " + std::to_string(value.size()) +
                         " bytes, expected " + std::to_string(kItemValueSize));
  }
  const char* p = value.data();
  item->item_id = item_id;
  item->category_id = Get<uint64_t>(p);
  item->available = Get<uint8_t>(p) != 0;
  return Status::Ok();
}

}  // namespace reco::online::codec
