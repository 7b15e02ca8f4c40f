#include "engine/kernels/fast_math.h"

#include "engine/kernels/gemm_packed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace reco::engine {
namespace {

TEST(FastMathTest, ExpMatchesLibmAcrossTheRange) {
  double worst = 0;
  for (float x = -87.f; x <= 88.f; x += 0.0137f) {
    const double ref = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(FastExp(x) - ref) / ref);
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(FastMathTest, SigmoidMatchesReferenceAndSaturates) {
  double worst = 0;
  for (float x = -60.f; x <= 60.f; x += 0.0071f) {
    const double ref = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
    worst = std::max(worst, std::abs(FastSigmoid(x) - ref));
  }
  EXPECT_LT(worst, 1e-7);
  EXPECT_EQ(FastSigmoid(1000.f), 1.f);
  EXPECT_GE(FastSigmoid(-1000.f), 0.f);
  EXPECT_LT(FastSigmoid(-1000.f), 1e-30f);
  EXPECT_EQ(FastExp(0.f), 1.f);
}

TEST(FastMathTest, NanPropagatesAndInfinitySaturates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isnan(FastExp(nan)));
  EXPECT_TRUE(std::isnan(FastSigmoid(nan)));
  EXPECT_EQ(FastSigmoid(inf), 1.f);
  EXPECT_EQ(FastSigmoid(-inf), 0.f);
  EXPECT_EQ(FastExp(-inf), 0.f);
}

// The array forms (8 lanes at a time with AVX2: clamped exp, reciprocal + Newton step) against double precision,
// over a sweep whose length is not a multiple of 8 (so the scalar tail runs too), with NaN and infinities.
TEST(FastMathTest, SigmoidArrayAndDiceArrayMatchReference) {
  std::vector<float> x;
  for (float v = -100.f; v <= 100.f; v += 0.0173f) x.push_back(v);
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-std::numeric_limits<float>::infinity());
  std::vector<float> out(x.size());
  SigmoidArray(x.data(), out.data(), static_cast<int64_t>(x.size()));
  double worst = 0;
  for (size_t i = 0; i + 3 < x.size(); ++i) {
    const double ref = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    worst = std::max(worst, std::abs(out[i] - ref) / std::max(ref, 1e-30));
  }
  EXPECT_LT(worst, 5e-7);
  EXPECT_TRUE(std::isnan(out[x.size() - 3]));
  EXPECT_EQ(out[x.size() - 2], 1.f);
  EXPECT_LT(out[x.size() - 1], 1e-30f);
  // Dice with per-element constants; in place on x (allowed).
  const size_t n = 1003;
  std::vector<float> v(n), scale(n), shift(n), oma(n), alpha(n), want(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = std::sin(0.37f * i) * 9.f;
    scale[i] = 0.5f + (i % 7) * 0.1f;
    shift[i] = -1.f + (i % 5) * 0.4f;
    alpha[i] = (i % 3) * 0.1f;
    oma[i] = 1.f - alpha[i];
    const double p = 1.0 / (1.0 + std::exp(-(double(v[i]) * scale[i] + shift[i])));
    want[i] = static_cast<float>(v[i] * (alpha[i] + oma[i] * p));
  }
  DiceArray(v.data(), scale.data(), shift.data(), oma.data(), alpha.data(), v.data(), static_cast<int64_t>(n));
  for (size_t i = 0; i < n; ++i) EXPECT_NEAR(v[i], want[i], 1e-5f * std::max(1.f, std::abs(want[i]))) << i;
}


double SigmoidRef(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Every vector path of the array forms: AVX-512 (16 lanes, an 8-lane step for 8 left, masked tails) where the CPU
// has it, and AVX2 (the packed GEMM forced to AVX2 switches both), at row widths around the vector sizes.
class FastMathPathTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { internal::SetPackedGemmForceAvx2ForTesting(GetParam()); }
  void TearDown() override { internal::SetPackedGemmForceAvx2ForTesting(false); }
};

