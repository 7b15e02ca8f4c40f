// The engine's exp/sigmoid: the scalar forms live in core/fast_math.h (shared with nn); this adds array forms with
// an AVX2 path (fast_math.cc).
#pragma once

#include <cstdint>

#include "core/fast_math.h"

namespace reco::engine {

using ::reco::FastExp;
using ::reco::FastSigmoid;

// Sigmoid of n floats, in == out allowed. 16 lanes at a time on CPUs with AVX-512F (unless RECO_ENGINE_AVX512=0 or
// the packed GEMM is forced to AVX2, see gemm_packed.h), 8 with AVX2+FMA code generation (the engine's default on
// such CPUs), else the FastSigmoid loop; rows shorter than 8 take the scalar loop. The argument is clamped to
// +-87, where sigmoid is 0 or 1 in float, so exp needs no overflow/underflow handling (relative error ~2e-7).
// NaN propagates.
void SigmoidArray(const float* in, float* out, int64_t n);
// Dice with per-element operands: out = x * (alpha + oma * sigmoid(x * scale + shift)), the fused form of the
// exported Dice chain (oma = 1 - alpha). out may be any of the inputs (each output vector is computed from the
// inputs at the same positions before it is stored), but must not partly overlap one.
void DiceArray(const float* x, const float* scale, const float* shift, const float* oma, const float* alpha,
               float* out, int64_t n);
// DiceArray in place over `rows` rows of n channels (row r at x + r * ld) with per-channel operands, in one call:
// the epilogue's common case (a Gemm/MatMul with bias, then Dice), without a call per row.
void DiceRows(float* x, int64_t rows, int64_t n, int64_t ld, const float* scale, const float* shift,
              const float* oma, const float* alpha);
// DiceRows of v = (x + add0[r]) + add1[r] (add1, or both, may be null: fewer addends), in place: DIN's first
// attention layer, whose GEMM output gets a history term and a target term (rows of n floats each) before its
// Dice, in one pass. add0/add1 hold one row pointer per row.
void DiceRowsAdd(float* x, int64_t rows, int64_t n, int64_t ld, const float* const* add0, const float* const* add1,
                 const float* scale, const float* shift, const float* oma, const float* alpha);

}  // namespace reco::engine
