// SgemmPacked (constant B packed once) against the double-precision SgemmReference on many shapes, both B
// layouts, with and without bias, padded lda/ldc; its row-block epilogue contract; zero heap allocation; and the
// AVX2 and portable paths forced through the testing switches (the AVX-512 one runs where the CPU has it).
#include "engine/kernels/gemm_packed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "engine/kernels/gemm_backend.h"
#include "engine/malloc_counter.h"  // defines the process's malloc hook

using reco::testing::kAllocHook;
using reco::testing::MallocCalls;

namespace reco::engine {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// The kernel sets a test runs on: the best the CPU has (AVX-512 where present), AVX2 forced, and the portable
// loops. ForcePath restores the best one when the test ends (also on failure).
enum class Path { kBest, kAvx2, kPortable };
constexpr Path kPaths[] = {Path::kBest, Path::kAvx2, Path::kPortable};
const char* PathName(Path p) { return p == Path::kBest ? "best" : p == Path::kAvx2 ? "avx2" : "portable"; }
struct ForcePath {
  explicit ForcePath(Path p) {
    internal::SetPackedGemmForcePortableForTesting(p == Path::kPortable);
    internal::SetPackedGemmForceAvx2ForTesting(p == Path::kAvx2);
  }
  ~ForcePath() {
    internal::SetPackedGemmForcePortableForTesting(false);
    internal::SetPackedGemmForceAvx2ForTesting(false);
  }
};

// One product checked against the reference on both paths. C is NaN-filled (SgemmPacked must not read it) with ldc > n
// when pad_ld, and the padding columns must still be NaN afterwards (no store past column n). Tolerance is relative to
// sum |a||b| + |bias| per element, the scale of the rounding error of any summation order.
void CheckShape(int64_t m, int64_t n, int64_t k, bool trans_b, bool with_bias, bool pad_ld, uint32_t seed) {
  const int64_t lda = k + (pad_ld ? 3 : 0), ldc = n + (pad_ld ? 5 : 0);
  const std::vector<float> a = Random(m * lda, seed), b = Random(k * n, seed + 1), bias = Random(n, seed + 2);
  const PackedMatrix packed = PackedMatrix::Pack(b.data(), k, n, trans_b);
  ASSERT_EQ(packed.k(), k);
  ASSERT_EQ(packed.n(), n);
  const int64_t ldb = trans_b ? k : n;
  std::vector<float> want(static_cast<size_t>(m * ldc), 0.f), scale(static_cast<size_t>(m * ldc), 0.f);
  SgemmReference(false, trans_b, m, n, k, 1.f, a.data(), lda, b.data(), ldb, 0.f, want.data(), ldc);
  // scale = |A| * |B| (only a magnitude: float and any loop order will do, so the loop vectorises).
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t p = 0; p < k; ++p) {
      const float ap = std::fabs(a[i * lda + p]);
      for (int64_t j = 0; j < n; ++j) scale[i * ldc + j] += ap * std::fabs(trans_b ? b[j * k + p] : b[p * n + j]);
    }
  }

  for (Path path : kPaths) {
    ForcePath force(path);
    std::vector<float> got(static_cast<size_t>(m * ldc), kNaN);
    SgemmPacked(m, a.data(), lda, packed, with_bias ? bias.data() : nullptr, got.data(), ldc);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < ldc; ++j) {
        const float g = got[i * ldc + j];
        if (j >= n) {
          ASSERT_TRUE(std::isnan(g)) << "store past column n: m=" << m << " n=" << n << " k=" << k << " row " << i
                                     << " col " << j << " path=" << PathName(path);
          continue;
        }
        const float w = want[i * ldc + j] + (with_bias ? bias[j] : 0.f);
        const float tol = 1e-5f * (scale[i * ldc + j] + std::fabs(bias[j])) + 1e-30f;
        ASSERT_NEAR(g, w, tol) << "m=" << m << " n=" << n << " k=" << k << " trans_b=" << trans_b
                               << " bias=" << with_bias << " pad=" << pad_ld << " path=" << PathName(path) << " at (" << i
                               << ", " << j << ")";
      }
    }
  }
}

// Every kernel set (AVX-512, AVX2, portable; those the CPU has), on every shape.
TEST(SgemmPacked, MatchesReferenceOnManyShapes) {
  uint32_t seed = 1;
  int variant = 0;
  for (int64_t m : {1, 2, 5, 6, 7, 13, 64, 100, 257}) {
    for (int64_t n : {1, 2, 3, 4, 7, 15, 16, 17, 40, 80, 100, 128, 200}) {
      for (int64_t k : {1, 3, 16, 64, 80, 300, 784}) {
        for (bool trans_b : {false, true}) {
          // Bias and padded leading dims alternate so every (m, n, k, trans_b) sees two of the four combinations
          // and every combination is seen on every m, n and k.
          for (int rep = 0; rep < 2; ++rep, ++variant) {
            const bool with_bias = (variant & 1) != 0, pad = (variant & 2) != 0;
            CheckShape(m, n, k, trans_b, with_bias, pad, seed);
            if (::testing::Test::HasFatalFailure()) return;
            seed += 3;
          }
        }
      }
    }
  }
}