TEST_P(FastMathPathTest, SigmoidArrayAtEveryWidthMatchesStdExp) {
  for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 47, 80, 200}) {
    std::vector<float> x(static_cast<size_t>(n)), out(x.size() + 1, -7.f);
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = -95.f + 190.f * static_cast<float>(i) / n + 0.31f;
    // A NaN in the last lane (a masked tail for most widths) and -infinity in the first (for n = 1: only that).
    x.back() = std::numeric_limits<float>::quiet_NaN();
    x.front() = -std::numeric_limits<float>::infinity();
    SigmoidArray(x.data(), out.data(), n);
    for (int64_t i = 1; i + 1 < n; ++i) {
      const double ref = SigmoidRef(x[static_cast<size_t>(i)]);
      EXPECT_NEAR(out[static_cast<size_t>(i)], ref, 5e-7 * std::max(ref, 1e-30)) << "n " << n << " i " << i;
    }
    if (n > 1) EXPECT_TRUE(std::isnan(out[static_cast<size_t>(n - 1)])) << n;
    EXPECT_LT(out[0], 1e-30f) << n;  // -inf: clamped to -87, a tiny positive sigmoid
    EXPECT_EQ(out[static_cast<size_t>(n)], -7.f) << "wrote past the end, n " << n;
  }
}

TEST_P(FastMathPathTest, DiceRowsAddMatchesReference) {
  const int64_t rows = 5, ld = 211;
  for (int64_t n : {1, 8, 9, 21, 40, 80, 200}) {
    for (int adds = 0; adds <= 2; ++adds) {
      std::vector<float> x(static_cast<size_t>(rows * ld), 123.f), a0(static_cast<size_t>(3 * n)),
          a1(static_cast<size_t>(rows * n)), scale(static_cast<size_t>(n)), shift(scale), oma(scale), alpha(scale);
      for (size_t i = 0; i < a0.size(); ++i) a0[i] = std::cos(0.7f * i) * 2.f;
      for (size_t i = 0; i < a1.size(); ++i) a1[i] = std::sin(1.3f * i) * 3.f;
      for (int64_t c = 0; c < n; ++c) {
        scale[c] = 0.5f + (c % 7) * 0.1f, shift[c] = -1.f + (c % 5) * 0.4f;
        alpha[c] = (c % 3) * 0.1f, oma[c] = 1.f - alpha[c];
      }
      std::vector<float> want(x.size());
      const float* add0[rows];
      const float* add1[rows];
      for (int64_t r = 0; r < rows; ++r) {
        add0[r] = a0.data() + (r % 3) * n;  // rows repeat, like a history term
        add1[r] = a1.data() + r * n;
        for (int64_t c = 0; c < n; ++c) {
          float v = std::sin(0.37f * (r * n + c)) * 9.f;
          x[static_cast<size_t>(r * ld + c)] = v;
          if (adds >= 1) v += add0[r][c];
          if (adds >= 2) v += add1[r][c];
          want[static_cast<size_t>(r * ld + c)] =
              static_cast<float>(v * (alpha[c] + oma[c] * SigmoidRef(double(v) * scale[c] + shift[c])));
        }
      }
      DiceRowsAdd(x.data(), rows, n, ld, adds >= 1 ? add0 : nullptr, adds >= 2 ? add1 : nullptr, scale.data(),
                  shift.data(), oma.data(), alpha.data());
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < n; ++c) {
          const float w = want[static_cast<size_t>(r * ld + c)];
          EXPECT_NEAR(x[static_cast<size_t>(r * ld + c)], w, 2e-6f * std::max(1.f, std::abs(w)))
              << "n " << n << " adds " << adds << " row " << r << " channel " << c;
        }
        EXPECT_EQ(x[static_cast<size_t>(r * ld + n)], 123.f) << "wrote past the row, n " << n;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, FastMathPathTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return std::string(p.param ? "Avx2" : "Best"); });

}  // namespace
}  // namespace reco::engine
