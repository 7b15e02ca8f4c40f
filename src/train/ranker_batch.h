// RankerBatcher: samples of a memory-mapped SampleFile → the flat int64/float arrays a ranker consumes.
//
// One sample gives 1 + K rows (its positive, label 1, then its K stored negatives, label 0) sharing the sample's
// history. By default that history is stored once per sample (hist_rows = samples: the grouped RankerBatch of
// src/nn/ranker.h, row r uses history r / (1 + K)), so the model gathers embeddings and computes the history side of
// the attention once per sample instead of 1 + K times; with group_histories = false it is copied into every row
// (hist_rows = rows). Both layouts give the same model outputs. Index spaces are those of docs/ranker_model.md:
// histories oldest first, left-aligned, 0-padded to L; hist_type = 1 + BehaviorType (0 padding);
// hist_recency = RecencyBucket(target time − behaviour time) (0 padding); hist_mask 1/0. Samples can be picked by
// any index list (shuffled training) or by a range (evaluation).
// Optional remapping (evaluation of a trained model on another log): item/category indices of the file are
// translated through tables into the model's vocabularies, and users into rows of the seed-mlp feature table.
// The buffers are reused across calls: no allocation once the largest batch has been seen. Tensors are views of
// them (torch::from_blob in the trainer), so a batch must not be refilled while its tensors are in use.
// Thread-safety: a batcher is immutable after construction; each thread fills its own RankerBatchBuffers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/ranker_features.h"
#include "data/samples_file.h"

namespace reco::train {

struct RankerBatchBuffers {
  int64_t rows = 0, hist_rows = 0, max_history = 0, features = 0;  // hist_rows divides rows
  std::vector<int64_t> hist_item, hist_cate, hist_type, hist_recency;  // [hist_rows * L]
  std::vector<float> hist_mask;                                        // [hist_rows * L]
  std::vector<int64_t> target_item, target_cate;                       // [rows]
  std::vector<float> label;                                            // [rows]
  std::vector<int32_t> user;                                           // [rows] user index of the file (GAUC)
  std::vector<float> user_input, item_input;                           // [rows * features], seed-mlp only
};

struct RankerBatcherOptions {
  // seed-mlp: feature tables indexed by (remapped) user and item index. Not owned; must outlive the batcher.
  const data::FeatureTable* user_features = nullptr;
  const data::FeatureTable* item_features = nullptr;
  // Index translation (evaluation on another log); empty = identity. Indexed by the file's index.
  std::vector<int32_t> item_remap, cate_remap, user_remap;
  // One history per sample (hist_rows = samples) rather than one copy per row (hist_rows = rows).
  bool group_histories = true;
};

class RankerBatcher {
 public:
  // `file` is not owned and must outlive the batcher. Remap tables must cover the file's vocabularies.
  RankerBatcher(const data::SampleFile& file, RankerBatcherOptions options);

  int64_t rows_per_sample() const { return 1 + file_.num_negatives(); }
  // Samples `indices` (positions within `split`).
  void Fill(data::Split split, std::span<const uint32_t> indices, RankerBatchBuffers* out) const;
  // Samples [begin, end) of `split` (clamped).
  void FillRange(data::Split split, size_t begin, size_t end, RankerBatchBuffers* out) const;

 private:
  void Prepare(size_t samples, RankerBatchBuffers* out) const;
  // Sample `index` of `split` as the i-th sample of the batch.
  void FillOne(data::Split split, size_t index, size_t i, RankerBatchBuffers* out) const;
  int64_t Item(int32_t i) const { return opt_.item_remap.empty() ? i : opt_.item_remap[static_cast<size_t>(i)]; }
  int64_t Cate(int32_t c) const { return opt_.cate_remap.empty() ? c : opt_.cate_remap[static_cast<size_t>(c)]; }

  const data::SampleFile& file_;
  RankerBatcherOptions opt_;
};

}  // namespace reco::train
