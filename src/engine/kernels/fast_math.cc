// Vectorised sigmoid and Dice (see fast_math.h).
#include "engine/kernels/fast_math.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace reco::engine {

#if defined(__AVX2__) && defined(__FMA__)
namespace {

inline __m256 Sigmoid8(__m256 x) {
  // e = exp(-x) with -x clamped to [-87, 87]: n = round(-x * log2(e)) stays in [-126, 126], so 2^n is one normal
  // float built in the exponent bits. (max_ps returns its second operand for a NaN: the blend below restores it.)
  const __m256 z = _mm256_min_ps(_mm256_max_ps(_mm256_sub_ps(_mm256_setzero_ps(), x), _mm256_set1_ps(-87.f)),
                                 _mm256_set1_ps(87.f));
  const __m256 nf = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(0.693359375f), z);
  r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.f)));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(nf), _mm256_set1_epi32(127)), 23);
  const __m256 d = _mm256_fmadd_ps(p, _mm256_castsi256_ps(bits), _mm256_set1_ps(1.f));  // 1 + exp(-x)
  const __m256 r0 = _mm256_rcp_ps(d);
  const __m256 s = _mm256_mul_ps(r0, _mm256_fnmadd_ps(d, r0, _mm256_set1_ps(2.f)));
  return _mm256_blendv_ps(s, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

}  // namespace

// Two vectors per iteration: one sigmoid is a ~20-deep dependency chain, and the rows this runs on are short (64
// channels per call from the epilogue), so the out-of-order window alone overlaps too few of them.
void SigmoidArray(const float* in, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = Sigmoid8(_mm256_loadu_ps(in + i));
    const __m256 b = Sigmoid8(_mm256_loadu_ps(in + i + 8));
    _mm256_storeu_ps(out + i, a);
    _mm256_storeu_ps(out + i + 8, b);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, Sigmoid8(_mm256_loadu_ps(in + i)));
  for (; i < n; ++i) out[i] = FastSigmoid(in[i]);
}

void DiceArray(const float* x, const float* scale, const float* shift, const float* oma, const float* alpha,
               float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
    const __m256 p0 = Sigmoid8(_mm256_fmadd_ps(v0, _mm256_loadu_ps(scale + i), _mm256_loadu_ps(shift + i)));
    const __m256 p1 = Sigmoid8(_mm256_fmadd_ps(v1, _mm256_loadu_ps(scale + i + 8), _mm256_loadu_ps(shift + i + 8)));
    const __m256 g0 = _mm256_fmadd_ps(_mm256_loadu_ps(oma + i), p0, _mm256_loadu_ps(alpha + i));
    const __m256 g1 = _mm256_fmadd_ps(_mm256_loadu_ps(oma + i + 8), p1, _mm256_loadu_ps(alpha + i + 8));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(v0, g0));
    _mm256_storeu_ps(out + i + 8, _mm256_mul_ps(v1, g1));
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 p = Sigmoid8(_mm256_fmadd_ps(v, _mm256_loadu_ps(scale + i), _mm256_loadu_ps(shift + i)));
    const __m256 g = _mm256_fmadd_ps(_mm256_loadu_ps(oma + i), p, _mm256_loadu_ps(alpha + i));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(v, g));
  }
  for (; i < n; ++i) out[i] = x[i] * (alpha[i] + oma[i] * FastSigmoid(x[i] * scale[i] + shift[i]));
}

#else

void SigmoidArray(const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = FastSigmoid(in[i]);
}

void DiceArray(const float* x, const float* scale, const float* shift, const float* oma, const float* alpha,
               float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * (alpha[i] + oma[i] * FastSigmoid(x[i] * scale[i] + shift[i]));
}

#endif

}  // namespace reco::engine
