#include "engine/kernels/fast_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
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

}  // namespace
}  // namespace reco::engine
