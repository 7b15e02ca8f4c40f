// AVX2 + FMA micro-kernels of SgemmPacked (see gemm_packed.h for the layouts and the loop order). Every function
// here is compiled for AVX2+FMA whatever the engine's compile flags; callers check PackedGemmAvailable() first.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "engine/kernels/gemm_packed.h"

namespace reco::engine::internal {
namespace {

constexpr int64_t kTileRows = 6;  // rows of the main micro-kernel

// Lane masks: loading 8 ints at kLaneMask + 8 - n gives n leading all-ones lanes (n in 0..8).
alignas(64) constexpr int32_t kLaneMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

__attribute__((target("avx2,fma"))) inline __m256i LaneMask(int64_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLaneMask + 8 - n));
}

// C[MR, NP*W] (valid columns: `cols`) = A[MR, K] * (NP consecutive panels of width W) (+ bias). Accumulators
// MR x NP*W/8 ymm registers (<= 12) stay in registers over all of K; B is read with aligned loads, A with
// broadcasts straight from its rows.
template <int MR, int NP, int W>
__attribute__((target("avx2,fma"), noinline)) void Tile(const float* a, int64_t lda, const float* b,
                                                        int64_t panel_stride, int64_t k, const float* bias,
                                                        int64_t cols, float* c, int64_t ldc) {
  constexpr int kVecPerPanel = W / 8;
  constexpr int NV = NP * kVecPerPanel;
  static_assert(MR * NV <= 12, "accumulators must fit in registers");
  __m256 acc[MR][NV];
  const bool full = cols >= NV * 8;
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) {
    __m256 init = _mm256_setzero_ps();
    if (bias != nullptr) {
      const int64_t left = cols - 8 * v;
      if (full || left >= 8) {
        init = _mm256_loadu_ps(bias + 8 * v);
      } else if (left > 0) {
        init = _mm256_maskload_ps(bias + 8 * v, LaneMask(left));
      }
    }
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) acc[r][v] = init;
  }
  const float* bv_base[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) bv_base[v] = b + (v / kVecPerPanel) * panel_stride + (v % kVecPerPanel) * 8;
  if constexpr (NV <= 2) {
    // Tall tiles (6x16, 12x8): the NV vectors of B in registers, one broadcast of A at a time.
#pragma GCC unroll 4
    for (int64_t p = 0; p < k; ++p) {
      __m256 bv[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) bv[v] = _mm256_load_ps(bv_base[v] + p * W);
#pragma GCC unroll 12
      for (int r = 0; r < MR; ++r) {
        const __m256 av = _mm256_broadcast_ss(a + r * lda + p);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
      }
    }
  } else {
    // Wide tiles (1x64, 2x48, 3x32): the MR broadcasts in registers, B streamed vector by vector (keeping all
    // NV vectors of B live next to 12 accumulators would spill).
    static_assert(MR <= 3, "wide tiles have at most 3 rows");
#pragma GCC unroll 2
    for (int64_t p = 0; p < k; ++p) {
      __m256 av[MR];
#pragma GCC unroll 3
      for (int r = 0; r < MR; ++r) av[r] = _mm256_broadcast_ss(a + r * lda + p);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        const __m256 bv = _mm256_load_ps(bv_base[v] + p * W);
#pragma GCC unroll 3
        for (int r = 0; r < MR; ++r) acc[r][v] = _mm256_fmadd_ps(av[r], bv, acc[r][v]);
      }
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const int64_t left = cols - 8 * v;
      if (full || left >= 8) {
        _mm256_storeu_ps(cr + 8 * v, acc[r][v]);
      } else if (left > 0) {
        _mm256_maskstore_ps(cr + 8 * v, LaneMask(left), acc[r][v]);
      }
    }
  }
}