// Big enough (A + C > 4 MiB, K <= 256) for the AVX2 path to prefetch the next tile; m % 6 != 0 so the last
// prefetch would run past the end of A and C.
TEST(SgemmPacked, LargeStreamingProduct) {
  CheckShape(/*m=*/7001, /*n=*/80, /*k=*/64, /*trans_b=*/false, /*with_bias=*/true, /*pad_ld=*/true, /*seed=*/7);
}

// One PackedMatrix shared by concurrent callers (as sessions share a model's weights): same results as serial.
TEST(SgemmPacked, ConcurrentCallsShareOnePackedMatrix) {
  const int64_t m = 301, n = 80, k = 64;
  const std::vector<float> b = Random(k * n, 1), bias = Random(n, 2);
  const PackedMatrix packed = PackedMatrix::Pack(b.data(), k, n, false);
  std::vector<std::vector<float>> a(4), want(4), got(4);
  for (int t = 0; t < 4; ++t) {
    a[t] = Random(m * k, 10 + t);
    want[t].resize(static_cast<size_t>(m * n));
    got[t].resize(static_cast<size_t>(m * n));
    SgemmPacked(m, a[t].data(), k, packed, bias.data(), want[t].data(), n);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 50; ++rep) SgemmPacked(m, a[t].data(), k, packed, bias.data(), got[t].data(), n);
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(got[t], want[t]) << "thread " << t;
}

TEST(SgemmPacked, PanelLayout) {
  struct Want {
    int64_t n, full, narrow;
  };
  for (const Want& w : {Want{5, 0, 5}, Want{8, 0, 8}, Want{9, 1, 0}, Want{10, 1, 0}, Want{16, 1, 0}, Want{17, 1, 1},
                        Want{40, 2, 8}, Want{80, 5, 0}, Want{127, 8, 0}}) {
    const std::vector<float> b = Random(3 * w.n, 1);
    const PackedMatrix p = PackedMatrix::Pack(b.data(), 3, w.n, false);
    EXPECT_EQ(p.layout(), PackedMatrix::Layout::kPanels) << "n=" << w.n;
    EXPECT_EQ(p.full_panels(), w.full) << "n=" << w.n;
    EXPECT_EQ(p.narrow_cols(), w.narrow) << "n=" << w.n;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p.panel(0)) % 64, 0u) << "n=" << w.n;
    // Column 0 of row 1 sits at offset 1 * panel width of the first panel.
    EXPECT_EQ(p.panel(0)[p.full_panels() > 0 ? 16 : 8], b[static_cast<size_t>(w.n)]) << "n=" << w.n;
    // The tail's k-pair copy (K = 3: pairs {0, 1} and {2, zeros}): b[k][c] at pair k / 2, lane 2 c + k % 2.
    ASSERT_EQ(p.narrow_pairs() != nullptr, w.narrow > 0) << "n=" << w.n;
    if (w.narrow == 0) continue;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p.narrow_pairs()) % 64, 0u) << "n=" << w.n;
    const int64_t col0 = w.full * 16;
    for (int64_t k = 0; k < 4; ++k) {
      for (int64_t c = 0; c < 8; ++c) {
        const float want = k < 3 && c < w.narrow ? b[static_cast<size_t>(k * w.n + col0 + c)] : 0.f;
        EXPECT_EQ(p.narrow_pairs()[(k / 2) * 16 + 2 * c + k % 2], want) << "n=" << w.n << " k=" << k << " c=" << c;
      }
    }
  }
}

// N <= 4: B^T rows padded to a multiple of 8 along K with zeros.
TEST(SgemmPacked, DotLayout) {
  for (int64_t n = 1; n <= 4; ++n) {
    const int64_t k = 13;
    const std::vector<float> b = Random(k * n, 1);
    for (bool trans_b : {false, true}) {
      const PackedMatrix p = PackedMatrix::Pack(b.data(), k, n, trans_b);
      ASSERT_EQ(p.layout(), PackedMatrix::Layout::kDot) << "n=" << n;
      ASSERT_EQ(p.k_padded(), 16);
      for (int64_t j = 0; j < n; ++j) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p.column(j)) % 32, 0u);
        for (int64_t q = 0; q < 16; ++q) {
          const float want = q < k ? (trans_b ? b[j * k + q] : b[q * n + j]) : 0.f;
          EXPECT_EQ(p.column(j)[q], want) << "n=" << n << " col " << j << " k " << q << " trans_b=" << trans_b;
        }
      }
    }
  }
}

