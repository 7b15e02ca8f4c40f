#include "engine/kernels/conv_winograd.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/kernels/vec8.h"

namespace reco::engine {
namespace {

constexpr int64_t kLanes = 8;
int64_t RoundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }
// Floats per row of the GEMM results Mo: M rounded up to the AVX-512 kernel's 16 columns.
int64_t MoStride(int64_t m) { return RoundUp(m, 16); }

std::atomic<bool> force_avx2{false};
// NaN-propagating max (as the MaxPool kernel): a where a > b or a is NaN, else b.
__attribute__((target("avx512f"))) inline __m512 MaxNaN512(__m512 a, __m512 b) {
  const __mmask16 keep_a = _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ) | _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(keep_a, b, a);
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has && !force_avx2.load(std::memory_order_relaxed);
}

// AVX-512 GEMM for the 16 Winograd products (CPUs with 512-bit FMA units run it at twice the AVX2 rate):
// C[R rows][NV x 16] = A[R][K] * B[K][NV x 16] with A stored k-major (element (r, k) at a[r + k * lda], the
// layout InputTransformChannelMajor writes), B rows ldb apart (64-byte aligned), R x NV accumulators (up to
// 6 x 4 = 24 of the 32 zmm registers), A broadcast from memory.
template <int R, int NV>
__attribute__((target("avx512f"))) void GemmTile512(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k,
                                                    float* c, int64_t ldc) {
  __m512 acc[R][NV];
  for (int r = 0; r < R; ++r) {
    for (int j = 0; j < NV; ++j) acc[r][j] = _mm512_setzero_ps();
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    __m512 bv[NV];
    for (int j = 0; j < NV; ++j) bv[j] = _mm512_load_ps(b + kk * ldb + 16 * j);
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r + kk * lda]);
      for (int j = 0; j < NV; ++j) acc[r][j] = _mm512_fmadd_ps(av, bv[j], acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int j = 0; j < NV; ++j) _mm512_storeu_ps(c + r * ldc + 16 * j, acc[r][j]);
  }
}

using GemmTileFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t);
template <int R>
constexpr std::array<GemmTileFn, 4> TilesForRows() {
  return {&GemmTile512<R, 1>, &GemmTile512<R, 2>, &GemmTile512<R, 3>, &GemmTile512<R, 4>};
}
constexpr std::array<std::array<GemmTileFn, 4>, 6> kGemmTiles = {
    TilesForRows<1>(), TilesForRows<2>(), TilesForRows<3>(), TilesForRows<4>(), TilesForRows<5>(), TilesForRows<6>()};

// C[rows][n16] = A[rows][k] * B[k][n16], A k-major (a[r + k * lda]), n16 a multiple of 16, B rows n16 apart and
// 64-byte aligned.
// Rows are split into ceil(rows / 6) near-equal blocks (25 tiles: 5 x 5, not 4 x 6 + 1: a 1-row tile does 4 FMAs
// per 5 loads).
void Gemm512(int64_t rows, const float* a, int64_t lda, const float* b, int64_t k, int64_t n16, float* c, int64_t ldc) {
  const int64_t blocks = (rows + 5) / 6;
  for (int64_t blk = 0, r0 = 0; blk < blocks; ++blk) {
    const int64_t r = (rows - r0) / (blocks - blk);  // the later blocks take the remainder: sizes differ by <= 1
    for (int64_t j0 = 0; j0 < n16; j0 += 64) {
      const int64_t nv = std::min<int64_t>(4, (n16 - j0) / 16);
      kGemmTiles[r - 1][nv - 1](a + r0, lda, b + j0, n16, k, c + r0 * ldc + j0, ldc);
    }
    r0 += r;
  }
}

// NaN-propagating max and Relu (as the MaxPool and Relu kernels).
inline V8 MaxNaN(V8 a, V8 b) { return (a > b) | (a != a) ? a : b; }
inline V8 Relu(V8 v) { return (v > 0.f) | (v != v) ? v : V8{}; }

