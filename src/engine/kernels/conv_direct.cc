#include "engine/kernels/conv_direct.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "engine/kernels/conv_pool.h"
#include "engine/kernels/vec8.h"

namespace reco::engine {
namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes
int64_t RoundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }


// One micro-tile: y[i][j] = bias[i] + sum_k w[k][i] * x[taps[k] + j], i < 4, j < 24. The 12 accumulators stay
// in registers across all taps. Compiled for AVX2+FMA only (DirectConvApplies checks the CPU): a generic build of
// it spills the accumulators, so CPUs without AVX2 take the im2col path instead. (Not target_clones: its
// "arch=haswell" clone dispatches on the CPU model, so AMD parts would get the generic clone.)
__attribute__((target("avx2,fma"))) void ConvTile(const float* x, const int32_t* taps,
                                                                        int64_t kdim, const float* w,
                                                                        const float* bias, float* y, int64_t ldy) {
  const V8 zero = {};
  V8 a00 = zero + bias[0], a01 = a00, a02 = a00;
  V8 a10 = zero + bias[1], a11 = a10, a12 = a10;
  V8 a20 = zero + bias[2], a21 = a20, a22 = a20;
  V8 a30 = zero + bias[3], a31 = a30, a32 = a30;
  for (int64_t k = 0; k < kdim; ++k) {
    const float* xp = x + taps[k];
    const V8 x0 = LoadU(xp), x1 = LoadU(xp + 8), x2 = LoadU(xp + 16);
    const float* wk = w + k * kConvTileM;
    const float w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3];
    a00 += w0 * x0; a01 += w0 * x1; a02 += w0 * x2;
    a10 += w1 * x0; a11 += w1 * x1; a12 += w1 * x2;
    a20 += w2 * x0; a21 += w2 * x1; a22 += w2 * x2;
    a30 += w3 * x0; a31 += w3 * x1; a32 += w3 * x2;
  }
  StoreU(y, a00); StoreU(y + 8, a01); StoreU(y + 16, a02);
  y += ldy;
  StoreU(y, a10); StoreU(y + 8, a11); StoreU(y + 16, a12);
  y += ldy;
  StoreU(y, a20); StoreU(y + 8, a21); StoreU(y + 16, a22);
  y += ldy;
  StoreU(y, a30); StoreU(y + 8, a31); StoreU(y + 16, a32);
}

// ConvTile with 16-float vectors: 4 channels x 48 positions in 12 zmm accumulators (half the instructions per
// FMA on CPUs with 512-bit FMA units).
__attribute__((target("avx512f"))) void ConvTile512(const float* x, const int32_t* taps, int64_t kdim, const float* w,
                                                    const float* bias, float* y, int64_t ldy) {
  __m512 acc[kConvTileM][3];
  for (int i = 0; i < kConvTileM; ++i) {
    for (int j = 0; j < 3; ++j) acc[i][j] = _mm512_set1_ps(bias[i]);
  }
  for (int64_t k = 0; k < kdim; ++k) {
    const float* xp = x + taps[k];
    const __m512 x0 = _mm512_loadu_ps(xp), x1 = _mm512_loadu_ps(xp + 16), x2 = _mm512_loadu_ps(xp + 32);
    const float* wk = w + k * kConvTileM;
    for (int i = 0; i < kConvTileM; ++i) {
      const __m512 wi = _mm512_set1_ps(wk[i]);
      acc[i][0] = _mm512_fmadd_ps(wi, x0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(wi, x1, acc[i][1]);
      acc[i][2] = _mm512_fmadd_ps(wi, x2, acc[i][2]);
    }
  }
  for (int i = 0; i < kConvTileM; ++i) {
    for (int j = 0; j < 3; ++j) _mm512_storeu_ps(y + i * ldy + 16 * j, acc[i][j]);
  }
}

// NaN-propagating max (as the MaxPool kernel): a where a > b or a is NaN, else b.
__attribute__((target("avx512f"))) inline __m512 MaxNaN512(__m512 a, __m512 b) {
  const __mmask16 keep_a = _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ) | _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(keep_a, b, a);
}

