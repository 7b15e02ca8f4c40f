// AVX-512 micro-kernels of SgemmPacked for the 16-wide panels (see gemm_packed.h): one zmm register is exactly
// one panel row, so the packing is the AVX2 path's and only the register tile changes. Why: on CPUs with two
// 512-bit FMA pipes (Zen 4/5, recent Xeons) the AVX2 kernel reaches at most half of the machine's FLOP/s, and
// ONNX Runtime's MLAS does use AVX-512 there. The dot-product layout (N <= 4) stays on the AVX2 kernels; the
// 8-wide tail panel has a k-pair kernel of its own (NarrowPairs).
// Every function here is compiled for AVX-512F whatever the engine's compile flags; callers check
// PackedGemmAvx512Available() first.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "engine/kernels/gemm_packed.h"

namespace reco::engine::internal {
namespace {

constexpr int64_t kTileRows = 12;  // rows of the main micro-kernel: 12 x 2 panels = 24 zmm accumulators

__attribute__((target("avx512f"))) inline __mmask16 ColumnMask(int64_t cols) {
  return cols >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << std::max<int64_t>(cols, 0)) - 1);
}

// C[MR, NP*16] (valid columns: `cols`) = A[MR, K] * (NP consecutive 16-wide panels) (+ bias). MR x NP zmm
// accumulators stay in registers over all of K; each step loads NP panel rows of B and broadcasts one element
// of A per row (the broadcast folds into the FMA's memory operand).
template <int MR, int NP>
__attribute__((target("avx512f"), noinline)) void Tile(const float* a, int64_t lda, const float* b,
                                                      int64_t panel_stride, int64_t k, const float* bias,
                                                      int64_t cols, float* c, int64_t ldc) {
  static_assert(MR * NP <= 28, "accumulators and B must fit in the 32 zmm registers");
  __m512 acc[MR][NP];
#pragma GCC unroll 8
  for (int v = 0; v < NP; ++v) {
    const __m512 init =
        bias != nullptr ? _mm512_maskz_loadu_ps(ColumnMask(cols - 16 * v), bias + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 14
    for (int r = 0; r < MR; ++r) acc[r][v] = init;
  }
#pragma GCC unroll 2
  for (int64_t p = 0; p < k; ++p) {
    __m512 bv[NP];
#pragma GCC unroll 8
    for (int v = 0; v < NP; ++v) bv[v] = _mm512_load_ps(b + v * panel_stride + p * 16);
#pragma GCC unroll 14
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + p]);
#pragma GCC unroll 8
      for (int v = 0; v < NP; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 14
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 8
    for (int v = 0; v < NP; ++v) {
      const int64_t left = cols - 16 * v;
      if (left >= 16) {
        _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
      } else if (left > 0) {
        _mm512_mask_storeu_ps(c + r * ldc + 16 * v, ColumnMask(left), acc[r][v]);
      }
    }
  }
}

// Rows [row, row + MR) against every 16-wide panel, NP panels per micro-tile, the remainder one panel at a time.
template <int MR, int NP>
__attribute__((target("avx512f"))) void FullPanels(const PackedProblem& pb, int64_t row) {
  const PackedMatrix& b = *pb.b;
  const int64_t k = b.k(), n = b.n(), stride = k * PackedMatrix::kPanel, panels = b.full_panels();
  const float* a = pb.a + row * pb.lda;
  float* c = pb.c + row * pb.ldc;
  int64_t j = 0;
  for (; j + NP <= panels; j += NP) {
    const int64_t col = j * PackedMatrix::kPanel;
    Tile<MR, NP>(a, pb.lda, b.panel(j), stride, k, pb.bias ? pb.bias + col : nullptr, n - col, c + col, pb.ldc);
  }
  for (; j < panels; ++j) {
    const int64_t col = j * PackedMatrix::kPanel;
    Tile<MR, 1>(a, pb.lda, b.panel(j), stride, k, pb.bias ? pb.bias + col : nullptr, n - col, c + col, pb.ldc);
  }
}

