// Backend choice for Sgemm, measured on this machine (AMD EPYC, AVX2/FMA, 1 thread) with
// bench/engine_kernels_bench.cc; the numbers are in the lead's report and summarised here:
//  - Tiny products (the last layers of the MLPs, batch 1, DIN's attention MLP at batch 1) are dominated by call
//    overhead: OpenBLAS and oneDNN spend ~0.3-1 us dispatching and packing, more than the arithmetic. The direct
//    loop (row of C += a_ik * row of B, vectorised by the compiler for AVX2/FMA) wins below ~64K multiply-adds and
//    for M <= 4 (GEMV-like: memory-bound on B, packing B buys nothing).
//  - Everything larger goes to OpenBLAS: single-threaded it is within a few percent of oneDNN's sgemm, and unlike
//    dnnl_sgemm (which mallocs its packing buffers on every call) it works from a static buffer pool, so the
//    engine's "no heap allocation in Run" rule holds. oneDNN's primitives are not an option on the hot path
//    either: oneDNN 2.6 builds an std::unordered_map of arguments on every execute().
#include "engine/kernels/gemm_backend.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>

// Debian's libdnnl uses OpenMP (DNNL_CPU_RUNTIME == OMP). Weak, so we need not link libgomp ourselves: it is
// loaded as libdnnl's dependency and the dynamic linker resolves the symbol from it.
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace reco::engine {
namespace {

constexpr int64_t kDirectMaxMacs = 64 * 1024;
constexpr int64_t kDirectMaxRows = 4;

// C = alpha * op(A) * op(B) + beta * C with the inner loop over contiguous columns of C (and of B when B is not
// transposed), so it vectorises without -ffast-math. Compiled twice; the loader picks AVX2/FMA when present.
__attribute__((target_clones("avx2,fma", "default"))) void DirectGemm(bool trans_a, bool trans_b, int64_t m,
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
      for (int64_t p = 0; p < k; ++p) {
        const float av = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);
        const float* bp = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) ci[j] += av * bp[j];
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
  if (m <= kDirectMaxRows || m * n * k <= kDirectMaxMacs) return GemmPath::kDirect;
  return GemmPath::kOpenBlas;
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