// Pools one channel's two conv rows (columns 0-15 and 16-31 of rows 0 and 1): vertical max, even/odd lane max,
// bias, Relu, masked store of the first pw values.
__attribute__((target("avx512f"))) inline void PoolStore512(__m512 r0lo, __m512 r0hi, __m512 r1lo, __m512 r1hi,
                                                            float bias, bool relu, __mmask16 store, float* y) {
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  const __m512 lo = MaxNaN512(r0lo, r1lo), hi = MaxNaN512(r0hi, r1hi);
  __m512 m = MaxNaN512(_mm512_permutex2var_ps(lo, even, hi), _mm512_permutex2var_ps(lo, odd, hi));
  m = _mm512_add_ps(m, _mm512_set1_ps(bias));
  if (relu) m = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_NLE_UQ), m);  // > 0 or NaN
  _mm512_mask_storeu_ps(y, store, m);
}

// Conv + 2x2 max pool for one pooled output row of 4 channels, when a conv output row fits 32 floats (OW <= 32,
// the CNN's conv1: 26): the two conv rows 2r and 2r+1 (wide-grid positions q0 and q0 + wp) accumulate in 16 zmm
// registers (named, not an array: GCC kept arrays on the stack), then PoolStore512: the conv output never leaves
// the registers. Bias after the max is exact (rounding is monotone). Lanes past OW read the next row's positions
// and are dropped. All four channels are computed (a short last tile's packed weights are zero); only `channels`
// are stored.
__attribute__((target("avx512f"), always_inline)) inline void ConvPoolTile512(
    const float* x, int64_t wp, const int32_t* taps, int64_t kdim, const float* w, const float* bias, bool relu,
    int64_t pw, int channels, float* y, int64_t out_plane) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;  // channel 0: row 0 lo/hi, row 1 lo/hi
  __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  __m512 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
  __m512 d0 = a0, d1 = a0, d2 = a0, d3 = a0;
  for (int64_t k = 0; k < kdim; ++k) {
    const float* xp = x + taps[k];
    const __m512 x0 = _mm512_loadu_ps(xp), x1 = _mm512_loadu_ps(xp + 16);
    const __m512 x2 = _mm512_loadu_ps(xp + wp), x3 = _mm512_loadu_ps(xp + wp + 16);
    const float* wk = w + k * kConvTileM;
    __m512 wv = _mm512_set1_ps(wk[0]);
    a0 = _mm512_fmadd_ps(wv, x0, a0);
    a1 = _mm512_fmadd_ps(wv, x1, a1);
    a2 = _mm512_fmadd_ps(wv, x2, a2);
    a3 = _mm512_fmadd_ps(wv, x3, a3);
    wv = _mm512_set1_ps(wk[1]);
    b0 = _mm512_fmadd_ps(wv, x0, b0);
    b1 = _mm512_fmadd_ps(wv, x1, b1);
    b2 = _mm512_fmadd_ps(wv, x2, b2);
    b3 = _mm512_fmadd_ps(wv, x3, b3);
    wv = _mm512_set1_ps(wk[2]);
    c0 = _mm512_fmadd_ps(wv, x0, c0);
    c1 = _mm512_fmadd_ps(wv, x1, c1);
    c2 = _mm512_fmadd_ps(wv, x2, c2);
    c3 = _mm512_fmadd_ps(wv, x3, c3);
    wv = _mm512_set1_ps(wk[3]);
    d0 = _mm512_fmadd_ps(wv, x0, d0);
    d1 = _mm512_fmadd_ps(wv, x1, d1);
    d2 = _mm512_fmadd_ps(wv, x2, d2);
    d3 = _mm512_fmadd_ps(wv, x3, d3);
  }
  const __mmask16 store = static_cast<__mmask16>((1u << pw) - 1);
  PoolStore512(a0, a1, a2, a3, bias[0], relu, store, y);
  if (channels > 1) PoolStore512(b0, b1, b2, b3, bias[1], relu, store, y + out_plane);
  if (channels > 2) PoolStore512(c0, c1, c2, c3, bias[2], relu, store, y + 2 * out_plane);
  if (channels > 3) PoolStore512(d0, d1, d2, d3, bias[3], relu, store, y + 3 * out_plane);
}

