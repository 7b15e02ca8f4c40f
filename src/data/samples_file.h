// SampleFile: a memory-mapped DIN sample file (layout in samples_format.h and docs/data.md).
//
// Open() validates everything the accessors rely on — magic, version, section sizes against the file size,
// split counts, sample event indices, history lengths, item/category indices — so a corrupt or truncated file is
// a clear Status (DataLoss naming the file and the field), never an out-of-bounds read later. Accessors return
// spans into the map (no copy); FillBatch expands samples into padded [rows, L] arrays for training, reusing the
// batch's buffers (no allocation once warm).
// Batch layout: each sample gives 1 + K rows (the positive, label 1, then its K negatives, label 0), sharing
// one history. Histories are left-aligned, oldest first, padded with 0 on the right; hist_mask is 1 for real
// entries. hist_recency = RecencyBucket(target time − behaviour time).
// Thread-safety: immutable after Open; concurrent readers are fine, each with its own DinBatch.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/behavior_mapped_file.h"
#include "data/samples_format.h"

namespace reco::data {

struct DinBatch {
  int64_t rows = 0;
  int64_t max_history = 0;
  std::vector<int32_t> hist_item, hist_cate;      // [rows * L]
  std::vector<uint8_t> hist_type, hist_recency;   // [rows * L]
  std::vector<uint8_t> hist_mask;                 // [rows * L]
  std::vector<int32_t> hist_len;                  // [rows]
  std::vector<int32_t> target_item, target_cate;  // [rows]
  std::vector<int32_t> user;                      // [rows]
  std::vector<float> label;                       // [rows]
};

class SampleFile {
 public:
  static StatusOr<std::unique_ptr<SampleFile>> Open(const std::string& path);

  const SampleFileHeader& header() const { return *header_; }
  int max_history() const { return static_cast<int>(header_->max_history); }
  int num_negatives() const { return static_cast<int>(header_->num_negatives); }

  std::span<const SampleRecord> samples(Split split) const;
  std::span<const int32_t> negatives(Split split, size_t i) const;
  // History of a sample, oldest first (spans into the event sections).
  std::span<const int32_t> hist_item(const SampleRecord& r) const { return {item_ + r.event - r.hist_len, r.hist_len}; }
  std::span<const int32_t> hist_cate(const SampleRecord& r) const { return {cate_ + r.event - r.hist_len, r.hist_len}; }
  std::span<const uint8_t> hist_type(const SampleRecord& r) const { return {type_ + r.event - r.hist_len, r.hist_len}; }
  std::span<const uint32_t> hist_time(const SampleRecord& r) const { return {time_ + r.event - r.hist_len, r.hist_len}; }
  int32_t target_item(const SampleRecord& r) const { return item_[r.event]; }
  int64_t target_time(const SampleRecord& r) const { return header_->base_time + time_[r.event]; }
  int32_t item_category(int32_t item) const { return item_cate_[item]; }
  // A user's whole sequence [begin, end) of global event indices.
  std::pair<uint64_t, uint64_t> user_events(uint32_t user) const { return {user_offset_[user], user_offset_[user + 1]}; }
  std::span<const int32_t> event_items() const { return {item_, header_->num_events}; }
  std::span<const int32_t> event_cates() const { return {cate_, header_->num_events}; }
  std::span<const uint8_t> event_types() const { return {type_, header_->num_events}; }
  std::span<const uint32_t> event_times() const { return {time_, header_->num_events}; }  // since base_time

  // Fills `out` with samples [begin, end) of `split` (clamped to the split's size).
  void FillBatch(Split split, size_t begin, size_t end, DinBatch* out) const;

 private:
  explicit SampleFile(std::unique_ptr<MappedFile> file) : file_(std::move(file)) {}
  Status Validate();

  std::unique_ptr<MappedFile> file_;
  const SampleFileHeader* header_ = nullptr;
  const int32_t* item_ = nullptr;
  const int32_t* cate_ = nullptr;
  const uint8_t* type_ = nullptr;
  const uint32_t* time_ = nullptr;
  const uint64_t* user_offset_ = nullptr;
  const int32_t* item_cate_ = nullptr;
  const SampleRecord* samples_ = nullptr;
  const int32_t* negatives_ = nullptr;
  uint64_t split_begin_[kNumSplits + 1] = {};
};

}  // namespace reco::data