// Fewer than 12 rows: more panels per tile so that 8+ independent accumulators hide the FMA latency
// (4 cycles x 2 pipes).
using RowsFn = void (*)(const PackedProblem& pb, int64_t row);
constexpr RowsFn kFewRows[kTileRows] = {nullptr,          FullPanels<1, 8>, FullPanels<2, 4>,  FullPanels<3, 3>,
                                        FullPanels<4, 2>, FullPanels<5, 2>, FullPanels<6, 2>,  FullPanels<7, 2>,
                                        FullPanels<8, 2>, FullPanels<9, 2>, FullPanels<10, 2>, FullPanels<11, 2>};

// The 8-wide tail panel (N % 16 in 1..8, e.g. DIN's 80 -> 40 layer): one zmm accumulator per row holds its 8
// columns for even k in the even lanes and for odd k in the odd lanes, against B's k-pair layout
// (PackedMatrix::narrow_pairs) and A's two adjacent elements broadcast as one 64-bit element (vbroadcastsd from
// memory: a load, no FP-pipe shuffle), so one FMA does two k steps: half the FMAs of the 8-lane AVX2 kernel, which
// cost as much as a full 16-wide panel. The lane pairs are added at the end.
template <int MR>
__attribute__((target("avx512f"))) void NarrowPairs(const PackedProblem& pb, int64_t row) {
  const PackedMatrix& b = *pb.b;
  const int64_t k = b.k(), pairs = k / 2, col = b.full_panels() * PackedMatrix::kPanel;
  const float* bp = b.narrow_pairs();
  const float* a = pb.a + row * pb.lda;
  __m512 acc[MR];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) acc[r] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t i = 0; i < pairs; ++i) {
    const __m512 bv = _mm512_load_ps(bp + i * PackedMatrix::kPanel);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      double two;  // a[r][2i], a[r][2i + 1] as one 64-bit element: vbroadcastsd from memory is a plain load
      std::memcpy(&two, a + r * pb.lda + 2 * i, sizeof two);
      acc[r] = _mm512_fmadd_ps(_mm512_castpd_ps(_mm512_set1_pd(two)), bv, acc[r]);
    }
  }
  if (k % 2 != 0) {  // the last k alone: its pair's odd half of B is zeros
    const __m512 bv = _mm512_load_ps(bp + pairs * PackedMatrix::kPanel);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * pb.lda + k - 1]), bv, acc[r]);
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 0, 0, 0, 0, 0, 0, 0, 0);
  const __mmask16 m = ColumnMask(b.narrow_cols());
  const __m512 bias = pb.bias != nullptr ? _mm512_maskz_loadu_ps(m, pb.bias + col) : _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    const __m512 sum = _mm512_add_ps(_mm512_permutexvar_ps(even, acc[r]), _mm512_permutexvar_ps(odd, acc[r]));
    _mm512_mask_storeu_ps(pb.c + (row + r) * pb.ldc + col, m, _mm512_add_ps(bias, sum));
  }
}

constexpr RowsFn kNarrowPairsRows[kTileRows + 1] = {
    nullptr,        NarrowPairs<1>, NarrowPairs<2>, NarrowPairs<3>,  NarrowPairs<4>,  NarrowPairs<5>, NarrowPairs<6>,
    NarrowPairs<7>, NarrowPairs<8>, NarrowPairs<9>, NarrowPairs<10>, NarrowPairs<11>, NarrowPairs<12>};

}  // namespace

void PackedRowBlockAvx512(const PackedProblem& pb, int64_t row0, int64_t rows) {
  if (pb.b->layout() == PackedMatrix::Layout::kDot) return PackedRowBlockAvx2(pb, row0, rows);
  int64_t i = 0;
  for (; i + kTileRows <= rows; i += kTileRows) {
    if (pb.prefetch) PrefetchRows(pb, row0 + i + kTileRows, kTileRows);
    FullPanels<kTileRows, 2>(pb, row0 + i);
  }
  if (i < rows) kFewRows[rows - i](pb, row0 + i);
  if (!pb.b->has_narrow_panel()) return;
  for (int64_t r = 0; r < rows; r += kTileRows) kNarrowPairsRows[std::min(kTileRows, rows - r)](pb, row0 + r);
}

}  // namespace reco::engine::internal
