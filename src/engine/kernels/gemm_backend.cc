// Backend choice for Sgemm, measured on this machine (AMD EPYC, AVX2/FMA, 1 thread, a loaded box: CPU time) with
// bench/engine_kernels_bench.cc (GFLOP/s, direct / OpenBLAS / dnnl_sgemm):
//   M=1    N=128 K=784   27 / 5.8 / 27      (batch-1 MLP: GEMV, memory-bound on B; libraries pay call overhead)
//   M=1    N=10  K=64    0.29 us / 0.46 us / 0.36 us
//   M=32   N=784 K=9     30-40 / 27 / 66    (CNN conv1 after im2col: K tiny)
//   M=100  N=10  K=64    3.6 / 26 / 32      (narrow N starves the direct loop)
//   M=100  N=128 K=784   24 / 60 / 73
//   M=1000 N=64  K=128   12 / 49 / 75
//   M=20000 N=80 K=64    12 / 31 (53 in 1024-row slabs) / 61   (DIN attention MLP at batch 1000)
//   M=64   N=196 K=288   25 / 80 / 89       (CNN conv2 after im2col)
// So: the direct loop (32-column register blocks, compiled for AVX2/FMA with runtime dispatch) for M <= 4, K <= 16
// or tiny products; OpenBLAS for the rest. dnnl_sgemm is faster still on large M, but it mallocs its packing
// buffer on every call (1 malloc/call for M > 1, counted by tests/engine/kernels_gemm_test.cc), which breaks the
// engine's "no heap allocation in Run" rule; it is available behind RECO_ENGINE_GEMM=dnnl. Whole models gain
// only 5-10% from it (DIN/MLP/CNN at batch 100/1000), the rest of their time is outside GEMM. oneDNN's matmul
// primitive is no way out: oneDNN 2.6 builds an std::unordered_map of arguments on every execute().
// OpenBLAS takes its buffers from a static pool: no allocation per call.
#include "engine/kernels/gemm_backend.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "engine/kernels/vec8.h"

// Debian's libdnnl uses OpenMP (DNNL_CPU_RUNTIME == OMP). Weak, so we need not link libgomp ourselves: it is
// loaded as libdnnl's dependency and the dynamic linker resolves the symbol from it.
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace reco::engine {
namespace {

constexpr int64_t kDirectMaxMacs = 4 * 1024;
constexpr int64_t kDirectMaxRows = 4;
constexpr int64_t kDirectMaxK = 16;
constexpr int64_t kOpenBlasSlab = 1024;

// C = alpha * op(A) * op(B) + beta * C with the inner loop over contiguous columns of C (and of B when B is not
// transposed), so it vectorises without -ffast-math. Compiled twice; the loader picks AVX2/FMA when present.
__attribute__((target_clones("fma", "default"))) void DirectGemmRows(bool trans_a, bool trans_b, int64_t m,
                                                                        int64_t n, int64_t k, float alpha,
                                                                        const float* a, int64_t lda, const float* b,
                                                                        int64_t ldb, float beta, float* c,
                                                                        int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.f) {
      for (int64_t j = 0; j < n; ++j) ci[j] = 0.f;
    } else if (beta != 1.f) {
      for (int64_t j = 0; j < n; ++j) ci[j] *= beta;
    }
    if (!trans_b) {
      // 32-column blocks accumulate in registers (4 x 8 floats) across all of K: one load of B per FMA and C
      // touched once, instead of a load+store of C per multiply-add.
      const float* ap = trans_a ? a + i : a + i * lda;
      const int64_t as = trans_a ? lda : 1;
      int64_t j0 = 0;
      for (; j0 + 32 <= n; j0 += 32) {
        V8 c0 = LoadU(ci + j0), c1 = LoadU(ci + j0 + 8), c2 = LoadU(ci + j0 + 16), c3 = LoadU(ci + j0 + 24);
        for (int64_t p = 0; p < k; ++p) {
          const float av = alpha * ap[p * as];
          const float* bp = b + p * ldb + j0;
          c0 += av * LoadU(bp);
          c1 += av * LoadU(bp + 8);
          c2 += av * LoadU(bp + 16);
          c3 += av * LoadU(bp + 24);
        }
        StoreU(ci + j0, c0);
        StoreU(ci + j0 + 8, c1);
        StoreU(ci + j0 + 16, c2);
        StoreU(ci + j0 + 24, c3);
      }
      for (; j0 + 8 <= n; j0 += 8) {
        V8 c0 = LoadU(ci + j0);
        for (int64_t p = 0; p < k; ++p) c0 += (alpha * ap[p * as]) * LoadU(b + p * ldb + j0);
        StoreU(ci + j0, c0);
      }
      for (int64_t p = 0; p < k && j0 < n; ++p) {
        const float av = alpha * ap[p * as];
        const float* bp = b + p * ldb;
        for (int64_t j = j0; j < n; ++j) ci[j] += av * bp[j];
      }
    } else {
      // B is [N,K]: dot products. Eight partial sums keep the reduction vectorisable without reassociation flags.
      for (int64_t j = 0; j < n; ++j) {
        const float* bj = b + j * ldb;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t p = 0;
        if (!trans_a) {
          const float* ai = a + i * lda;
          for (; p + 8 <= k; p += 8) {
            for (int q = 0; q < 8; ++q) acc[q] += ai[p + q] * bj[p + q];
          }
        }
        float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; p < k; ++p) s += (trans_a ? a[p * lda + i] : a[i * lda + p]) * bj[p];
        ci[j] += alpha * s;
      }
    }
  }
}

