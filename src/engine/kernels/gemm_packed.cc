// PackedMatrix packing, the SgemmPacked row-block driver and its portable path (the AVX2 kernels are in
// gemm_packed_avx2.cc, the AVX-512 ones in gemm_packed_avx512.cc).
#include "engine/kernels/gemm_packed.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace reco::engine {
namespace {

constexpr int64_t kTileRows = 12;          // rows of the AVX-512 micro-kernel (two AVX2 tiles): blocks are whole tiles
constexpr int64_t kRowBlockBytes = 16384;  // target size of one epilogue block of C (half of L1d)
constexpr int64_t kMaxRowBlock = 120;
constexpr int64_t kPrefetchMaxK = 256;
constexpr int64_t kPrefetchMinBytes = int64_t{4} << 20;
constexpr std::align_val_t kAlign{64};

std::atomic<bool> g_force_portable{false};
std::atomic<bool> g_force_avx2{false};

bool CpuHasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

bool CpuHasAvx512() {
  static const bool has = [] {
    const char* env = std::getenv("RECO_ENGINE_AVX512");
    return CpuHasAvx2Fma() && __builtin_cpu_supports("avx512f") && !(env != nullptr && std::string_view(env) == "0");
  }();
  return has;
}

// Portable path (CPUs without AVX2/FMA): the same packing, plain loops the compiler vectorises for its target.
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

void RowBlockPortable(const internal::PackedProblem& pb, int64_t row0, int64_t rows) {
  const PackedMatrix& b = *pb.b;
  for (int64_t i = row0; i < row0 + rows; ++i) {
    const float* a = pb.a + i * pb.lda;
    float* c = pb.c + i * pb.ldc;
    if (b.layout() == PackedMatrix::Layout::kDot) {
      for (int64_t j = 0; j < b.n(); ++j) {
        const float* bj = b.column(j);
        float s = 0.f;
        for (int64_t p = 0; p < b.k(); ++p) s += a[p] * bj[p];
        c[j] = s + (pb.bias != nullptr ? pb.bias[j] : 0.f);
      }
      continue;
    }
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

PackedMatrix PackedMatrix::Pack(const float* b, int64_t k, int64_t n, bool trans_b, float alpha) {
  PackedMatrix out;
  out.k_ = std::max<int64_t>(k, 0);
  out.n_ = std::max<int64_t>(n, 0);
  k = out.k_;
  n = out.n_;
  // Element (p, q) of B, whichever way it is stored.
  auto at = [&](int64_t p, int64_t q) { return alpha * (trans_b ? b[q * k + p] : b[p * n + q]); };
  if (n > 0 && n <= kDotMaxN) {
    out.layout_ = Layout::kDot;
    out.k_padded_ = (k + 7) / 8 * 8;
    out.floats_ = static_cast<size_t>(n * out.k_padded_);
  } else {
    const int64_t rem = n % kPanel;
    out.full_panels_ = n / kPanel + (rem > kNarrowPanel ? 1 : 0);
    out.narrow_cols_ = rem > 0 && rem <= kNarrowPanel ? rem : 0;
    out.floats_ = static_cast<size_t>((out.full_panels_ * kPanel + (out.narrow_cols_ > 0 ? kNarrowPanel : 0)) * k);
  }
  if (out.floats_ == 0) return out;
  out.data_.reset(static_cast<float*>(::operator new[](out.floats_ * sizeof(float), kAlign)));
  float* data = out.data_.get();
  std::memset(data, 0, out.floats_ * sizeof(float));
  if (out.layout_ == Layout::kDot) {
    for (int64_t q = 0; q < n; ++q) {
      for (int64_t p = 0; p < k; ++p) data[q * out.k_padded_ + p] = at(p, q);
    }
    return out;
  }
  if (out.narrow_cols_ > 0) {
    const int64_t pairs = (k + 1) / 2, col0 = out.full_panels_ * kPanel;
    const size_t floats = static_cast<size_t>(pairs * kPanel);
    out.pair_floats_ = floats;
    out.pairs_.reset(static_cast<float*>(::operator new[](floats * sizeof(float), kAlign)));
    std::memset(out.pairs_.get(), 0, floats * sizeof(float));
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t q = 0; q < out.narrow_cols_; ++q) out.pairs_[(p / 2) * kPanel + 2 * q + p % 2] = at(p, col0 + q);
    }
  }
  const int64_t panels = out.full_panels_ + (out.narrow_cols_ > 0 ? 1 : 0);
  for (int64_t j = 0; j < panels; ++j) {
    const int64_t width = j < out.full_panels_ ? kPanel : kNarrowPanel;
    const int64_t col0 = j * kPanel, cols = std::min(width, n - col0);
    float* dst = data + j * k * kPanel;
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t q = 0; q < cols; ++q) dst[p * width + q] = at(p, col0 + q);
    }
  }
  return out;
}

