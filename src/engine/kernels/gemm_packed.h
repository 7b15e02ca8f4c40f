// Single-precision GEMM against a constant right-hand matrix packed once at load time: the engine's common
// inference case (MatMul/Gemm whose B is an initializer), C[m, N] = A[m, K] * B[K, N] (+ bias[N]).
//
// Contract: PackedMatrix::Pack copies B ([K, N] row-major, or [N, K] when trans_b) into column panels, 64-byte
// aligned and zero-padded, so the micro-kernel reads B with aligned contiguous loads. SgemmPacked writes every
// element of C[0..m)[0..N) (C is never read: uninitialised or NaN-filled arena memory is fine), folds bias into
// the accumulator initialisation, and never allocates. Rows of C are produced in row blocks of PackedRowBlock(N)
// rows (a multiple of 12, the micro-kernels' rows, sized so a block of C stays in L1/L2); after a block is final
// the optional RowBlockEpilogue is called on it, once per row, in increasing row order, so an elementwise chain
// (bias, Dice, PRelu, Sigmoid...) runs while the block is still in cache.
//
// How (gemm_packed_avx2.cc): a BLIS/Haswell-style 6x16 register micro-kernel (12 ymm accumulators, 6 broadcasts
// of A and 2 loads of B per k), compiled for AVX2+FMA and dispatched at run time; A is read in place (no packing:
// its rows are contiguous and each 6-row tile is reused across all panels while it sits in L1). Fewer rows use
// wider column groups (1x64, 2x48, 3x32) to keep 8-12 independent accumulators; a tail of N % 16 <= 8 columns is
// packed 8 wide and run 12 rows at a time; N <= 4 uses dot products along K. On CPUs with AVX-512F the 16-wide
// panels run a 12x32 tile of 24 zmm accumulators instead (gemm_packed_avx512.cc: one zmm is one panel row, same
// packing). CPUs without AVX2+FMA take portable
// loops over the same packing (gemm_packed.cc). K is not blocked: a 6-row tile of A (6 x K) and the panels of B
// are expected to fit L1 and L2 (K <= ~1000 and K * N * 4 bytes <= ~400 KiB run at full speed; larger B streams
// from L3).
// Thread-safety: PackedMatrix is immutable after Pack (share it between threads freely); SgemmPacked is
// reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace reco::engine {

// B repacked for the micro-kernels, in one of two layouts:
//  - kPanels (N > kDotMaxN): panel j (j < full_panels) holds columns [16j, 16j+16) as K rows of 16 floats; when
//    N % 16 is 1..8 a last panel holds the remaining columns as K rows of 8 floats (zero-padded); when it is
//    9..15 the last 16-wide panel is zero-padded (and counted in full_panels).
//  - kDot (N <= kDotMaxN, e.g. a final 64 -> 1 layer): B^T, N rows of K floats padded to a multiple of 8, so each
//    output is a vectorised dot product along K (a panel would waste 7/8 of every FMA on padding at N = 1).
class PackedMatrix {
 public:
  static constexpr int64_t kPanel = 16;
  static constexpr int64_t kNarrowPanel = 8;
  static constexpr int64_t kDotMaxN = 4;
  enum class Layout { kPanels, kDot };

  PackedMatrix() = default;
  PackedMatrix(PackedMatrix&&) noexcept = default;
  PackedMatrix& operator=(PackedMatrix&&) noexcept = default;
  PackedMatrix(const PackedMatrix&) = delete;
  PackedMatrix& operator=(const PackedMatrix&) = delete;

