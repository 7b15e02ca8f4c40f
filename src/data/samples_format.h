// On-disk layout of a DIN sample file (little-endian, all sections 8-byte aligned). See docs/data.md.
//
//   SampleFileHeader (128 bytes)
//   event_item   int32[num_events]   per-user, time-sorted sequences (users in user-vocab order), item index
//   event_cate   int32[num_events]   category index
//   event_type   uint8[num_events]   BehaviorType
//   event_time   uint32[num_events]  seconds since header.base_time
//   user_offset  uint64[num_users+1] events of dense user u are [user_offset[u], user_offset[u+1]) (u = 0, 1, the
//                                    padding and OOV indices, are empty)
//   item_cate    int32[num_items]    category index of each item index (0 for padding, 1 for OOV)
//   samples      SampleRecord[num_samples]  train, then validation, then test (counts in the header)
//   negatives    int32[num_samples * num_negatives]  in sample order
// Each section starts at an offset rounded up to 8 bytes; the file size must equal header.file_size.
// Thread-safety: plain structs.
#pragma once

#include <cstdint>

namespace reco::data {

inline constexpr char kSampleFileMagic[8] = {'R', 'E', 'C', 'O', 'S', 'M', 'P', 'L'};
inline constexpr uint32_t kSampleFileVersion = 1;

enum class Split : uint8_t { kTrain = 0, kValidation = 1, kTest = 2 };
inline constexpr int kNumSplits = 3;

// Recency buckets: 0 = padding, 1 + min(14, floor(log2(1 + minutes between the behaviour and the target))).
inline constexpr int kNumRecencyBuckets = 16;
inline int RecencyBucket(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const uint64_t m = static_cast<uint64_t>(seconds) / 60 + 1;
  const int b = 63 - __builtin_clzll(m);
  return 1 + (b < kNumRecencyBuckets - 2 ? b : kNumRecencyBuckets - 2);
}

// One sample = a target position in a user's sequence; the history is the hist_len events just before it.
struct SampleRecord {
  uint64_t event;     // global index of the target event (positive item = event_item[event])
  uint32_t user;      // dense user index (user vocabulary), for GAUC
  uint16_t hist_len;  // 1..max_history
  uint8_t split;      // Split
  uint8_t reserved;
};
static_assert(sizeof(SampleRecord) == 16);

struct SampleFileHeader {
  char magic[8];
  uint32_t version;
  uint32_t max_history;    // L
  uint32_t num_negatives;  // K negatives stored per sample
  uint32_t split_mode;     // 0 = time, 1 = last event per user
  uint64_t num_events;
  uint64_t num_users;  // user vocab size (incl. padding and OOV)
  uint64_t num_items;  // item vocab size (incl. padding and OOV)
  uint64_t num_cates;  // category vocab size (incl. padding and OOV)
  uint64_t num_samples;
  uint64_t split_count[3];  // train, validation, test
  int64_t base_time;        // event_time offsets are relative to this
  int64_t train_end;        // time split cut-offs (0 if unused)
  int64_t valid_end;
  uint64_t file_size;
  uint64_t reserved;  // 0
};
static_assert(sizeof(SampleFileHeader) == 128);

}  // namespace reco::data
