// LazyAdam: Adam for embedding tables with sparse gradients — only the rows looked up in the batch move.
//
// Semantics are exactly PyTorch's torch.optim.SparseAdam (1.13), so that the Python reference of
// bench/ranker_vs_pytorch.sh runs the same optimizer: per table a step counter t (+1 per step with a
// gradient);
// duplicate row gradients are summed (SparseAdam coalesces); for each touched row
//     m = β1·m + (1−β1)·g,  v = β2·v + (1−β2)·g²,  w −= lr·sqrt(1−β2^t)/(1−β1^t) · m / (sqrt(v) + eps)
// and untouched rows keep w, m and v unchanged ("lazy": their moments do not decay). Note eps sits inside the
// bias correction here, unlike dense Adam; the difference is O(eps).
// Optional mini-batch-aware L2 (DIN paper §4.2, simplified to a constant λ): g += λ·w for touched rows only, so
// the cost is O(batch), not O(table). The padding row never gets a gradient (torch drops padding_idx entries).
// Instead of coalescing (a sort), gradients are accumulated through a row → slot table: O(nnz·D) per step.
// Tables must be float32, contiguous, with sparse COO gradients (Embedding with sparse=true).
// Thread-safety: one training loop owns it.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace reco::train {

struct LazyAdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double l2 = 0;  // mini-batch-aware L2 on touched rows
};

class LazyAdam {
 public:
  LazyAdam(std::vector<torch::Tensor> tables, LazyAdamOptions options);

  // Updates every table that has a gradient, then drops the gradients (the next backward makes fresh ones).
  void Step();
  int64_t rows_touched_last_step() const { return rows_touched_; }

 private:
  struct TableState {
    torch::Tensor param, m, v;
    int64_t step = 0;
    std::vector<int32_t> slot;  // row -> position in `touched`, -1 if untouched in this step
  };
  void StepTable(TableState& s, const torch::Tensor& grad);

  std::vector<TableState> tables_;
  LazyAdamOptions opt_;
  std::vector<int64_t> touched_;
  std::vector<float> acc_;
  int64_t rows_touched_ = 0;
};

}  // namespace reco::train