  // b: [k, n] row-major (ldb = n), or [n, k] row-major (ldb = k) when trans_b; k, n >= 0 (b may be null when
  // k * n == 0). Stores alpha * b, so ONNX Gemm's alpha costs nothing per call.
  static PackedMatrix Pack(const float* b, int64_t k, int64_t n, bool trans_b, float alpha = 1.f);

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  bool empty() const { return k_ == 0 || n_ == 0; }
  size_t bytes() const { return (floats_ + pair_floats_) * sizeof(float); }  // with the k-pair tail copy
  Layout layout() const { return layout_; }
  // kPanels layout.
  int64_t full_panels() const { return full_panels_; }        // 16-wide panels
  bool has_narrow_panel() const { return narrow_cols_ > 0; }  // the 8-wide tail panel
  int64_t narrow_cols() const { return narrow_cols_; }        // valid columns of the 8-wide tail (0..8)
  const float* panel(int64_t j) const { return data_.get() + j * k_ * kPanel; }  // j <= full_panels()
  // The 8-wide tail panel again, k-pair interleaved for the AVX-512 kernel: pair i (rows 2i, 2i+1 of B) is 16
  // floats b[2i][0], b[2i+1][0], b[2i][1], b[2i+1][1], ... (a missing row 2i+1 is zeros). Null without a tail.
  const float* narrow_pairs() const { return pairs_.get(); }
  // kDot layout: column j of B, k_padded() floats (zeros past k).
  int64_t k_padded() const { return k_padded_; }
  const float* column(int64_t j) const { return data_.get() + j * k_padded_; }

 private:
  struct AlignedDelete {
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], AlignedDelete> data_;
  std::unique_ptr<float[], AlignedDelete> pairs_;
  size_t floats_ = 0;
  size_t pair_floats_ = 0;
  Layout layout_ = Layout::kPanels;
  int64_t k_ = 0, n_ = 0, full_panels_ = 0, narrow_cols_ = 0, k_padded_ = 0;
};

// Called after rows [row0, row0 + rows) of C are final; c_block points at row row0 (c + row0 * ldc).
struct RowBlockEpilogue {
  void (*fn)(void* ctx, float* c_block, int64_t row0, int64_t rows, int64_t ldc) = nullptr;
  void* ctx = nullptr;
};

// Rows per epilogue block for an N-column product (a multiple of 12, at least 12).
int64_t PackedRowBlock(int64_t n);

// C[m, N] = A[m, K] * B (+ bias[N] broadcast over rows when bias != nullptr), then epilogue per row block.
// A row-major with leading dim lda >= K, C with ldc >= N. m >= 0. No heap allocation. Reentrant.
void SgemmPacked(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, const float* bias, float* c,
                 int64_t ldc, RowBlockEpilogue epilogue = {});

// True when the AVX2+FMA micro-kernels run on this CPU (otherwise SgemmPacked takes the portable loop).
bool PackedGemmAvailable();
// True when the 16-wide panels run on the AVX-512F kernels (the CPU has AVX-512F and RECO_ENGINE_AVX512 is not 0).
bool PackedGemmAvx512Available();

namespace internal {
// Tests: force the portable path even on AVX2 CPUs (process-wide; not for production use).
void SetPackedGemmForcePortableForTesting(bool force);
// Tests and benchmarks: keep to the AVX2 kernels even on AVX-512 CPUs (process-wide; also RECO_ENGINE_AVX512=0).
void SetPackedGemmForceAvx2ForTesting(bool force);

// The arguments of one SgemmPacked call, shared by the portable and the AVX2 row-block drivers.
struct PackedProblem {
  int64_t m;
  const float* a;
  int64_t lda;
  const PackedMatrix* b;
  const float* bias;
  float* c;
  int64_t ldc;
  bool prefetch;  // prefetch the next 6-row tile of A and C (large, streaming products; see gemm_packed.cc)
};
// Rows [row, row + rows) of A into L1 and of C for writing, while the current tile computes (large products only:
// PackedProblem::prefetch). Prefetches never fault; rows past m are skipped.
void PrefetchRows(const PackedProblem& pb, int64_t row, int64_t rows);
// Computes rows [row0, row0 + rows) of C with the AVX2+FMA kernels (gemm_packed_avx2.cc; only call when
// PackedGemmAvailable()).
void PackedRowBlockAvx2(const PackedProblem& pb, int64_t row0, int64_t rows);
// Only the 8-wide tail panel of those rows (AVX2+FMA).
void PackedNarrowPanelAvx2(const PackedProblem& pb, int64_t row0, int64_t rows);
// The same rows with AVX-512F tiles (12 rows x 2 panels) for the 16-wide panels; the tail panel and the dot
// layout go to the AVX2 kernels (gemm_packed_avx512.cc; only call when PackedGemmAvx512Available()).
void PackedRowBlockAvx512(const PackedProblem& pb, int64_t row0, int64_t rows);
}  // namespace internal

}  // namespace reco::engine
