// Direct ("implicit GEMM") 1-D/2-D convolution for stride 1, any kernel size, pads, dilation and group, on plain
// NCHW tensors. Conv's hot path: no im2col column matrix (9x the input for a 3x3 kernel), one register-blocked
// micro-kernel instead of a BLAS call per image.
//
// How: the input image of one group is copied into a zero-padded scratch [C/g][plane] (padded rows Wp wide). The
// output is computed on a "wide" grid of OH x Wp positions, so that output position q = oh*Wp + ow reads input
// position q + kh*dil*Wp + kw*dil for every tap: for a block of 24 consecutive q the reads are 3 contiguous
// vectors of 8 floats at a per-(c, kh, kw) offset, and a tile of 4 output channels x 24 positions accumulates in
// 12 AVX2 registers over all C/g*kh*kw taps (4 broadcast weights + 3 loads per 12 FMAs). Columns ow >= OW of the
// wide grid are computed and dropped when the tile is copied into Y (the waste is (Wp - OW) / Wp).
// Thread-safety: DirectConvPlan is immutable after MakeDirectConvPlan; RunDirectConv is reentrant.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernel.h"
#include "engine/kernels/spatial.h"

namespace reco::engine {

inline constexpr int kConvTileM = 4;   // output channels per micro-tile
inline constexpr int kConvTileQ = 24;  // wide-grid positions per micro-tile (3 x 8 floats)
inline constexpr int kConvTileQ512 = 48;  // the same on AVX-512 CPUs (3 x 16 floats)

// Weights [M, C/g, kh, kw] re-laid out as [g][M/g rounded up to kConvTileM / kConvTileM][C/g*kh*kw][kConvTileM]
// (zeros in the padding channels): the micro-kernel reads 4 consecutive weights per tap.
std::vector<float> PackDirectConvWeights(const float* w, int64_t m, int64_t group, int64_t kdim);
size_t PackedDirectConvWeightsSize(int64_t m, int64_t group, int64_t kdim);

struct DirectConvPlan {
  int64_t c = 0, m = 0, group = 1, cg = 0, mg = 0, mg_tiles = 0, kdim = 0;
  int64_t h = 0, w = 0, oh = 0, ow = 0, hp = 0, wp = 0;  // input, output and padded input dims (2-D view)
  int64_t pad_top = 0, pad_left = 0;
  bool pool = false;           // fused 2x2 max pool (conv_pool.h): Y is [M, OH/2, OW/2]
  bool pool_in_registers = false;  // pool with AVX-512, OW <= 32: conv rows pooled in registers, no tile rows
  int64_t tile_q = kConvTileQ;  // positions per micro-tile: kConvTileQ, or kConvTileQ512 with AVX-512
  int64_t q = 0, q_tiles = 0;  // wide-grid positions (oh * wp) and micro-tiles covering them
  int64_t plane = 0;           // floats per channel in the padded copy (covers the last tile's reads)
  std::vector<int32_t> tap_offsets;  // per k = (c, kh, kw): offset into the padded copy
  // Scratch layout (floats, each part 16-float aligned): padded input, wide output tile rows, packed weights
  // (only when W is not a load-time constant).
  size_t x_floats = 0, y_floats = 0, w_floats = 0;
  size_t scratch_bytes() const { return (x_floats + y_floats + w_floats) * sizeof(float); }
};

// True when the window is one the direct path serves (1-D or 2-D, stride 1) and the CPU has AVX2 and FMA.
bool DirectConvApplies(const Window3& win);
DirectConvPlan MakeDirectConvPlan(const Window3& win, int64_t c, int64_t m, int64_t group, bool weights_packed,
                                  bool pool = false);

// Y[n, M, OH, OW] = conv(X[n, C, H, W]) + bias, then `act` (with p.pool: Y[n, M, OH/2, OW/2], the 2x2 max of
// that, pooled from the tile rows while they are in cache; `act` is then kNone or kRelu). `packed_w` from
// PackDirectConvWeights, or null to pack `w` into the scratch on this call. `bias` may be null.
void RunDirectConv(const DirectConvPlan& p, int64_t n, const float* x, const float* w, const float* packed_w,
                   const float* bias, const Activation& act, float* y, float* scratch);

namespace internal {
// Tests: plan the AVX2 tile even on AVX-512 CPUs (process-wide; affects MakeDirectConvPlan calls made while set).
void SetDirectConvForceAvx2ForTesting(bool force);
}  // namespace internal

}  // namespace reco::engine