// The scratch parts, in order: channels-last padded input, transformed tiles, GEMM results, padded bias.
struct Scratch {
  float* x;
  float* v;
  float* mo;
};
Scratch Split(const WinogradPlan& p, float* scratch) {
  return {scratch, scratch + p.x_floats, scratch + p.x_floats + p.v_floats};
}
// AVX-512 input transform on channel-major data (xs: [C][xh][xw], zero-padded): per channel, tile row and 16
// tiles, the vertical half of B^T d B runs on the 4 input rows in registers (3 vectors of 16 columns each), the
// horizontal half picks columns 2tc..2tc+3 as even/odd lanes (vpermt2ps), and V[pos][c][tile] is written with
// the tiles contiguous, the k-major A that Gemm512 broadcasts from: no channels-last copy of the input. (A first
// version staged the vertical half in memory and re-read it 2 floats off: store-forwarding stalls made it 5x
// slower.) Lanes past the last tile are zero (masked loads) and not stored.
// xs rows are `ld` floats apart, planes `plane` apart; only columns < `cols` are read (masked loads, which also
// keep the reads inside the tensor when xs is the input itself).
__attribute__((target("avx512f"))) void InputTransformChannelMajor(const WinogradPlan& p, const float* xs, int64_t ld,
                                                                   int64_t plane, int64_t cols, float* v) {
  const int64_t tiles = p.th * p.tw, pos_stride = p.c * tiles;
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  // Lane l -> lane l + 1 of the first operand; lane 15 -> lane 0 (or 1) of the second: columns 2l + 2, 2l + 3.
  const __m512i next_even = _mm512_set_epi32(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
  const __m512i next_odd = _mm512_set_epi32(17, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
  for (int64_t c = 0; c < p.c; ++c) {
    for (int64_t tr = 0; tr < p.th; ++tr) {
      for (int64_t tc0 = 0; tc0 < p.tw; tc0 += 16) {
        const float* d = xs + c * plane + 2 * tr * ld + 2 * tc0;
        __m512 t[4][3];
        for (int j = 0; j < 3; ++j) {
          const int64_t valid = std::clamp<int64_t>(cols - 2 * tc0 - 16 * j, 0, 16);
          const __mmask16 in = static_cast<__mmask16>((1u << valid) - 1);
          const __m512 d0 = _mm512_maskz_loadu_ps(in, d + 16 * j), d1 = _mm512_maskz_loadu_ps(in, d + ld + 16 * j);
          const __m512 d2 = _mm512_maskz_loadu_ps(in, d + 2 * ld + 16 * j);
          const __m512 d3 = _mm512_maskz_loadu_ps(in, d + 3 * ld + 16 * j);
          t[0][j] = _mm512_sub_ps(d0, d2);
          t[1][j] = _mm512_add_ps(d1, d2);
          t[2][j] = _mm512_sub_ps(d2, d1);
          t[3][j] = _mm512_sub_ps(d1, d3);
        }
        const __mmask16 lanes = static_cast<__mmask16>((1u << std::min<int64_t>(16, p.tw - tc0)) - 1);
        float* out = v + c * tiles + tr * p.tw + tc0;
        for (int i = 0; i < 4; ++i) {
          const __m512 e0 = _mm512_permutex2var_ps(t[i][0], even, t[i][1]);
          const __m512 e1 = _mm512_permutex2var_ps(t[i][0], odd, t[i][1]);
          const __m512 e2 = _mm512_permutex2var_ps(e0, next_even, t[i][2]);
          const __m512 e3 = _mm512_permutex2var_ps(e1, next_odd, t[i][2]);
          float* o = out + 4 * i * pos_stride;
          _mm512_mask_storeu_ps(o, lanes, _mm512_sub_ps(e0, e2));
          _mm512_mask_storeu_ps(o + pos_stride, lanes, _mm512_add_ps(e1, e2));
          _mm512_mask_storeu_ps(o + 2 * pos_stride, lanes, _mm512_sub_ps(e2, e1));
          _mm512_mask_storeu_ps(o + 3 * pos_stride, lanes, _mm512_sub_ps(e1, e3));
        }
      }
    }
  }
}

// V[pos][tile][c] = (B^T d B)[pos] for every 4x4 input tile d, 8 channels per vector. B^T = [1 0 -1 0; 0 1 1 0;
// 0 -1 1 0; 0 1 0 -1].
__attribute__((target("avx2,fma"))) void InputTransform(const WinogradPlan& p, const float* xs, float* v) {
  const int64_t cp = RoundUp(p.c, kLanes), tiles = p.th * p.tw, pos_stride = tiles * cp;
  for (int64_t tr = 0; tr < p.th; ++tr) {
    for (int64_t tc = 0; tc < p.tw; ++tc) {
      const float* base = xs + (2 * tr * p.xw + 2 * tc) * cp;
      float* out = v + (tr * p.tw + tc) * cp;
      for (int64_t c = 0; c < cp; c += kLanes) {
        V8 t[4][4];
        for (int j = 0; j < 4; ++j) {
          const V8 d0 = LoadU(base + (0 * p.xw + j) * cp + c), d1 = LoadU(base + (1 * p.xw + j) * cp + c);
          const V8 d2 = LoadU(base + (2 * p.xw + j) * cp + c), d3 = LoadU(base + (3 * p.xw + j) * cp + c);
          t[0][j] = d0 - d2;
          t[1][j] = d1 + d2;
          t[2][j] = d2 - d1;
          t[3][j] = d1 - d3;
        }
        for (int i = 0; i < 4; ++i) {
          float* o = out + 4 * i * pos_stride + c;
          StoreU(o, t[i][0] - t[i][2]);
          StoreU(o + pos_stride, t[i][1] + t[i][2]);
          StoreU(o + 2 * pos_stride, t[i][2] - t[i][1]);
          StoreU(o + 3 * pos_stride, t[i][1] - t[i][3]);
        }
      }
    }
  }
}

// Y = A^T Mo A per tile (A^T = [1 1 1 0; 0 1 -1 -1]) + bias, Relu, optionally the 2x2 max; 8 output channels per
// vector, scattered into the NCHW planes of one image.
__attribute__((target("avx2,fma"))) void OutputTransform(const WinogradPlan& p, const float* mo, const float* bias,
                                                           bool relu, float* y) {
  const int64_t mp = MoStride(p.m), tiles = p.th * p.tw, pos_stride = tiles * mp;
  const int64_t ph = p.oh / 2, pw = p.ow / 2;
  for (int64_t m0 = 0; m0 < p.m; m0 += kLanes) {
    const int64_t lanes = std::min(kLanes, p.m - m0);
    V8 b = {};
    if (bias) {
      for (int64_t l = 0; l < lanes; ++l) b[l] = bias[m0 + l];
    }
    for (int64_t tr = 0; tr < p.th; ++tr) {
      for (int64_t tc = 0; tc < p.tw; ++tc) {
        const float* in = mo + (tr * p.tw + tc) * mp + m0;
        V8 s0[4], s1[4];
        for (int j = 0; j < 4; ++j) {
          const V8 a0 = LoadU(in + j * pos_stride), a1 = LoadU(in + (4 + j) * pos_stride);
          const V8 a2 = LoadU(in + (8 + j) * pos_stride), a3 = LoadU(in + (12 + j) * pos_stride);
          s0[j] = a0 + a1 + a2;
          s1[j] = a1 - a2 - a3;
        }
        V8 r[2][2] = {{s0[0] + s0[1] + s0[2], s0[1] - s0[2] - s0[3]}, {s1[0] + s1[1] + s1[2], s1[1] - s1[2] - s1[3]}};
        float lane[2][2][kLanes];
        if (p.pool) {
          // max(a + b) == max(a) + b exactly (rounding is monotone), so the bias goes on after the max.
          V8 mx = MaxNaN(MaxNaN(r[0][0], r[0][1]), MaxNaN(r[1][0], r[1][1])) + b;
          if (relu) mx = Relu(mx);
          StoreU(lane[0][0], mx);
          float* dst = y + (m0 * ph + tr) * pw + tc;
          for (int64_t l = 0; l < lanes; ++l) dst[l * ph * pw] = lane[0][0][l];
          continue;
        }
        for (int i = 0; i < 2; ++i) {
          for (int j = 0; j < 2; ++j) StoreU(lane[i][j], relu ? Relu(r[i][j] + b) : r[i][j] + b);
        }
        const int64_t rows = std::min<int64_t>(2, p.oh - 2 * tr), cols = std::min<int64_t>(2, p.ow - 2 * tc);
        for (int64_t l = 0; l < lanes; ++l) {
          float* dst = y + ((m0 + l) * p.oh + 2 * tr) * p.ow + 2 * tc;
          for (int64_t i = 0; i < rows; ++i) {
            for (int64_t j = 0; j < cols; ++j) dst[i * p.ow + j] = lane[i][j][l];
          }
        }
      }
    }
  }
}

// OutputTransform for the pooled case on AVX-512: 16 output channels per vector, the four outputs of a tile
// reduced to their max in registers, then one masked scatter of the 16 channels' values into their planes (the
// pooled plane of a channel is [th][tw], so its element for tile t is at m * tiles + t).
__attribute__((target("avx512f"))) void OutputTransformPool512(const WinogradPlan& p, const float* mo,
                                                               const float* bias, bool relu, float* y) {
  const int64_t mp = MoStride(p.m), tiles = p.th * p.tw, ps = tiles * mp;
  const __m512i plane_index = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                                 _mm512_set1_epi32(static_cast<int>(tiles)));
  for (int64_t m0 = 0; m0 < p.m; m0 += 16) {
    const __mmask16 lanes = static_cast<__mmask16>((1u << std::min<int64_t>(16, p.m - m0)) - 1);
    const __m512 b = bias ? _mm512_maskz_loadu_ps(lanes, bias + m0) : _mm512_setzero_ps();
    float* ym = y + m0 * tiles;
    for (int64_t t = 0; t < tiles; ++t) {
      const float* in = mo + t * mp + m0;
      // Rows of A^T Mo: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (row i of the 4x4 Mo tile at in + 4 * i * ps).
      __m512 s0[4], s1[4];
      for (int j = 0; j < 4; ++j) {
        const __m512 r0 = _mm512_load_ps(in + j * ps), r1 = _mm512_load_ps(in + (4 + j) * ps);
        const __m512 r2 = _mm512_load_ps(in + (8 + j) * ps), r3 = _mm512_load_ps(in + (12 + j) * ps);
        s0[j] = _mm512_add_ps(_mm512_add_ps(r0, r1), r2);
        s1[j] = _mm512_sub_ps(_mm512_sub_ps(r1, r2), r3);
      }
      const __m512 y00 = _mm512_add_ps(_mm512_add_ps(s0[0], s0[1]), s0[2]);
      const __m512 y01 = _mm512_sub_ps(_mm512_sub_ps(s0[1], s0[2]), s0[3]);
      const __m512 y10 = _mm512_add_ps(_mm512_add_ps(s1[0], s1[1]), s1[2]);
      const __m512 y11 = _mm512_sub_ps(_mm512_sub_ps(s1[1], s1[2]), s1[3]);
      __m512 mx = _mm512_add_ps(MaxNaN512(MaxNaN512(y00, y01), MaxNaN512(y10, y11)), b);
      if (relu) mx = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(mx, _mm512_setzero_ps(), _CMP_NLE_UQ), mx);  // > 0 or NaN
      _mm512_mask_i32scatter_ps(ym + t, lanes, plane_index, mx, 4);
    }
  }
}

}  // namespace

