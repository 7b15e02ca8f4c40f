// Branch-free float exp and sigmoid that the compiler vectorises (std::exp is a libm call per element). Shared by
// the engine (kernels/fast_math.h adds AVX2 array forms) and nn (the fused DIN training attention), which may not
// depend on each other. Cephes' range reduction + degree-6 polynomial: max relative error ~2e-7 over the float
// range. NaN propagates; exp underflows to 0 and overflows to +inf beyond +-88.37 (sigmoid: exactly 0 / 1).
// Vectorises only where compiled with -fno-trapping-math (see src/engine/CMakeLists.txt, src/nn/CMakeLists.txt).
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace reco {

inline float FastExp(float x) {
  constexpr float kHi = 88.3762626647949f, kLo = -88.3762626647949f;
  const float c = std::min(std::max(x, kLo), kHi);
  const float fx = c * 1.44269504088896341f;  // x * log2(e)
  // Round to nearest without a branch: adding 1.5 * 2^23 pushes the fraction out of the mantissa.
  constexpr float kRound = 12582912.f;
  const float nf = (fx + kRound) - kRound;
  const int32_t n = static_cast<int32_t>(nf);
  float r = c - nf * 0.693359375f;  // two-step ln(2) keeps the reduction exact
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  // 2^n built in the exponent bits; n is in [-127, 128] after the clamp, so split it to stay finite.
  const int32_t n1 = n >> 1, n2 = n - n1;
  int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  const float y = p * s1 * s2;
  // Out of range: underflow to 0 and overflow to +inf, as std::exp does.
  const float saturated = x < kLo ? 0.f : (x > kHi ? std::numeric_limits<float>::infinity() : y);
  return x != x ? x : saturated;
}

inline float FastSigmoid(float x) { return 1.f / (1.f + FastExp(-x)); }

}  // namespace reco