// C[4, 24] = alpha * A[4, K] * B[K, 24] + beta * C, both row-major: 12 accumulators (4 rows x 3 vectors) in
// registers across K, 4 broadcasts + 3 loads per 12 FMAs. The per-row loop above does 1 broadcast + 4 loads per
// 4 FMAs, so it is load-bound on the tall-skinny products of the DIN attention ([B*L, 16] x [16, 80]).
__attribute__((target("avx2,fma"))) void Tile4x24(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k,
                                                  float alpha, float beta, float* c, int64_t ldc) {
  const V8 zero = {};
  V8 c00 = zero, c01 = zero, c02 = zero, c10 = zero, c11 = zero, c12 = zero;
  V8 c20 = zero, c21 = zero, c22 = zero, c30 = zero, c31 = zero, c32 = zero;
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  for (int64_t p = 0; p < k; ++p) {
    const float* bp = b + p * ldb;
    const V8 b0 = LoadU(bp), b1 = LoadU(bp + 8), b2 = LoadU(bp + 16);
    const float x0 = a0[p], x1 = a1[p], x2 = a2[p], x3 = a3[p];
    c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2;
    c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2;
    c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2;
    c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2;
  }
  const V8 rows[4][3] = {{c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32}};
  for (int r = 0; r < 4; ++r) {
    float* cr = c + r * ldc;
    for (int v = 0; v < 3; ++v) {
      const V8 acc = alpha * rows[r][v];
      StoreU(cr + 8 * v, beta == 0.f ? acc : acc + beta * LoadU(cr + 8 * v));
    }
  }
}

bool HasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

void DirectGemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  int64_t i = 0;
  if (!trans_a && !trans_b && n >= 24 && HasAvx2Fma()) {
    for (; i + 4 <= m; i += 4) {
      const float* ai = a + i * lda;
      float* ci = c + i * ldc;
      int64_t j = 0;
      for (; j + 24 <= n; j += 24) Tile4x24(ai, lda, b + j, ldb, k, alpha, beta, ci + j, ldc);
      if (j < n) DirectGemmRows(false, false, 4, n - j, k, alpha, ai, lda, b + j, ldb, beta, ci + j, ldc);
    }
  }
  if (i < m) {
    DirectGemmRows(trans_a, trans_b, m - i, n, k, alpha, trans_a ? a + i : a + i * lda, lda, b, ldb, beta, c + i * ldc,
                   ldc);
  }
}

void ZeroOrScale(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.f ? 0.f : beta * c[i * ldc + j];
  }
}

}  // namespace

std::string_view GemmPathName(GemmPath path) {
  switch (path) {
    case GemmPath::kDirect: return "direct";
    case GemmPath::kOpenBlas: return "openblas";
    case GemmPath::kDnnl: return "dnnl";
  }
  return "?";
}

GemmPath ChooseGemmPath(int64_t m, int64_t n, int64_t k) {
  // RECO_ENGINE_GEMM=dnnl routes the non-tiny shapes to dnnl_sgemm (20-100% faster single-threaded on the
  // M >= 100 shapes, see the file comment, at the price of one malloc per call); =openblas / =direct force a path.
  static const int forced = [] {
    const char* env = std::getenv("RECO_ENGINE_GEMM");
    const std::string_view v = env ? env : "";
    if (v == "direct") return 0;
    if (v == "openblas") return 1;
    if (v == "dnnl") return 2;
    return -1;
  }();
  if (forced == 0) return GemmPath::kDirect;
  if (forced == 1) return GemmPath::kOpenBlas;
  if (m <= kDirectMaxRows || k <= kDirectMaxK || m * n * k <= kDirectMaxMacs) return GemmPath::kDirect;
  return forced == 2 ? GemmPath::kDnnl : GemmPath::kOpenBlas;
}

void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  SgemmWith(ChooseGemmPath(m, n, k), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void SgemmWith(GemmPath path, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) return ZeroOrScale(m, n, beta, c, ldc);
  switch (path) {
    case GemmPath::kDirect:
      DirectGemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    case GemmPath::kOpenBlas:
      // Tall-skinny products (DIN's B*L rows at batch 1000) run ~1.6x faster in slabs of rows: measured
      // 38 GFLOP/s for M=20000 in one call vs 59 for M=2000 (N=80, K=64).
      for (; m > kOpenBlasSlab; m -= kOpenBlasSlab) {
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                    static_cast<blasint>(kOpenBlasSlab), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
                    static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
        a += trans_a ? kOpenBlasSlab : kOpenBlasSlab * lda;
        c += kOpenBlasSlab * ldc;
      }
      cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                  static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
                  static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
      return;
    case GemmPath::kDnnl:
      // dnnl_sgemm reads C when beta != 0 only, like BLAS.
      dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
  }
}

void SetGemmThreads(int threads) {
  static std::atomic<int> current{-1};
  threads = std::max(1, threads);
  if (current.exchange(threads, std::memory_order_relaxed) != threads) openblas_set_num_threads(threads);
  // Per calling thread (an OpenMP ICV), so set it every time; it is a store into thread-local state.
  if (omp_set_num_threads) omp_set_num_threads(threads);
}

void SgemmReference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        s += static_cast<double>(trans_a ? a[p * lda + i] : a[i * lda + p]) *
             static_cast<double>(trans_b ? b[j * ldb + p] : b[p * ldb + j]);
      }
      float& out = c[i * ldc + j];
      out = static_cast<float>(alpha * s + (beta == 0.f ? 0.0 : static_cast<double>(beta) * out));
    }
  }
}

}  // namespace reco::engine