// All ph pooled rows of one 4-channel tile (one call per tile, the row loop inlined around ConvPoolTile512).
__attribute__((target("avx512f"))) void ConvPoolRows512(const float* x, int64_t wp, const int32_t* taps, int64_t kdim,
                                                        const float* w, const float* bias, bool relu, int64_t ph,
                                                        int64_t pw, int channels, float* y, int64_t out_plane) {
  for (int64_t r = 0; r < ph; ++r) {
    ConvPoolTile512(x + 2 * r * wp, wp, taps, kdim, w, bias, relu, pw, channels, y + r * pw, out_plane);
  }
}

std::atomic<bool> force_avx2{false};
bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has && !force_avx2.load(std::memory_order_relaxed);
}

// dst[0, n) = act(src[0, n)); Relu inline (keeps NaN, as ApplyActivation does), others via ApplyActivation.
// AVX2 like ConvTile (the direct path only runs on AVX2 CPUs): the rows are short (the CNN's are 11 and 26).
__attribute__((target("avx2"))) void CopyRow(const float* src, float* dst, int64_t n, const Activation& act) {
  if (act.kind == Activation::Kind::kRelu) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = src[i];
      dst[i] = v > 0.f ? v : (v == v ? 0.f : v);
    }
    return;
  }
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
  ApplyActivation(act, dst, n);
}

}  // namespace

namespace internal {
void SetDirectConvForceAvx2ForTesting(bool force) { force_avx2.store(force); }
}  // namespace internal

size_t PackedDirectConvWeightsSize(int64_t m, int64_t group, int64_t kdim) {
  const int64_t mg_tiles = (m / group + kConvTileM - 1) / kConvTileM;
  return static_cast<size_t>(group * mg_tiles * kConvTileM * kdim);
}

std::vector<float> PackDirectConvWeights(const float* w, int64_t m, int64_t group, int64_t kdim) {
  std::vector<float> out(PackedDirectConvWeightsSize(m, group, kdim), 0.f);
  const int64_t mg = m / group, mg_tiles = (mg + kConvTileM - 1) / kConvTileM;
  for (int64_t g = 0; g < group; ++g) {
    for (int64_t o = 0; o < mg; ++o) {
      const int64_t tile = o / kConvTileM, lane = o % kConvTileM;
      float* dst = out.data() + ((g * mg_tiles + tile) * kdim) * kConvTileM + lane;
      const float* src = w + (g * mg + o) * kdim;
      for (int64_t k = 0; k < kdim; ++k) dst[k * kConvTileM] = src[k];
    }
  }
  return out;
}

bool DirectConvApplies(const Window3& win) {
  static const bool cpu_ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cpu_ok && win.in[0] == 1 && win.k[0] == 1 && win.out[0] == 1 && win.pad_begin[0] == 0 && win.pad_end[0] == 0 &&
         win.stride[0] == 1 && win.stride[1] == 1 && win.stride[2] == 1;
}

