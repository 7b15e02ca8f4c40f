// FusedDinAttention: DIN's local activation unit in training mode as one LibTorch autograd Function, computed by
// din_attention_kernel.h over the real history entries only (padded entries cost nothing). Same maths as
// DinRanker's op-by-op training path (factored first layer, Dice with masked batch statistics, hidden layers, output
// layer), so the two are interchangeable; tests/nn/din_attention_test.cc compares outputs, every gradient and the
// Dice running statistics.
// Thread-safety: stateless; a call updates the Dice running statistics passed in (like a train-mode Forward).
#pragma once

#include <torch/types.h>

#include <vector>

namespace reco::nn {

struct FusedDinAttentionInputs {
  torch::Tensor h;                            // [H, L, E] float: item ⊕ category embedding per history entry
  torch::Tensor hist_type, hist_recency;      // [H, L] int64 indices into the two tables below
  torch::Tensor type_table, recency_table;    // [rows, Dt], [rows, Dr]: DinRanker's emb->type / emb->recency weights
  torch::Tensor target;                       // [B, E] float, B = H·G (rows grouped by history, as in RankerBatch)
  torch::Tensor mask;                         // [H, L] float 0/1
  torch::Tensor w_hist, w_tgt, w_prod;  // [A_0, X], [A_0, E], [A_0, E]: DinRanker's factored first-layer blocks
  std::vector<torch::Tensor> weight;    // [A_i, A_{i−1}] for hidden layers i ≥ 1 (K − 1 entries)
  std::vector<torch::Tensor> bias;      // [A_i], K entries (bias[0] = the first layer's)
  std::vector<torch::Tensor> alpha;     // [A_i], Dice α per layer
  std::vector<torch::Tensor> running_mean, running_var;  // [A_i], Dice buffers, updated in place
  torch::Tensor w_out, b_out;           // [1, A_{K−1}], [1]
  double eps = 1e-8, momentum = 0.1;
};

// Raw attention scores [B, L] (0 at padded entries), differentiable w.r.t. every float tensor above except mask and
// the running statistics (the tables' row 0 is padding and gets no gradient, as with padding_idx). Returns an
// undefined tensor when the fused path does not apply (not float32 CPU, or a mask value other than 0/1): the caller
// then runs the op-by-op path.
torch::Tensor FusedDinAttention(const FusedDinAttentionInputs& in);

// Σ_l weight[r, l]·h[r / G, l]: weight [B, L], h [H, L, E] float32 CPU, B = H·G → [B, E]; differentiable in both.
// Same as matmul(weight.view(H, G, L), h) but one loop instead of LibTorch's per-matrix bmm dispatch (forward and
// backward), which cost ~15% of a training step at batch 256.
torch::Tensor GroupedPool(const torch::Tensor& weight, const torch::Tensor& h);

}  // namespace reco::nn