// Pack(alpha) scales B once: C = alpha * A * B + bias.
TEST(SgemmPacked, AlphaIsFoldedIntoPacking) {
  for (int64_t n : {3, 40}) {
    const int64_t m = 9, k = 21;
    const std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2), bias = Random(n, 3);
    const PackedMatrix p = PackedMatrix::Pack(b.data(), k, n, false, /*alpha=*/-0.5f);
    std::vector<float> got(static_cast<size_t>(m * n)), want(static_cast<size_t>(m * n));
    SgemmPacked(m, a.data(), k, p, bias.data(), got.data(), n);
    SgemmReference(false, false, m, n, k, -0.5f, a.data(), k, b.data(), n, 0.f, want.data(), n);
    for (int64_t i = 0; i < m * n; ++i) ASSERT_NEAR(got[i], want[i] + bias[i % n], 1e-5f * k) << "n=" << n << " " << i;
  }
}

TEST(SgemmPacked, EmptyK) {
  for (int64_t n : {3, 20}) {
    const PackedMatrix packed = PackedMatrix::Pack(nullptr, 0, n, false);
    EXPECT_TRUE(packed.empty());
    const std::vector<float> bias = Random(n, 1);
    for (Path path : kPaths) {
      ForcePath force(path);
      std::vector<float> c(static_cast<size_t>(3 * n), kNaN);
      SgemmPacked(3, nullptr, 0, packed, bias.data(), c.data(), n);
      for (size_t i = 0; i < c.size(); ++i) ASSERT_EQ(c[i], bias[i % n]) << i;
      SgemmPacked(3, nullptr, 0, packed, nullptr, c.data(), n);
      for (float v : c) ASSERT_EQ(v, 0.f);
    }
  }
}

TEST(SgemmPacked, EmptyMOrNTouchesNothing) {
  const std::vector<float> b = Random(4 * 5, 1);
  const PackedMatrix packed = PackedMatrix::Pack(b.data(), 4, 5, false);
  std::vector<float> c(8, kNaN);
  int calls = 0;
  auto count = [](void* ctx, float*, int64_t, int64_t, int64_t) { ++*static_cast<int*>(ctx); };
  SgemmPacked(0, nullptr, 4, packed, nullptr, c.data(), 5, {count, &calls});
  EXPECT_EQ(calls, 0);
  const PackedMatrix no_cols = PackedMatrix::Pack(nullptr, 4, 0, false);
  const std::vector<float> a = Random(2 * 4, 2);
  SgemmPacked(2, a.data(), 4, no_cols, nullptr, c.data(), 1, {count, &calls});
  EXPECT_EQ(calls, 0);
  for (float v : c) EXPECT_TRUE(std::isnan(v));
}

// The epilogue sees each row once, in order, in blocks of whole 6-row tiles; when it runs, its block is final and
// no later row has been written yet; what it writes stays.
struct EpilogueLog {
  const float* c = nullptr;
  const float* want = nullptr;  // final values of C (before the epilogue)
  int64_t n = 0, ldc = 0, m = 0;
  int64_t next_row = 0, calls = 0;
  bool ok = true;
  std::string error;
};

void CheckingEpilogue(void* ctx, float* block, int64_t row0, int64_t rows, int64_t ldc) {
  auto* log = static_cast<EpilogueLog*>(ctx);
  ++log->calls;
  auto fail = [&](const std::string& what) {
    if (log->ok) log->error = what + " (row0 " + std::to_string(row0) + ", rows " + std::to_string(rows) + ")";
    log->ok = false;
  };
  if (row0 != log->next_row) fail("rows out of order or repeated");
  if (block != log->c + row0 * log->ldc) fail("wrong block pointer");
  if (ldc != log->ldc) fail("wrong ldc");
  if (rows <= 0 || (row0 + rows < log->m && rows % 6 != 0)) fail("block is not whole 6-row tiles");
  for (int64_t i = row0; i < row0 + rows; ++i) {
    for (int64_t j = 0; j < log->n; ++j) {
      if (std::fabs(block[(i - row0) * ldc + j] - log->want[i * ldc + j]) > 1e-4f) fail("block not final");
      block[(i - row0) * ldc + j] = 1.f / (1.f + std::exp(-block[(i - row0) * ldc + j]));  // a Sigmoid epilogue
    }
  }
  for (int64_t i = row0 + rows; i < log->m; ++i) {
    if (!std::isnan(log->c[i * log->ldc])) fail("a later row was already written");
  }
  log->next_row = row0 + rows;
}