DirectConvPlan MakeDirectConvPlan(const Window3& win, int64_t c, int64_t m, int64_t group, bool weights_packed,
                                  bool pool) {
  DirectConvPlan p;
  p.pool = pool;
  p.c = c;
  p.m = m;
  p.group = group;
  p.cg = c / group;
  p.mg = m / group;
  p.mg_tiles = (p.mg + kConvTileM - 1) / kConvTileM;
  p.kdim = p.cg * win.k[1] * win.k[2];
  p.h = win.in[1];
  p.w = win.in[2];
  p.oh = win.out[1];
  p.ow = win.out[2];
  p.pad_top = win.pad_begin[1];
  p.pad_left = win.pad_begin[2];
  p.hp = p.h + win.pad_begin[1] + win.pad_end[1];
  p.wp = p.w + win.pad_begin[2] + win.pad_end[2];
  p.q = p.oh * p.wp;
  p.tile_q = HasAvx512() ? kConvTileQ512 : kConvTileQ;
  p.pool_in_registers = pool && HasAvx512() && p.ow <= 32 && p.oh >= 2 && p.ow >= 2;
  p.q_tiles = (p.q + p.tile_q - 1) / p.tile_q;
  const int64_t max_tap = (win.k[1] - 1) * win.dil[1] * p.wp + (win.k[2] - 1) * win.dil[2];
  // Covers the last tile's reads (ConvPoolTile512 reads 32 positions from the start of each conv row).
  const int64_t last_read = p.pool_in_registers ? (2 * (p.oh / 2) - 1) * p.wp + 32 : p.q_tiles * p.tile_q;
  p.plane = RoundUp(std::max(p.hp * p.wp, std::max(p.q_tiles * p.tile_q, last_read) + max_tap), kAlignFloats);
  for (int64_t ch = 0; ch < p.cg; ++ch) {
    for (int64_t kh = 0; kh < win.k[1]; ++kh) {
      for (int64_t kw = 0; kw < win.k[2]; ++kw) {
        p.tap_offsets.push_back(static_cast<int32_t>(ch * p.plane + kh * win.dil[1] * p.wp + kw * win.dil[2]));
      }
    }
  }
  p.x_floats = static_cast<size_t>(p.cg * p.plane);
  p.y_floats = static_cast<size_t>(RoundUp(kConvTileM * p.q_tiles * p.tile_q, kAlignFloats));
  p.w_floats = weights_packed ? 0 : RoundUp(static_cast<int64_t>(PackedDirectConvWeightsSize(m, group, p.kdim)), kAlignFloats);
  return p;
}

