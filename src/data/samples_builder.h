// Events → DIN samples: vocabularies, per-user time-sorted sequences, positives, popularity negatives, splits.
//
// For each user (events grouped by user with a stable counting sort, then each user's events stable-sorted by
// time if they were not already), every position p ≥ 1 of the sequence is one sample: the target (positive) is
// the item at p, the history is the min(p, L) events before it (older ones are dropped: truncation keeps the most
// recent L). So a user with a single event yields no sample. Targets whose item is out of vocabulary
// (count < item_min_count) are skipped and counted. Each sample gets `num_negatives` items drawn by popularity
// (item count) from the item vocabulary, never an item the user interacted with at any time; a user who touched
// every vocabulary item gets no negatives drawn in vain: an error names the user.
// Splits: kTime assigns a sample by its target's timestamp (< train_end: train, < valid_end: validation, else
// test); kLastEvent makes each user's last sample test and the one before it validation.
// Vocabularies are built from all events (ids only; counts also drive negative sampling). Users are never OOV.
// Cost: O(E log U) for hashing, O(E) otherwise; memory ~ 2x the columns. Deterministic for a given seed.
// Thread-safety: free function, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/behavior_event.h"
#include "data/samples_format.h"
#include "data/vocab_id.h"

namespace reco::data {

enum class SplitMode : uint32_t { kTime = 0, kLastEvent = 1 };

struct SampleBuildOptions {
  int max_history = 50;  // L, 1..65535
  int num_negatives = 1;
  uint64_t seed = 1;
  int64_t item_min_count = 1;
  int64_t cate_min_count = 1;
  SplitMode split = SplitMode::kLastEvent;
  int64_t train_end = 0;  // kTime only
  int64_t valid_end = 0;
};

struct SampleBuildStats {
  int64_t events = 0;
  int64_t users = 0;
  int64_t single_event_users = 0;
  int64_t unsorted_users = 0;       // users whose timestamps had to be sorted
  int64_t truncated_histories = 0;  // samples whose history was cut to L
  int64_t oov_targets_skipped = 0;
  int64_t split_count[kNumSplits] = {0, 0, 0};
  std::string Summary() const;
};

// Everything a sample file holds, in memory.
struct SampleDataset {
  SampleFileHeader header{};
  IdVocab user_vocab, item_vocab, cate_vocab;
  std::vector<int32_t> event_item, event_cate;
  std::vector<uint8_t> event_type;
  std::vector<uint32_t> event_time;
  std::vector<uint64_t> user_offset;  // user_vocab.size() + 1
  std::vector<int32_t> item_cate;     // item_vocab.size()
  std::vector<SampleRecord> samples;  // grouped by split: train, validation, test
  std::vector<int32_t> negatives;     // samples.size() * num_negatives
};

// Consumes `events` (freed as it goes). InvalidArgument for bad options, an empty input, or a time span > 2^32 s.
StatusOr<SampleDataset> BuildSamples(EventColumns events, const SampleBuildOptions& options, SampleBuildStats* stats);

// Writes the dataset as a sample file (temporary name, then rename) and its vocabularies beside it:
// <dir of path>/user_vocab.txt, item_vocab.txt, cate_vocab.txt.
Status WriteSampleFile(const SampleDataset& data, const std::string& path);
Status WriteVocabularies(const SampleDataset& data, const std::string& dir);

}  // namespace reco::data
