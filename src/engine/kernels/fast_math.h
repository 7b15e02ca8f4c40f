// The engine's exp/sigmoid: the scalar forms live in core/fast_math.h (shared with nn); this adds array forms with
// an AVX2 path (fast_math.cc).
#pragma once

#include <cstdint>

#include "core/fast_math.h"

namespace reco::engine {

using ::reco::FastExp;
using ::reco::FastSigmoid;

// Sigmoid of n floats, in == out allowed. With AVX2+FMA code generation (the engine's default on such CPUs) 8 lanes
// at a time without a division: sigmoid saturates beyond |x| = 87, so exp needs no overflow/underflow handling
// there, and 1 / (1 + e) is a reciprocal estimate refined by one Newton step (relative error ~1e-7, like the
// division). NaN propagates. Otherwise the FastSigmoid loop.
void SigmoidArray(const float* in, float* out, int64_t n);
// Dice with per-element operands: out = x * (alpha + oma * sigmoid(x * scale + shift)), the fused form of the
// exported Dice chain (oma = 1 - alpha). out must not alias the inputs except x.
void DiceArray(const float* x, const float* scale, const float* shift, const float* oma, const float* alpha,
               float* out, int64_t n);

}  // namespace reco::engine