void RunDirectConv(const DirectConvPlan& p, int64_t n, const float* x, const float* w, const float* packed_w,
                   const float* bias, const Activation& act, float* y, float* scratch) {
  float* xs = scratch;
  float* ys = scratch + p.x_floats;
  if (packed_w == nullptr) {
    float* pw = ys + p.y_floats;
    std::fill(pw, pw + p.w_floats, 0.f);
    const int64_t mg_tiles = p.mg_tiles;
    for (int64_t g = 0; g < p.group; ++g) {
      for (int64_t o = 0; o < p.mg; ++o) {
        float* dst = pw + ((g * mg_tiles + o / kConvTileM) * p.kdim) * kConvTileM + o % kConvTileM;
        const float* src = w + (g * p.mg + o) * p.kdim;
        for (int64_t k = 0; k < p.kdim; ++k) dst[k * kConvTileM] = src[k];
      }
    }
    packed_w = pw;
  }
  const bool padded = p.hp != p.h || p.wp != p.w;
  const int64_t in_plane = p.h * p.w, ldy = p.q_tiles * p.tile_q;
  const int64_t out_plane = p.pool ? (p.oh / 2) * (p.ow / 2) : p.oh * p.ow;
  // The padding ring and the slack after each plane stay zero across images when there is padding; without it
  // only the slack is written, once per call (its values reach dropped columns only, but must be initialised).
  if (padded) {
    std::fill(xs, xs + p.x_floats, 0.f);
  } else {
    for (int64_t ch = 0; ch < p.cg; ++ch) std::fill(xs + ch * p.plane + in_plane, xs + (ch + 1) * p.plane, 0.f);
  }
  for (int64_t img = 0; img < n; ++img) {
    if (img + 1 < n && p.c * in_plane <= 4096) {
      // Small images at large batches (the CNN's conv1: 3.1 MB of input at batch 1000): fetch the next one now.
      const char* next = reinterpret_cast<const char*>(x + (img + 1) * p.c * in_plane);
      for (int64_t off = 0; off < p.c * in_plane * static_cast<int64_t>(sizeof(float)); off += 64) {
        __builtin_prefetch(next + off);
      }
    }
    for (int64_t g = 0; g < p.group; ++g) {
      const float* xg = x + (img * p.c + g * p.cg) * in_plane;
      for (int64_t ch = 0; ch < p.cg; ++ch) {
        const float* src = xg + ch * in_plane;
        float* dst = xs + ch * p.plane;
        if (!padded) {
          std::memcpy(dst, src, static_cast<size_t>(in_plane) * sizeof(float));
        } else {
          for (int64_t r = 0; r < p.h; ++r) {
            std::memcpy(dst + (r + p.pad_top) * p.wp + p.pad_left, src + r * p.w, static_cast<size_t>(p.w) * sizeof(float));
          }
        }
      }
      // Each 4-channel tile's wide rows (4 x OH x Wp floats) are copied out (or pooled) right after they are
      // computed, while they are in L1.
      float* yg = y + (img * p.m + g * p.mg) * out_plane;
      for (int64_t t = 0; t < p.mg_tiles; ++t) {
        float tile_bias[kConvTileM] = {0.f, 0.f, 0.f, 0.f};
        for (int64_t i = 0; i < kConvTileM && t * kConvTileM + i < p.mg; ++i) {
          tile_bias[i] = bias ? bias[g * p.mg + t * kConvTileM + i] : 0.f;
        }
        const float* wt = packed_w + (g * p.mg_tiles + t) * p.kdim * kConvTileM;
        if (p.pool_in_registers) {
          const int64_t ph = p.oh / 2, pw = p.ow / 2;
          // Write-prefetch the next tile's output (at batch 1000 conv1 writes 21.6 MB: the partial-line stores
          // would otherwise wait for each line to be read).
          const char* next_out = reinterpret_cast<const char*>(yg + (t + 1) * kConvTileM * out_plane);
          if ((t + 1) * kConvTileM < p.mg || img + 1 < n) {
            for (int64_t off = 0; off < kConvTileM * out_plane * static_cast<int64_t>(sizeof(float)); off += 64) {
              __builtin_prefetch(next_out + off, 1);
            }
          }
          const int channels = static_cast<int>(std::min<int64_t>(kConvTileM, p.mg - t * kConvTileM));
          ConvPoolRows512(xs, p.wp, p.tap_offsets.data(), p.kdim, wt, tile_bias, act.kind == Activation::Kind::kRelu,
                          ph, pw, channels, yg + t * kConvTileM * out_plane, out_plane);
          continue;
        }
        for (int64_t qt = 0; qt < p.q_tiles; ++qt) {
          if (p.tile_q == kConvTileQ512) {
            ConvTile512(xs + qt * p.tile_q, p.tap_offsets.data(), p.kdim, wt, tile_bias, ys + qt * p.tile_q, ldy);
          } else {
            ConvTile(xs + qt * p.tile_q, p.tap_offsets.data(), p.kdim, wt, tile_bias, ys + qt * p.tile_q, ldy);
          }
        }
        for (int64_t i = 0; i < kConvTileM && t * kConvTileM + i < p.mg; ++i) {
          const int64_t o = t * kConvTileM + i;
          if (p.pool) {
            MaxPool2x2Plane(ys + i * ldy, p.wp, p.oh, p.ow, yg + o * out_plane, act);
            continue;
          }
          for (int64_t r = 0; r < p.oh; ++r) CopyRow(ys + i * ldy + r * p.wp, yg + o * out_plane + r * p.ow, p.ow, act);
        }
      }
    }
  }
}

}  // namespace reco::engine
