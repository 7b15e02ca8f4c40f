// IdVocab: raw id (uint64, ≤ 2^53) → dense index for embedding tables.
//
// Index 0 is padding (never produced by Lookup), 1 is out-of-vocabulary (unknown ids and ids seen fewer than
// `min_count` times), 2.. are the kept ids ordered by descending count, ties by ascending raw id, so a build is
// deterministic. The online service loads the same file to map request ids.
//
// File format (text, UTF-8/ASCII, '\n' line ends):
//   line 1: "# reco-vocab v1 name=<name> size=<N incl. pad and oov> min_count=<K>"
//   then one line per index 2..N-1 in order: "<raw_id>\t<count>"  (the k-th data line, 0-based, is index k+2)
// Thread-safety: immutable after Build/Load; Lookup may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "data/vocab_hash_map.h"

namespace reco::data {

class IdVocab {
 public:
  static constexpr int32_t kPadding = 0;
  static constexpr int32_t kOov = 1;
  static constexpr int32_t kFirstIndex = 2;

  IdVocab() = default;

  // Builds from counts; ids with count < min_count map to kOov.
  static IdVocab Build(const std::unordered_map<uint64_t, int64_t>& counts, int64_t min_count, std::string name);
  // Same from parallel arrays of distinct ids and their counts.
  static IdVocab Build(const std::vector<uint64_t>& ids, const std::vector<int64_t>& counts, int64_t min_count,
                       std::string name);

  int32_t Lookup(uint64_t raw_id) const {
    return raw_id == IdHashMap::kEmpty ? kOov : index_.Find(raw_id, kOov);
  }
  // Raw id of a kept index (index >= 2 and < size()).
  uint64_t RawId(int32_t index) const { return raw_[static_cast<size_t>(index - kFirstIndex)]; }
  int64_t Count(int32_t index) const { return counts_[static_cast<size_t>(index - kFirstIndex)]; }
  // Number of indices including padding and OOV.
  int32_t size() const { return static_cast<int32_t>(raw_.size()) + kFirstIndex; }
  const std::string& name() const { return name_; }
  int64_t min_count() const { return min_count_; }

  Status Save(const std::string& path) const;
  // Clear errors (naming file and line) for a missing file, bad header, malformed or duplicate ids, size mismatch.
  static StatusOr<IdVocab> Load(const std::string& path);

 private:
  std::string name_;
  int64_t min_count_ = 1;
  std::vector<uint64_t> raw_;
  std::vector<int64_t> counts_;
  IdHashMap index_;
};

}  // namespace reco::data
