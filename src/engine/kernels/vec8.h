// Eight floats as a GCC vector (one ymm register where the caller is compiled for AVX2, two xmm otherwise), with
// unaligned loads and stores through memcpy (no aliasing or alignment assumptions). Shared by the kernels that
// write their inner loops with vector extensions rather than intrinsics, so the same code builds for any target.
#pragma once

#include <cstring>

namespace reco::engine {

using V8 = float __attribute__((vector_size(32)));

inline V8 LoadU(const float* p) {
  V8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void StoreU(float* p, V8 v) { std::memcpy(p, &v, sizeof(v)); }

}  // namespace reco::engine