// Rows [row, row + MR) against every 16-wide panel, NP panels per micro-tile.
template <int MR, int NP>
__attribute__((target("avx2,fma"))) void FullPanels(const PackedProblem& pb, int64_t row) {
  const PackedMatrix& b = *pb.b;
  const int64_t k = b.k(), n = b.n(), stride = k * PackedMatrix::kPanel, panels = b.full_panels();
  const float* a = pb.a + row * pb.lda;
  float* c = pb.c + row * pb.ldc;
  int64_t j = 0;
  for (; j + NP <= panels; j += NP) {
    const int64_t col = j * PackedMatrix::kPanel;
    Tile<MR, NP, 16>(a, pb.lda, b.panel(j), stride, k, pb.bias ? pb.bias + col : nullptr, n - col, c + col, pb.ldc);
  }
  for (; j < panels; ++j) {
    const int64_t col = j * PackedMatrix::kPanel;
    Tile<MR, 1, 16>(a, pb.lda, b.panel(j), stride, k, pb.bias ? pb.bias + col : nullptr, n - col, c + col, pb.ldc);
  }
}

template <int MR>
__attribute__((target("avx2,fma"))) void NarrowPanel(const PackedProblem& pb, int64_t row) {
  const PackedMatrix& b = *pb.b;
  const int64_t col = b.full_panels() * PackedMatrix::kPanel;
  Tile<MR, 1, 8>(pb.a + row * pb.lda, pb.lda, b.panel(b.full_panels()), 0, b.k(), pb.bias ? pb.bias + col : nullptr,
                 b.narrow_cols(), pb.c + row * pb.ldc + col, pb.ldc);
}

// Fewer than 6 rows: wider column groups keep 8-12 independent accumulators (FMA latency x throughput = 8).
using RowsFn = void (*)(const PackedProblem& pb, int64_t row);
constexpr RowsFn kFullPanelsFewRows[kTileRows] = {nullptr,          FullPanels<1, 4>, FullPanels<2, 3>,
                                                  FullPanels<3, 2>, FullPanels<4, 1>, FullPanels<5, 1>};
constexpr RowsFn kNarrowPanelFewRows[12] = {nullptr,        NarrowPanel<1>, NarrowPanel<2>,  NarrowPanel<3>,
                                            NarrowPanel<4>, NarrowPanel<5>, NarrowPanel<6>,  NarrowPanel<7>,
                                            NarrowPanel<8>, NarrowPanel<9>, NarrowPanel<10>, NarrowPanel<11>};

// Dot-product layout (N <= 4): C[MR, NC] = A[MR, K] * B^T[NC, K]^T, 8 lanes along K, MR x NC accumulators
// reduced horizontally at the end. The K tail is read with a masked load (A is not padded; B^T is).
__attribute__((target("avx2,fma"))) inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// One step of 8 along K: acc[r][j] += A[r, p..p+8) * Bt[j, p..p+8). (No lambdas here: a lambda does not inherit
// the target attribute, and the portable build, -DRECO_ENGINE_AVX2=OFF, could not inline the intrinsics into it.)
template <int MR, int NC, bool kMaskedA>
__attribute__((target("avx2,fma"), always_inline)) inline void DotStep(const float* a, int64_t lda, const float* bt,
                                                                       int64_t kp, int64_t p, __m256i mask,
                                                                       __m256 (&acc)[MR][NC]) {
  if constexpr (NC <= MR) {  // B in registers, one row of A at a time
    __m256 bv[NC];
#pragma GCC unroll 4
    for (int j = 0; j < NC; ++j) bv[j] = _mm256_load_ps(bt + j * kp + p);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m256 av = kMaskedA ? _mm256_maskload_ps(a + r * lda + p, mask) : _mm256_loadu_ps(a + r * lda + p);
#pragma GCC unroll 4
      for (int j = 0; j < NC; ++j) acc[r][j] = _mm256_fmadd_ps(av, bv[j], acc[r][j]);
    }
  } else {  // A in registers, one column of B at a time
    __m256 av[MR];
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      av[r] = kMaskedA ? _mm256_maskload_ps(a + r * lda + p, mask) : _mm256_loadu_ps(a + r * lda + p);
    }
