// Winograd F(2x2, 3x3) convolution for 3x3, stride-1, undilated, ungrouped 2-D convs with constant weights and
// enough channels (the CNN's conv2, 32 -> 64 on 13x13: 84% of its FLOPs). Each 2x2 output tile comes from a 4x4
// input tile with 16 multiplications per (input, output channel) pair instead of 36 (2.25x fewer).
//
// How: at load, the weights become U[p] = (G g G^T)[p] for the 16 tile positions p, each a [C, M] matrix. On
// AVX-512 CPUs, per image: the input is copied zero-padded channel-major, each 4x4 tile is transformed with
// vectors along the tile row (V[p][C][tile] = B^T d B, adds and lane permutes), 16 GEMMs Mo[p][tile][M] =
// V[p]^T * U[p] run in 6 x 64 zmm register tiles, and the output transform (A^T Mo A, adds only) runs 8 output
// channels at a time, adding bias and applying Relu; with a fused 2x2 max pool (conv_pool.h) the tile IS the pool
// window, so only its max is stored. AVX2 CPUs copy the input channels-last instead (8 channels per vector),
// write V[p][tile][C] and use SgemmPacked over U[p] packed at load.
// Numerics: rounding differs from the direct sum by a few ulps of the partial sums (the transforms
// add and subtract); an Inf/NaN input can turn the other outputs of its 2x2 tile NaN (0 * Inf in the
// transforms), which the fused max pool would propagate anyway.
// Thread-safety: WinogradWeights and WinogradPlan are immutable after construction; RunWinogradConv is reentrant.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/kernel.h"
#include "engine/kernels/gemm_packed.h"
#include "engine/kernels/spatial.h"

namespace reco::engine {

struct WinogradWeights {
  int64_t c = 0, m = 0;
  // U[p]: [C, M], p = 4 * row + col of the transformed 4x4 tile. On AVX-512 CPUs `wide` holds all 16 as
  // [16][C][M rounded up to 16] (64-byte aligned, into wide_storage) for the AVX-512 tiles and `u` stays empty;
  // otherwise `u` is packed for SgemmPacked.
  std::array<PackedMatrix, 16> u;
  std::vector<float> wide_storage;
  const float* wide = nullptr;
};

// True for a 2-D 3x3 window with stride 1 and dilation 1 (any padding) on a CPU with AVX2+FMA. `group` must be 1.
// Whether it pays is the caller's call (it does for C >= 8, M >= 16).
bool WinogradApplies(const Window3& win, int64_t group);
// w: [M, C, 3, 3].
std::unique_ptr<const WinogradWeights> PackWinogradWeights(const float* w, int64_t m, int64_t c);

struct WinogradPlan {
  int64_t c = 0, m = 0, h = 0, w = 0, oh = 0, ow = 0, pad_top = 0, pad_left = 0;
  bool pool = false;        // fused 2x2 max pool: Y is [M, OH/2, OW/2]
  int64_t th = 0, tw = 0;   // tile rows and columns (covering OH x OW, or the pooled area)
  int64_t xh = 0, xw = 0;   // rows and columns of the channels-last input copy (2 * th + 2, 2 * tw + 2)
  size_t x_floats = 0, v_floats = 0, mo_floats = 0;
  size_t scratch_bytes() const { return (x_floats + v_floats + mo_floats) * sizeof(float); }
};

WinogradPlan MakeWinogradPlan(const Window3& win, int64_t c, int64_t m, bool pool);

// Y[n, M, OH, OW] (or the pooled [n, M, OH/2, OW/2]) = act(conv(X) + bias); `act` is kNone or kRelu when
// pooling, any activation otherwise. bias may be null. scratch: plan.scratch_bytes(), 64-byte aligned.
void RunWinogradConv(const WinogradPlan& p, const WinogradWeights& wts, int64_t n, const float* x, const float* bias,
                     const Activation& act, float* y, float* scratch);

namespace internal {
// Tests: pack (and so run) weights for the AVX2 SgemmPacked products even on AVX-512 CPUs (process-wide; affects
// PackWinogradWeights calls made while set).
void SetWinogradForceAvx2ForTesting(bool force);
}  // namespace internal

}  // namespace reco::engine