namespace internal {
void SetWinogradForceAvx2ForTesting(bool force) { force_avx2.store(force); }
}  // namespace internal

bool WinogradApplies(const Window3& win, int64_t group) {
  static const bool cpu_ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && PackedGemmAvailable();
  return cpu_ok && group == 1 && win.in[0] == 1 && win.k[0] == 1 && win.out[0] == 1 && win.pad_begin[0] == 0 &&
         win.pad_end[0] == 0 && win.k[1] == 3 && win.k[2] == 3 && win.stride[1] == 1 && win.stride[2] == 1 &&
         win.dil[1] == 1 && win.dil[2] == 1;
}

std::unique_ptr<const WinogradWeights> PackWinogradWeights(const float* w, int64_t m, int64_t c) {
  auto out = std::make_unique<WinogradWeights>();
  out->c = c;
  out->m = m;
  // u[pos][c][m] = (G g G^T)[pos], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], in double then rounded once.
  std::vector<float> u(static_cast<size_t>(16 * c * m));
  for (int64_t o = 0; o < m; ++o) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* g = w + (o * c + ch) * 9;
      double gg[4][3];  // G g
      for (int j = 0; j < 3; ++j) {
        gg[0][j] = g[j];
        gg[1][j] = 0.5 * (double(g[j]) + g[3 + j] + g[6 + j]);
        gg[2][j] = 0.5 * (double(g[j]) - g[3 + j] + g[6 + j]);
        gg[3][j] = g[6 + j];
      }
      for (int i = 0; i < 4; ++i) {
        const double r[4] = {gg[i][0], 0.5 * (gg[i][0] + gg[i][1] + gg[i][2]), 0.5 * (gg[i][0] - gg[i][1] + gg[i][2]),
                             gg[i][2]};
        for (int j = 0; j < 4; ++j) u[((4 * i + j) * c + ch) * m + o] = static_cast<float>(r[j]);
      }
    }
  }
  if (HasAvx512()) {
    // [pos][c][M rounded up to 16], zero-padded, 64-byte aligned for the AVX-512 tiles.
    const int64_t m16 = MoStride(m);
    out->wide_storage.assign(static_cast<size_t>(16 * c * m16 + 16), 0.f);
    const auto addr = reinterpret_cast<uintptr_t>(out->wide_storage.data());
    float* wide = out->wide_storage.data() + ((64 - addr % 64) % 64) / sizeof(float);
    for (int64_t i = 0; i < 16 * c; ++i) std::copy(u.data() + i * m, u.data() + (i + 1) * m, wide + i * m16);
    out->wide = wide;
    return out;
  }
  for (int pos = 0; pos < 16; ++pos) out->u[pos] = PackedMatrix::Pack(u.data() + pos * c * m, c, m, false);
  return out;
}

