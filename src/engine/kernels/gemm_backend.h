// Single-precision GEMM for the engine's MatMul, Gemm and Conv kernels, with a per-shape choice of backend.
//
// Contract: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major with leading dimensions lda/ldb/
// ldc (elements). beta == 0 overwrites C without reading it (so uninitialised or NaN-filled arena memory is fine).
// No heap allocation per call on any path chosen by ChooseGemmPath (see gemm_backend.cc for the measurements
// behind the choice). K == 0 yields beta * C (or zeros).
// Thread-safety: every function is reentrant. SetGemmThreads changes process-wide library state (OpenBLAS keeps
// one thread count for the process) and should be called with the same value by all sessions.
#pragma once

#include <cstdint>
#include <string_view>

namespace reco::engine {

enum class GemmPath {
  kDirect,    // register-friendly loops compiled for AVX2/FMA (runtime dispatch), best for tiny products
  kOpenBlas,  // cblas_sgemm: allocation-free (static buffer pool), fastest single-thread for the rest
  kDnnl,      // dnnl_sgemm: fastest multi-threaded, but mallocs packing buffers per call (bench/tests only)
};
std::string_view GemmPathName(GemmPath path);

// The path Sgemm takes for this shape.
GemmPath ChooseGemmPath(int64_t m, int64_t n, int64_t k);

void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// Forces a path (benchmarks and tests compare them on the same shapes).
void SgemmWith(GemmPath path, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Makes the BLAS libraries use `threads` threads (>= 1). Cheap when unchanged (kernels call it per Compute with
// the session's intra-op thread count). OpenBLAS: process-wide. oneDNN (Debian builds it with OpenMP): the
// calling thread's OpenMP thread count.
void SetGemmThreads(int threads);

// Textbook triple loop in double accumulation: the reference the tests compare every path with.
void SgemmReference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace reco::engine
