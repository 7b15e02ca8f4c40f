// nn's exp/sigmoid: the shared scalar forms of core/fast_math.h (nn must not link the engine, whose
// kernels/fast_math.h adds AVX2 array forms on top of the same functions).
#pragma once

#include "core/fast_math.h"

namespace reco::nn {

using ::reco::FastExp;
using ::reco::FastSigmoid;

}  // namespace reco::nn
