// ModelInputs: builds the ranker contract's input tensors for one user and B candidates, into reused buffers.
//
// History tensors are [1, L] (H = 1: the user's history once, broadcast by the model over the B targets — never
// copied per candidate); targets are [Bp] with Bp = B rounded up to a multiple of kBatchQuantum, padded with the
// OOV index, so the engine sees few distinct shapes (each shape has its own cached plan). Only the inputs the
// model declares are built, in its order. For a remote server that rejects H = 1, `history_rows` = Bp repeats
// the history rows (the only place a history is copied per candidate).
// Thread-safety: one ModelInputs per thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "online/ranking/ranker.h"
#include "online/ranking/ranker_model.h"
#include "serving/tensor.h"

namespace reco::online::ranking {

inline constexpr int64_t kBatchQuantum = 32;
inline int64_t PaddedBatch(int64_t b) { return b <= 0 ? kBatchQuantum : (b + kBatchQuantum - 1) / kBatchQuantum * kBatchQuantum; }

// With a model whose history axis is dynamic ([H, n], n <= L), the history is fed at its real length, rounded up
// only where a few positions matter little: exact up to 12, then to a multiple of 2 (<= 16), 4 (<= 32), 8, capped
// at L (never below 1: an empty history is fed as one masked position). DIN's attention costs B x n, so padding a
// 10-behaviour history to 16 cost 40% more engine time (bench/recommender_rank_bench); the few shapes this
// still leaves (21 history lengths for L = 50) x the batch buckets fit the plan cache LoadRankerModel sizes for them.
inline int64_t HistoryBucket(int64_t length, int64_t max_history) {
  const int64_t n = std::max<int64_t>(length, 1);
  const int64_t step = n <= 12 ? 1 : n <= 16 ? 2 : n <= 32 ? 4 : 8;
  return std::min((n + step - 1) / step * step, max_history);
}

// Distinct padded shapes a ranker model can see: HistoryBucket values up to L x PaddedBatch values up to `batch`.
inline int64_t NumRankerShapes(int64_t max_history, int64_t batch) {
  int64_t lengths = 0;
  for (int64_t n = 1, last = 0; n <= max_history; ++n) {
    if (HistoryBucket(n, max_history) != last) ++lengths, last = HistoryBucket(n, max_history);
  }
  return lengths * (PaddedBatch(batch) / kBatchQuantum);
}

class ModelInputs {
 public:
  // Fills tensors() for `model` and `request`. `input_names` are the model's inputs in order (for a remote
  // model: the contract's seven). `history_rows` is 1 or 0 (= Bp, one row per target).
  Status Build(const RankerModel& model, std::span<const std::string> input_names, const RankRequest& request,
               int history_rows = 1);

  std::vector<serving::NamedTensor>& tensors() { return tensors_; }
  int64_t padded_batch() const { return padded_batch_; }
  // Index into the request's history of history position 0 (the history is its last L entries).
  int64_t history_offset() const { return history_offset_; }
  int64_t history_length() const { return history_length_; }
  // The history length fed to the model (L, or its bucket when the model's history axis is dynamic).
  int64_t max_history() const { return max_history_; }

 private:
  std::vector<serving::NamedTensor> tensors_;
  int64_t padded_batch_ = 0;
  int64_t history_offset_ = 0;
  int64_t history_length_ = 0;
  int64_t max_history_ = 0;
};

// The contract's seven input names, in the order of docs/ranker_model.md.
std::span<const std::string> ContractInputNames();

}  // namespace reco::online::ranking

namespace reco::online::ranking {

// Reads `prob` ([Bp, 1] or [Bp]) and, if given, `attention` ([Bp, L]) into `result` for the first `batch` rows.
// The reason of a candidate is the history entry with the largest attention weight (ties: the most recent);
// without attention it is the most recent history entry. Shapes are checked (Internal error naming the tensor).
Status ReadModelOutputs(const serving::Tensor& prob, const serving::Tensor* attention, int64_t batch,
                        const ModelInputs& inputs, RankResult* result);

}  // namespace reco::online::ranking
