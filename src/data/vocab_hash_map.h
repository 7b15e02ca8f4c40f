// IdHashMap: open-addressing (linear probing) map from raw id (uint64, never UINT64_MAX) to int32.
//
// Replaces std::unordered_map on the events → samples hot path: one flat array, no node allocation, one cache
// miss per lookup in the common case — hashing 100M ids a few times is the dominant cost of sample building.
// Grows at 50% load. Thread-safety: concurrent const lookups are fine; mutation is not synchronised.
#pragma once

#include <cstdint>
#include <vector>

namespace reco::data {

class IdHashMap {
 public:
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  explicit IdHashMap(size_t expected = 16) { Rehash(Capacity(expected)); }

  // Returns the value for `key`, inserting `value_if_new` first if absent; *inserted tells which.
  int32_t FindOrInsert(uint64_t key, int32_t value_if_new, bool* inserted) {
    if ((size_ + 1) * 2 > keys_.size()) Rehash(keys_.size() * 2);
    size_t i = Slot(key);
    while (true) {
      if (keys_[i] == key) return *inserted = false, values_[i];
      if (keys_[i] == kEmpty) {
        keys_[i] = key, values_[i] = value_if_new, ++size_;
        return *inserted = true, value_if_new;
      }
      i = (i + 1) & mask_;
    }
  }
  // `missing` if absent.
  int32_t Find(uint64_t key, int32_t missing) const {
    size_t i = Slot(key);
    while (true) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == kEmpty) return missing;
      i = (i + 1) & mask_;
    }
  }
  size_t size() const { return size_; }

 private:
  static size_t Capacity(size_t expected) {
    size_t c = 16;
    while (c < expected * 2) c *= 2;
    return c;
  }
  size_t Slot(uint64_t key) const {
    uint64_t h = key * 0x9E3779B97F4A7C15ull;  // Fibonacci hashing: sequential ids spread well
    return static_cast<size_t>(h >> shift_);
  }
  void Rehash(size_t capacity) {
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<int32_t> old_values = std::move(values_);
    keys_.assign(capacity, kEmpty);
    values_.assign(capacity, 0);
    mask_ = capacity - 1;
    shift_ = 64 - __builtin_ctzll(capacity);
    size_ = 0;
    for (size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] == kEmpty) continue;
      size_t j = Slot(old_keys[i]);
      while (keys_[j] != kEmpty) j = (j + 1) & mask_;
      keys_[j] = old_keys[i], values_[j] = old_values[i], ++size_;
    }
  }

  std::vector<uint64_t> keys_;
  std::vector<int32_t> values_;
  size_t mask_ = 0;
  int shift_ = 60;
  size_t size_ = 0;
};

}  // namespace reco::data