TEST(SgemmPacked, EpilogueSeesEveryRowOnceInOrder) {
  for (Path path : kPaths) {
    ForcePath force(path);
    for (int64_t m : {1, 5, 6, 7, 47, 48, 49, 257, 1000}) {
      for (int64_t n : {1, 7, 40, 80, 128}) {
        const int64_t k = 64, ldc = n + 1;
        const std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2), bias = Random(n, 3);
        const PackedMatrix packed = PackedMatrix::Pack(b.data(), k, n, false);
        std::vector<float> want(static_cast<size_t>(m * ldc), kNaN);
        SgemmPacked(m, a.data(), k, packed, bias.data(), want.data(), ldc);
        std::vector<float> c(static_cast<size_t>(m * ldc), kNaN);
        EpilogueLog log{c.data(), want.data(), n, ldc, m};
        SgemmPacked(m, a.data(), k, packed, bias.data(), c.data(), ldc, {CheckingEpilogue, &log});
        ASSERT_TRUE(log.ok) << log.error << " m=" << m << " n=" << n << " path=" << PathName(path);
        EXPECT_EQ(log.next_row, m) << "m=" << m << " n=" << n;
        EXPECT_GE(log.calls, (m + PackedRowBlock(n) - 1) / PackedRowBlock(n));
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            ASSERT_FLOAT_EQ(c[i * ldc + j], 1.f / (1.f + std::exp(-want[i * ldc + j]))) << i << "," << j;
          }
        }
      }
    }
  }
}

TEST(SgemmPacked, RowBlockIsWholeTilesAndBounded) {
  for (int64_t n : {1, 10, 40, 64, 80, 128, 784, 100000}) {
    const int64_t rows = PackedRowBlock(n);
    EXPECT_GE(rows, 12) << n;
    EXPECT_EQ(rows % 12, 0) << n;
    EXPECT_LE(rows, 120) << n;
  }
}

TEST(SgemmPacked, DoesNotAllocate) {
  if (!kAllocHook) GTEST_SKIP() << "allocation hook is off under AddressSanitizer";
  const long h0 = MallocCalls();
  void* (*volatile alloc)(size_t) = malloc;  // the hook works: one counted call
  free(alloc(64));
  ASSERT_EQ(MallocCalls() - h0, 1);
  const std::vector<std::vector<int64_t>> shapes = {{1, 128, 784},  {3, 10, 64},    {100, 128, 784}, {2000, 80, 64},
                                                    {2000, 40, 80}, {257, 17, 300}, {1000, 1, 64}};
  for (Path path : kPaths) {
    ForcePath force(path);
    for (const auto& s : shapes) {
      const int64_t m = s[0], n = s[1], k = s[2];
      const std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2), bias = Random(n, 3);
      const PackedMatrix packed = PackedMatrix::Pack(b.data(), k, n, false);
      std::vector<float> c(static_cast<size_t>(m * n));
      int calls = 0;
      auto count = [](void* ctx, float*, int64_t, int64_t, int64_t) { ++*static_cast<int*>(ctx); };
      const long before = MallocCalls();
      SgemmPacked(m, a.data(), k, packed, bias.data(), c.data(), n, {count, &calls});
      SgemmPacked(m, a.data(), k, packed, nullptr, c.data(), n);
      EXPECT_EQ(MallocCalls() - before, 0) << "m=" << m << " n=" << n << " k=" << k << " path=" << PathName(path);
      EXPECT_GT(calls, 0);
    }
  }
}

TEST(SgemmPacked, NaNAndInfPropagate) {
  for (int64_t n : {3, 20}) {  // dot and panel layouts
    const int64_t m = 7, k = 5, inf_col = n - 1;
    std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2);
    a[3 * k + 2] = kNaN;                                          // row 3 all NaN
    b[1 * n + inf_col] = std::numeric_limits<float>::infinity();  // one column +-Inf (NaN on row 3)
    const PackedMatrix packed = PackedMatrix::Pack(b.data(), k, n, false);
    for (Path path : kPaths) {
      ForcePath force(path);
      std::vector<float> c(static_cast<size_t>(m * n));
      SgemmPacked(m, a.data(), k, packed, nullptr, c.data(), n);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          const float v = c[i * n + j];
          if (i == 3) {
            EXPECT_TRUE(std::isnan(v)) << i << "," << j << " n=" << n;
          } else if (j == inf_col) {
            EXPECT_TRUE(std::isinf(v)) << i << "," << j << " n=" << n;
          } else {
            EXPECT_TRUE(std::isfinite(v)) << i << "," << j << " n=" << n;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace reco::engine
