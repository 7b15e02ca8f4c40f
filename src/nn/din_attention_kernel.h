// DIN's local activation unit in training mode (nn/din.h) as one fused kernel over packed history positions:
// torch-free forward and backward on raw float buffers, GEMMs through oneDNN (OpenBLAS as fallback), every
// elementwise step (bias and factored-term adds, Dice statistics, Dice, the output layer, and their gradients) in
// single vectorised passes. din_attention.h wraps it as a LibTorch autograd Function; DinRanker uses it for float
// CPU training batches.
//
// Same maths as DinRanker's op-by-op training forward, restricted to the real history entries:
//   rows r = hh·G + g (the G rows of a sample share history hh); real entries (mask 1) of history hh are packed as
//   q = offset[hh] .. offset[hh + 1] − 1 (position[q] = their l); positions p = q·G + g (one per (row, real entry));
//   z_0[p] = hx[q]·W_histᵀ + t[r]·W_tgtᵀ + b_0 + (h[q] ⊙ t[r])·W_prodᵀ
//   with hx[q] = [h, type_table[type], recency_table[recency]] of the entry (the small tables are gathered here, so
//   their lookups and gradients cost nothing outside the kernel)
//   a_i = Dice_i(z_i) with batch statistics over all positions,  z_{i+1} = a_i·W_{i+1}ᵀ + b_{i+1}
//   score[r, l] = a_{K−1}[p]·w_out + b_out;  0 at padded entries.
// Padded entries are never computed: DinRanker gives them weight 0 and masks them out of the Dice statistics, so
// they change no output and no gradient (tests/nn/din_attention_test.cc checks it against the unpacked ops).
// Dice's backward is dice_fused.h's with all weights 1 (count c = positions, clamped to ≥ 1).
// Sums run in float over fixed blocks of positions and in double across blocks, in a fixed order; Dice statistics
// merge per-block mean and squared deviations (Chan et al.), one pass over memory.
// Thread-safety: stateless functions; the caller owns every buffer. Loops are single-threaded; the GEMMs use
// oneDNN's OpenMP threads (torch::set_num_threads, i.e. SetTrainingThreads).
#pragma once

#include <cstdint>
#include <vector>

namespace reco::nn::din_attention {

struct Dims {
  int64_t hist = 0, group = 0, len = 0;  // H histories, G rows per history (B = H·G), L entries per history
  int64_t emb = 0, ext = 0;              // E = width of h and t; X = E + Dt + Dr (hx)
  std::vector<int64_t> widths;           // hidden widths A_0 .. A_{K−1} (K ≥ 1)
  int64_t entries = 0;                   // Nh = real history entries (from Pack)

  int64_t rows() const { return hist * group; }
  int64_t positions() const { return entries * group; }
  int64_t max_width() const;
};

// Packs the real entries of mask [H, L]: offset [H + 1], position [≥ Nh]. Returns Nh, or −1 when the mask holds a
// value other than 0 and 1 (the caller then uses the op-by-op path).
int64_t Pack(const float* mask, int64_t hist, int64_t len, int32_t* offset, int32_t* position);

// The history side of the attention input.
struct History {
  const float* h = nullptr;              // [H, L, E] item ⊕ category embeddings
  const int64_t* type = nullptr;         // [H, L] behaviour-type indices (rows of type_table)
  const int64_t* recency = nullptr;      // [H, L] recency-bucket indices
  const float* type_table = nullptr;     // [type_rows, Dt]; row 0 is padding (padding_idx: never gets a gradient)
  const float* recency_table = nullptr;  // [recency_rows, Dr]; likewise
  int64_t type_rows = 0, type_dim = 0, recency_rows = 0, recency_dim = 0;
};

struct Layer {
  const float* weight = nullptr;  // [A_i, A_{i−1}], i ≥ 1 (layer 0 uses Params' factored weights)
  const float* bias = nullptr;    // [A_i]
  const float* alpha = nullptr;   // [A_i], Dice α
  float* running_mean = nullptr;  // [A_i], Dice running statistics, updated in place by Forward
  float* running_var = nullptr;   // [A_i]
};

struct Params {
  const float* w_hist = nullptr;  // [A_0, X]  (W_h + W_{h−t}) ⊕ W_tr
  const float* w_tgt = nullptr;   // [A_0, E]  W_t − W_{h−t}
  const float* w_prod = nullptr;  // [A_0, E]  W_{h⊙t}
  std::vector<Layer> layers;      // K entries
  const float* w_out = nullptr;   // [A_{K−1}]
  const float* b_out = nullptr;   // [1]
  double eps = 1e-8, momentum = 0.1;
};

// What Forward keeps for Backward, carved out of one float arena of SavedFloats(dims).
struct Saved {
  float* hx = nullptr;        // [Nh, X] packed history features
  float* u = nullptr;         // [N, E]  h[q] ⊙ t[r]
  std::vector<float*> z;      // [N, A_i] pre-activations
  std::vector<float*> a;      // [N, A_i] activations, i < K − 1 (the last one is recomputed)
  std::vector<float*> stats;  // [2, A_i] batch mean, 1/sqrt(var + eps)
};
int64_t SavedFloats(const Dims& d);
Saved CarveSaved(const Dims& d, float* arena);

// History (indices in range, checked by the caller), t [B, E] → score [B, L]. scratch: ForwardScratchFloats(d).
int64_t ForwardScratchFloats(const Dims& d);
void Forward(const Dims& d, const int32_t* offset, const int32_t* position, const Params& p, const History& hist,
             const float* t, const Saved& saved, float* scratch, float* score);

struct Grads {  // every buffer is written in full (nothing is accumulated into)
  float* h = nullptr;              // [H, L, E], 0 at padded entries
  float* type_table = nullptr;     // [type_rows, Dt]
  float* recency_table = nullptr;  // [recency_rows, Dr]
  float* t = nullptr;              // [B, E]
  float* w_hist = nullptr;         // [A_0, X]
  float* w_tgt = nullptr;          // [A_0, E]
  float* w_prod = nullptr;         // [A_0, E]
  std::vector<float*> weight;      // [A_i, A_{i−1}] for i ≥ 1 (weight[0] unused)
  std::vector<float*> bias, alpha;  // [A_i]
  float* w_out = nullptr;          // [A_{K−1}]
  float* b_out = nullptr;          // [1]
};

// grad_score [B, L] (entries at padded positions are ignored) → Grads. scratch: BackwardScratchFloats(d) floats.
int64_t BackwardScratchFloats(const Dims& d);
void Backward(const Dims& d, const int32_t* offset, const int32_t* position, const Params& p, const History& hist,
              const float* t, const Saved& saved, const float* grad_score, const Grads& g, float* scratch);

// Attention pooling of grouped rows: pooled[r] = Σ_l weight[r, l]·h[r / G, l] for weight [B, L], h [H, L, E]
// (what DinRanker's batched matmul computes, without its per-matrix dispatch). Backward: grad_weight [B, L] and
// grad_h [H, L, E], both written in full.
void PoolForward(int64_t hist, int64_t group, int64_t len, int64_t emb, const float* weight, const float* h,
                 float* pooled);
void PoolBackward(int64_t hist, int64_t group, int64_t len, int64_t emb, const float* weight, const float* h,
                  const float* grad_pooled, float* grad_weight, float* grad_h);

}  // namespace reco::nn::din_attention
