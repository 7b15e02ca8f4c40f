#include "engine/kernels/fast_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

}  // namespace
}  // namespace reco::engine