#pragma GCC unroll 4
    for (int j = 0; j < NC; ++j) {
      const __m256 bv = _mm256_load_ps(bt + j * kp + p);
#pragma GCC unroll 12
      for (int r = 0; r < MR; ++r) acc[r][j] = _mm256_fmadd_ps(av[r], bv, acc[r][j]);
    }
  }
}

template <int MR, int NC>
__attribute__((target("avx2,fma"), noinline)) void DotTile(const float* a, int64_t lda, const PackedMatrix& b,
                                                           const float* bias, float* c, int64_t ldc) {
  static_assert(MR * NC <= 12, "accumulators must fit in registers");
  const int64_t k = b.k(), kp = b.k_padded();
  const float* bt = b.column(0);
  __m256 acc[MR][NC];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NC; ++j) acc[r][j] = _mm256_setzero_ps();
  }
  const __m256i all = _mm256_set1_epi32(-1);
  int64_t p = 0;
  for (; p + 8 <= k; p += 8) DotStep<MR, NC, false>(a, lda, bt, kp, p, all, acc);
  if (p < k) DotStep<MR, NC, true>(a, lda, bt, kp, p, LaneMask(k - p), acc);
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NC; ++j) c[r * ldc + j] = HorizontalSum(acc[r][j]) + (bias != nullptr ? bias[j] : 0.f);
  }
}

// Rows of the dot layout: MR rows per tile so that MR x NC <= 12 accumulators, single rows for the rest.
template <int NC>
__attribute__((target("avx2,fma"))) void DotRows(const PackedProblem& pb, int64_t row0, int64_t rows) {
  constexpr int MR = NC == 1 ? 8 : 12 / NC;
  int64_t i = row0;
  for (; i + MR <= row0 + rows; i += MR)
    DotTile<MR, NC>(pb.a + i * pb.lda, pb.lda, *pb.b, pb.bias, pb.c + i * pb.ldc, pb.ldc);
  for (; i < row0 + rows; ++i) DotTile<1, NC>(pb.a + i * pb.lda, pb.lda, *pb.b, pb.bias, pb.c + i * pb.ldc, pb.ldc);
}

}  // namespace

// Rows [row0, row0 + rows) of C. Panels: each 6-row tile of A (6 x K floats) is reused from L1 across all
// panels; the 8-wide tail panel runs afterwards over the same rows (still in L1/L2) 12 at a time.
__attribute__((target("avx2,fma"))) void PackedRowBlockAvx2(const PackedProblem& pb, int64_t row0, int64_t rows) {
  if (pb.b->layout() == PackedMatrix::Layout::kDot) {
    using DotFn = void (*)(const PackedProblem& pb, int64_t row0, int64_t rows);
    constexpr DotFn kDotRows[PackedMatrix::kDotMaxN + 1] = {nullptr, DotRows<1>, DotRows<2>, DotRows<3>, DotRows<4>};
    return kDotRows[pb.b->n()](pb, row0, rows);
  }
  int64_t i = 0;
  for (; i + kTileRows <= rows; i += kTileRows) {
    if (pb.prefetch) PrefetchRows(pb, row0 + i + kTileRows, kTileRows);
    FullPanels<6, 1>(pb, row0 + i);
  }
  if (i < rows) kFullPanelsFewRows[rows - i](pb, row0 + i);
  if (pb.b->has_narrow_panel()) PackedNarrowPanelAvx2(pb, row0, rows);
}

__attribute__((target("avx2,fma"))) void PackedNarrowPanelAvx2(const PackedProblem& pb, int64_t row0, int64_t rows) {
  int64_t i = 0;
  for (; i + 12 <= rows; i += 12) NarrowPanel<12>(pb, row0 + i);
  if (i < rows) kNarrowPanelFewRows[rows - i](pb, row0 + i);
}

}  // namespace reco::engine::internal