WinogradPlan MakeWinogradPlan(const Window3& win, int64_t c, int64_t m, bool pool) {
  WinogradPlan p;
  p.c = c;
  p.m = m;
  p.h = win.in[1];
  p.w = win.in[2];
  p.oh = win.out[1];
  p.ow = win.out[2];
  p.pad_top = win.pad_begin[1];
  p.pad_left = win.pad_begin[2];
  p.pool = pool;
  p.th = pool ? p.oh / 2 : (p.oh + 1) / 2;
  p.tw = pool ? p.ow / 2 : (p.ow + 1) / 2;
  p.xh = 2 * p.th + 2;
  p.xw = 2 * p.tw + 2;
  const int64_t cp = RoundUp(c, kLanes), mp = MoStride(m), tiles = p.th * p.tw;
  // Channels-last [xh][xw][C rounded up to 8] (AVX2 path) or channel-major [C][xh][xw] (AVX-512).
  p.x_floats = static_cast<size_t>(RoundUp(std::max(p.xh * p.xw * cp, c * p.xh * p.xw), 16));
  p.v_floats = static_cast<size_t>(RoundUp(16 * tiles * cp, 16));
  p.mo_floats = static_cast<size_t>(RoundUp(16 * tiles * mp, 16));
  return p;
}

void RunWinogradConv(const WinogradPlan& p, const WinogradWeights& wts, int64_t n, const float* x, const float* bias,
                     const Activation& act, float* y, float* scratch) {
  const Scratch s = Split(p, scratch);
  const int64_t cp = RoundUp(p.c, kLanes), mp = MoStride(p.m), tiles = p.th * p.tw;
  const int64_t in_plane = p.h * p.w;
  const int64_t out_image = p.pool ? p.m * (p.oh / 2) * (p.ow / 2) : p.m * p.oh * p.ow;
  const bool relu = act.kind == Activation::Kind::kRelu;
  // Padding, the channel tail and the rows/columns past the input stay zero across images: only the input's
  // own positions are rewritten below.
  std::fill(s.x, s.x + p.x_floats, 0.f);
  const int64_t rows = std::min(p.h, p.xh - p.pad_top), cols = std::min(p.w, p.xw - p.pad_left);
  // Unpadded, with every tile inside the input (the pooled CNN conv2: 10 x 10 outputs from 12 x 12 of 13 x 13):
  // the AVX-512 transform reads X itself.
  const bool read_in_place = p.pad_top == 0 && p.pad_left == 0 && p.xh <= p.h && p.xw <= p.w;
  for (int64_t img = 0; img < n; ++img) {
    const float* xi = x + img * p.c * in_plane;
    float* yi = y + img * out_image;
    if (wts.wide != nullptr) {
      if (read_in_place) {
        InputTransformChannelMajor(p, xi, p.w, in_plane, p.xw, s.v);
      } else {
        for (int64_t ch = 0; ch < p.c; ++ch) {
          for (int64_t r = 0; r < rows; ++r) {
            std::memcpy(s.x + (ch * p.xh + r + p.pad_top) * p.xw + p.pad_left, xi + ch * in_plane + r * p.w,
                        static_cast<size_t>(cols) * sizeof(float));
          }
        }
        InputTransformChannelMajor(p, s.x, p.xw, p.xh * p.xw, p.xw, s.v);
      }
      // At large batches X comes from memory (the CNN's conv1 output is 21.6 MB at batch 1000): each of the 16
      // products prefetches 1/16 of the next image, which the transform then finds in cache.
      const char* next = reinterpret_cast<const char*>(xi + p.c * in_plane);
      const int64_t next_bytes = img + 1 < n ? p.c * in_plane * static_cast<int64_t>(sizeof(float)) : 0;
      const int64_t chunk = RoundUp((next_bytes + 15) / 16, 64);
      for (int pos = 0; pos < 16; ++pos) {
        for (int64_t off = pos * chunk; off < std::min(next_bytes, (pos + 1) * chunk); off += 64) {
          _mm_prefetch(next + off, _MM_HINT_T0);
        }
        Gemm512(tiles, s.v + pos * p.c * tiles, tiles, wts.wide + pos * p.c * mp, p.c, mp, s.mo + pos * tiles * mp, mp);
      }
      if (p.pool) {
        OutputTransformPool512(p, s.mo, bias, relu, yi);
      } else {
        OutputTransform(p, s.mo, bias, relu, yi);
        if (!relu) ApplyActivation(act, yi, out_image);
      }
      continue;
    }
    for (int64_t ch = 0; ch < p.c; ++ch) {
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = xi + ch * in_plane + r * p.w;
        float* dst = s.x + ((r + p.pad_top) * p.xw + p.pad_left) * cp + ch;
        for (int64_t col = 0; col < cols; ++col) dst[col * cp] = src[col];
      }
    }
    InputTransform(p, s.x, s.v);
    for (int pos = 0; pos < 16; ++pos) {
      SgemmPacked(tiles, s.v + pos * tiles * cp, cp, wts.u[pos], nullptr, s.mo + pos * tiles * mp, mp);
    }
    OutputTransform(p, s.mo, bias, relu, yi);
    if (!p.pool && !relu) ApplyActivation(act, yi, out_image);
  }
}

}  // namespace reco::engine
