#include "engine/kernels/gemm_packed.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

namespace reco::engine {
namespace {

constexpr int64_t kTileRows = 6;            // rows of the main micro-kernel
constexpr int64_t kRowBlockBytes = 16384;   // target size of one epilogue block of C (half of L1d)
constexpr int64_t kMaxRowBlock = 120;
constexpr std::align_val_t kAlign{64};

std::atomic<bool> g_force_portable{false};

bool CpuHasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

// Everything one call needs, passed by reference to the row-block drivers.
struct Problem {
  const float* a;
  int64_t lda;
  const PackedMatrix* b;
  const float* bias;
  float* c;
  int64_t ldc;
};

// ---------------------------------------------------------------------------------------------------------------
// AVX2 + FMA micro-kernels.

// Lane masks: loading 8 ints at kLaneMask + 8 - n gives n leading all-ones lanes (n in 0..8).
alignas(64) constexpr int32_t kLaneMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

__attribute__((target("avx2,fma"))) inline __m256i LaneMask(int64_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLaneMask + 8 - n));
}

// C[MR, NP*W] (valid columns: `cols`) = A[MR, K] * (NP consecutive panels of width W) (+ bias). Accumulators
// MR x NP*W/8 ymm registers (<= 12) stay in registers over all of K; B is read with aligned loads, A with
// broadcasts straight from its rows.
template <int MR, int NP, int W>
__attribute__((target("avx2,fma"))) inline void Tile(const float* a, int64_t lda, const float* b,
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

// Rows [i, i + MR) of the block against every 16-wide panel, NP panels per micro-tile.
template <int MR, int NP>
__attribute__((target("avx2,fma"))) void FullPanels(const Problem& pb, int64_t row) {
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
__attribute__((target("avx2,fma"))) void NarrowPanel(const Problem& pb, int64_t row) {
  const PackedMatrix& b = *pb.b;
  const int64_t col = b.full_panels() * PackedMatrix::kPanel;
  Tile<MR, 1, 8>(pb.a + row * pb.lda, pb.lda, b.panel(b.full_panels()), 0, b.k(), pb.bias ? pb.bias + col : nullptr,
                 b.narrow_cols(), pb.c + row * pb.ldc + col, pb.ldc);
}

// Fewer than 6 rows: wider column groups keep 8-12 independent accumulators (FMA latency x throughput = 8).
__attribute__((target("avx2,fma"))) void FullPanelsFewRows(const Problem& pb, int64_t row, int64_t rows) {
  switch (rows) {
    case 1: return FullPanels<1, 4>(pb, row);
    case 2: return FullPanels<2, 3>(pb, row);
    case 3: return FullPanels<3, 2>(pb, row);
    case 4: return FullPanels<4, 1>(pb, row);
    case 5: return FullPanels<5, 1>(pb, row);
    default: return;
  }
}

__attribute__((target("avx2,fma"))) void NarrowPanelFewRows(const Problem& pb, int64_t row, int64_t rows) {
  switch (rows) {
    case 1: return NarrowPanel<1>(pb, row);
    case 2: return NarrowPanel<2>(pb, row);
    case 3: return NarrowPanel<3>(pb, row);
    case 4: return NarrowPanel<4>(pb, row);
    case 5: return NarrowPanel<5>(pb, row);
    case 6: return NarrowPanel<6>(pb, row);
    case 7: return NarrowPanel<7>(pb, row);
    case 8: return NarrowPanel<8>(pb, row);
    case 9: return NarrowPanel<9>(pb, row);
    case 10: return NarrowPanel<10>(pb, row);
    case 11: return NarrowPanel<11>(pb, row);
    default: return;
  }
}

// Rows [row0, row0 + rows) of C. Each 6-row tile of A (6 x K floats) is reused from L1 across all panels.
__attribute__((target("avx2,fma"))) void RowBlockAvx2(const Problem& pb, int64_t row0, int64_t rows) {
  int64_t i = 0;
  for (; i + kTileRows <= rows; i += kTileRows) FullPanels<6, 1>(pb, row0 + i);
  if (i < rows) FullPanelsFewRows(pb, row0 + i, rows - i);
  if (pb.b->has_narrow_panel()) {
    i = 0;
    for (; i + 12 <= rows; i += 12) NarrowPanel<12>(pb, row0 + i);
    if (i < rows) NarrowPanelFewRows(pb, row0 + i, rows - i);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Portable path (CPUs without AVX2/FMA): the same packing, plain loops the compiler vectorises for the baseline.

void PanelPortable(const float* a, const float* bp, int64_t width, int64_t k, const float* bias, int64_t cols,
                   float* c) {
  float acc[PackedMatrix::kPanel];
  for (int64_t q = 0; q < width; ++q) acc[q] = bias != nullptr && q < cols ? bias[q] : 0.f;
  for (int64_t p = 0; p < k; ++p) {
    const float av = a[p];
    const float* row = bp + p * width;
    for (int64_t q = 0; q < width; ++q) acc[q] += av * row[q];
  }
  for (int64_t q = 0; q < std::min(width, cols); ++q) c[q] = acc[q];
}

void RowBlockPortable(const Problem& pb, int64_t row0, int64_t rows) {
  const PackedMatrix& b = *pb.b;
  for (int64_t i = row0; i < row0 + rows; ++i) {
    const float* a = pb.a + i * pb.lda;
    float* c = pb.c + i * pb.ldc;
    for (int64_t j = 0; j <= b.full_panels(); ++j) {
      const bool narrow = j == b.full_panels();
      if (narrow && !b.has_narrow_panel()) break;
      const int64_t col = j * PackedMatrix::kPanel;
      PanelPortable(a, b.panel(j), narrow ? PackedMatrix::kNarrowPanel : PackedMatrix::kPanel, b.k(),
                    pb.bias ? pb.bias + col : nullptr, narrow ? b.narrow_cols() : b.n() - col, c + col);
    }
  }
}

}  // namespace

void PackedMatrix::AlignedDelete::operator()(float* p) const { ::operator delete[](p, kAlign); }

PackedMatrix PackedMatrix::Pack(const float* b, int64_t k, int64_t n, bool trans_b) {
  PackedMatrix out;
  out.k_ = std::max<int64_t>(k, 0);
  out.n_ = std::max<int64_t>(n, 0);
  const int64_t rem = out.n_ % kPanel;
  out.full_panels_ = out.n_ / kPanel + (rem > kNarrowPanel ? 1 : 0);
  out.narrow_cols_ = rem > 0 && rem <= kNarrowPanel ? rem : 0;
  out.floats_ = static_cast<size_t>((out.full_panels_ * kPanel + (out.narrow_cols_ > 0 ? kNarrowPanel : 0)) * out.k_);
  if (out.floats_ == 0) return out;
  out.data_.reset(static_cast<float*>(::operator new[](out.floats_ * sizeof(float), kAlign)));
  std::memset(out.data_.get(), 0, out.floats_ * sizeof(float));
  const int64_t panels = out.full_panels_ + (out.narrow_cols_ > 0 ? 1 : 0);
  for (int64_t j = 0; j < panels; ++j) {
    const int64_t width = j < out.full_panels_ ? kPanel : kNarrowPanel;
    const int64_t col0 = j * kPanel, cols = std::min(width, out.n_ - col0);
    float* dst = out.data_.get() + j * out.k_ * kPanel;
    for (int64_t p = 0; p < out.k_; ++p) {
      for (int64_t q = 0; q < cols; ++q) dst[p * width + q] = trans_b ? b[(col0 + q) * k + p] : b[p * n + col0 + q];
    }
  }
  return out;
}

int64_t PackedRowBlock(int64_t n) {
  const int64_t rows = kRowBlockBytes / (static_cast<int64_t>(sizeof(float)) * std::max<int64_t>(n, 1));
  return std::clamp(rows / kTileRows * kTileRows, kTileRows, kMaxRowBlock);
}

bool PackedGemmAvailable() { return CpuHasAvx2Fma(); }

void SgemmPacked(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, const float* bias, float* c,
                 int64_t ldc, RowBlockEpilogue epilogue) {
  if (m <= 0 || b.n() == 0) return;
  const Problem pb{a, lda, &b, bias, c, ldc};
  const bool avx2 = CpuHasAvx2Fma() && !g_force_portable.load(std::memory_order_relaxed);
  const int64_t block = PackedRowBlock(b.n());
  for (int64_t row0 = 0; row0 < m; row0 += block) {
    const int64_t rows = std::min(block, m - row0);
    if (avx2) {
      RowBlockAvx2(pb, row0, rows);
    } else {
      RowBlockPortable(pb, row0, rows);
    }
    if (epilogue.fn != nullptr) epilogue.fn(epilogue.ctx, c + row0 * ldc, row0, rows, ldc);
  }
}

namespace internal {
void SetPackedGemmForcePortableForTesting(bool force) { g_force_portable.store(force, std::memory_order_relaxed); }
}  // namespace internal

}  // namespace reco::engine
