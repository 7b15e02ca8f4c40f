// ScratchIndex: item id → slot map for one request's candidate merging, cleared in O(1).
//
// std::unordered_map::clear() frees every node, so a warm request would still allocate once per candidate; this
// open-addressing table keeps its arrays and invalidates entries by bumping a generation counter instead.
// Thread-safety: none; each thread owns its own (thread-local scratch).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace reco::online {

class ScratchIndex {
 public:
  // Empties the map and makes room for `expected` keys without rehashing (load ≤ 50%).
  void Reset(size_t expected) {
    size_t capacity = 64;
    while (capacity < expected * 2) capacity *= 2;
    if (capacity > keys_.size()) {
      keys_.assign(capacity, 0);
      values_.assign(capacity, 0);
      stamps_.assign(capacity, 0);
      generation_ = 0;
      mask_ = capacity - 1;
      shift_ = 64 - __builtin_ctzll(capacity);
    }
    if (++generation_ == 0) {  // wrapped: old stamps could look current
      std::fill(stamps_.begin(), stamps_.end(), 0);
      generation_ = 1;
    }
    size_ = 0;
  }

  // The slot of `key`, inserting `value_if_new` if absent (*inserted says which). Grows past 50% load.
  uint32_t FindOrInsert(uint64_t key, uint32_t value_if_new, bool* inserted) {
    if ((size_ + 1) * 2 > keys_.size()) Grow();
    size_t i = Slot(key);
    while (stamps_[i] == generation_) {
      if (keys_[i] == key) return *inserted = false, values_[i];
      i = (i + 1) & mask_;
    }
    stamps_[i] = generation_, keys_[i] = key, values_[i] = value_if_new, ++size_;
    return *inserted = true, value_if_new;
  }

 private:
  size_t Slot(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }
  void Grow() {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<uint32_t> values = std::move(values_);
    std::vector<uint32_t> stamps = std::move(stamps_);
    const uint32_t old_generation = generation_;
    const size_t capacity = std::max<size_t>(64, keys.size() * 2);
    keys_.assign(capacity, 0);
    values_.assign(capacity, 0);
    stamps_.assign(capacity, 0);
    mask_ = capacity - 1;
    shift_ = 64 - __builtin_ctzll(capacity);
    generation_ = 1;
    size_ = 0;
    bool inserted = false;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (stamps[i] == old_generation && old_generation != 0) FindOrInsert(keys[i], values[i], &inserted);
    }
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  std::vector<uint32_t> stamps_;  // an entry is live iff its stamp == generation_
  uint32_t generation_ = 0;
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

}  // namespace reco::online