int64_t PackedRowBlock(int64_t n) {
  const int64_t rows = kRowBlockBytes / (static_cast<int64_t>(sizeof(float)) * std::max<int64_t>(n, 1));
  return std::clamp(rows / kTileRows * kTileRows, kTileRows, kMaxRowBlock);
}

bool PackedGemmAvailable() { return CpuHasAvx2Fma(); }

bool PackedGemmAvx512Available() { return CpuHasAvx512() && !g_force_avx2.load(std::memory_order_relaxed); }

void SgemmPacked(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, const float* bias, float* c,
                 int64_t ldc, RowBlockEpilogue epilogue) {
  if (m <= 0 || b.n() == 0) return;
  // Software prefetch of the next tile pays only when A and C stream from L3 or memory, and only while a tile of
  // A is small next to L1 (measured, M x 80 x 64: +5-45% at M = 10000/20000 (A+C 6-12 MB), -2-4% at M = 2000/5000;
  // 1000 x 128 x 784: -3-10%).
  const bool prefetch = b.layout() == PackedMatrix::Layout::kPanels && b.k() <= kPrefetchMaxK &&
                        m * (lda + ldc) * static_cast<int64_t>(sizeof(float)) > kPrefetchMinBytes;
  const internal::PackedProblem pb{m, a, lda, &b, bias, c, ldc, prefetch};
  const bool avx2 = CpuHasAvx2Fma() && !g_force_portable.load(std::memory_order_relaxed);
  const bool avx512 = avx2 && PackedGemmAvx512Available();
  const int64_t block = PackedRowBlock(b.n());
  for (int64_t row0 = 0; row0 < m; row0 += block) {
    const int64_t rows = std::min(block, m - row0);
    if (avx512) {
      internal::PackedRowBlockAvx512(pb, row0, rows);
    } else if (avx2) {
      internal::PackedRowBlockAvx2(pb, row0, rows);
    } else {
      RowBlockPortable(pb, row0, rows);
    }
    if (epilogue.fn != nullptr) epilogue.fn(epilogue.ctx, c + row0 * ldc, row0, rows, ldc);
  }
}

namespace internal {
void PrefetchRows(const PackedProblem& pb, int64_t row, int64_t rows) {
  const int64_t a_bytes = pb.b->k() * static_cast<int64_t>(sizeof(float));
  const int64_t c_bytes = pb.b->n() * static_cast<int64_t>(sizeof(float));
  for (int64_t r = row; r < std::min(row + rows, pb.m); ++r) {
    const char* ar = reinterpret_cast<const char*>(pb.a + r * pb.lda);
    for (int64_t off = 0; off < a_bytes; off += 64) __builtin_prefetch(ar + off, /*rw=*/0, /*locality=*/3);
    char* cr = reinterpret_cast<char*>(pb.c + r * pb.ldc);
    for (int64_t off = 0; off < c_bytes; off += 64) __builtin_prefetch(cr + off, /*rw=*/1, /*locality=*/3);
  }
}

void SetPackedGemmForcePortableForTesting(bool force) { g_force_portable.store(force, std::memory_order_relaxed); }
void SetPackedGemmForceAvx2ForTesting(bool force) { g_force_avx2.store(force, std::memory_order_relaxed); }
}  // namespace internal

}  // namespace reco::engine
