// One shopper action from a Taobao UserBehavior log, and a columnar store of many of them.
//
// Raw ids are unsigned integers no larger than kMaxRawId = 2^53: larger ids are rejected by the reader as dirty,
// because downstream consumers (JSON clients of the online service, Python) carry ids as doubles, which represent
// integers exactly only up to 2^53. Timestamps are Unix seconds (non-negative).
// Thread-safety: plain values; EventColumns is not synchronised.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace reco::data {

enum class BehaviorType : uint8_t { kPv = 0, kCart = 1, kFav = 2, kBuy = 3 };
inline constexpr int kNumBehaviorTypes = 4;
inline constexpr uint64_t kMaxRawId = uint64_t{1} << 53;

// "pv", "cart", "fav", "buy".
std::string_view BehaviorTypeName(BehaviorType type);

// Exact, case-sensitive match of the four names used by the dataset. Inline: it runs once per CSV row.
inline bool ParseBehaviorType(std::string_view s, BehaviorType* out) {
  switch (s.size()) {
    case 2:
      if (s[0] == 'p' && s[1] == 'v') return *out = BehaviorType::kPv, true;
      return false;
    case 3:
      if (s == "buy") return *out = BehaviorType::kBuy, true;
      if (s == "fav") return *out = BehaviorType::kFav, true;
      return false;
    case 4:
      if (s == "cart") return *out = BehaviorType::kCart, true;
      return false;
    default:
      return false;
  }
}

// Struct-of-arrays for many events (33 bytes each): 100M Taobao rows fit in ~3.3 GB without per-row objects.
struct EventColumns {
  std::vector<uint64_t> user;
  std::vector<uint64_t> item;
  std::vector<uint64_t> cate;
  std::vector<uint8_t> type;  // BehaviorType values
  std::vector<int64_t> ts;

  size_t size() const { return user.size(); }
  void Reserve(size_t n) {
    user.reserve(n), item.reserve(n), cate.reserve(n), type.reserve(n), ts.reserve(n);
  }
  void Append(uint64_t u, uint64_t i, uint64_t c, BehaviorType t, int64_t time) {
    user.push_back(u), item.push_back(i), cate.push_back(c), type.push_back(static_cast<uint8_t>(t));
    ts.push_back(time);
  }
};

}  // namespace reco::data
