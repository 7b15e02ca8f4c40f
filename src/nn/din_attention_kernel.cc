#include "nn/din_attention_kernel.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nn/fast_math.h"

namespace reco::nn::din_attention {
namespace {

constexpr int64_t kBlock = 64;  // positions summed in float before a partial sum goes to double
constexpr int64_t kChunk = 8 * kBlock;  // positions per L2-resident chunk of the forward's layer chain

// c[m, n] = op(a)·op(b) + beta·c, dense row-major operands (a is [m, k], or [k, m] when trans_a; b likewise).
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float beta,
          float* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // BLAS implementations differ on empty inner dimensions
    for (int64_t i = 0; i < m * n; ++i) c[i] = beta == 0.f ? 0.f : beta * c[i];
    return;
  }
  // oneDNN's sgemm: 1.5x OpenBLAS's throughput on these tall-skinny shapes (K, N of 32..80, M ~ 20k; measured
  // 2026-11-29 on the 2-core EPYC: 25 vs 39 ms of CPU per training step). OpenBLAS if oneDNN refuses.
  const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.f, a, trans_a ? m : k, b,
                                      trans_b ? k : n, beta, c, n);
  if (st == dnnl_success) return;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.f, a, static_cast<int>(trans_a ? m : k),
              b, static_cast<int>(trans_b ? k : n), beta, c, static_cast<int>(n));
}

// Column sums of rows fed one at a time: add a row into row(), then Next(). Float partials over kBlock rows, double
// across blocks (fixed order: the same rows in the same order give the same bits).
class ColumnSums {
 public:
  explicit ColumnSums(int64_t width) : block_(width, 0.f), total_(width, 0.0) {}
  float* row() { return block_.data(); }
  void Next() {
    if (++rows_ == kBlock) Flush();
  }
  const std::vector<double>& Total() {
    Flush();
    return total_;
  }

 private:
  void Flush() {
    for (size_t j = 0; j < block_.size(); ++j) total_[j] += block_[j], block_[j] = 0.f;
    rows_ = 0;
  }
  std::vector<float> block_;
  std::vector<double> total_;
  int64_t rows_ = 0;
};

void ToFloat(const std::vector<double>& v, float* out) {
  for (size_t j = 0; j < v.size(); ++j) out[j] = static_cast<float>(v[j]);
}

// Per-column mean and (biased) variance of rows fed in contiguous blocks while they are still in cache: each block's
// mean and squared deviations are taken in float (two passes over the block, in L1), and blocks are merged in double
// with Chan et al.'s update — one pass over memory, numerically as stable as the two-pass reference.
class ColumnMoments {
 public:
  explicit ColumnMoments(int64_t width)
      : w_(width), block_mean_(width), block_m2_(width), mean_(width, 0.0), m2_(width, 0.0) {}

  // rows [nb, w], contiguous.
  void AddBlock(const float* rows, int64_t nb) {
    if (nb == 0) return;
    float* __restrict bm = block_mean_.data();
    float* __restrict b2 = block_m2_.data();
    std::fill(bm, bm + w_, 0.f);
    std::fill(b2, b2 + w_, 0.f);
    for (int64_t p = 0; p < nb; ++p) AddTo(w_, rows + p * w_, bm);
    const float inv = 1.f / static_cast<float>(nb);
    for (int64_t j = 0; j < w_; ++j) bm[j] *= inv;
    for (int64_t p = 0; p < nb; ++p) SquaredDeviation(w_, rows + p * w_, bm, b2);
    const double n_a = static_cast<double>(n_), n_b = static_cast<double>(nb), n_ab = n_a + n_b;
    for (int64_t j = 0; j < w_; ++j) {
      const double delta = bm[j] - mean_[j];
      mean_[j] += delta * n_b / n_ab;
      m2_[j] += b2[j] + delta * delta * n_a * n_b / n_ab;
    }
    n_ += nb;
  }

  // stats = (mean, 1/sqrt(var + eps)); running statistics updated like torch BatchNorm (momentum m). An empty
  // batch has mean 0 and variance 0, as the reference's count clamped to 1 gives.
  void Finish(const Layer& layer, double eps, double momentum, float* stats) const {
    for (int64_t j = 0; j < w_; ++j) {
      const double var = n_ > 0 ? m2_[j] / static_cast<double>(n_) : 0.0;
      stats[j] = static_cast<float>(mean_[j]);
      stats[w_ + j] = static_cast<float>(1.0 / std::sqrt(var + eps));
      layer.running_mean[j] = static_cast<float>((1.0 - momentum) * layer.running_mean[j] + momentum * stats[j]);
      layer.running_var[j] = static_cast<float>((1.0 - momentum) * layer.running_var[j] + momentum * var);
    }
  }

 private:
  static void AddTo(int64_t w, const float* __restrict x, float* __restrict acc) {
    for (int64_t j = 0; j < w; ++j) acc[j] += x[j];
  }
  static void SquaredDeviation(int64_t w, const float* __restrict x, const float* __restrict mean,
                               float* __restrict acc) {
    for (int64_t j = 0; j < w; ++j) {
      const float d = x[j] - mean[j];
      acc[j] += d * d;
    }
  }

  int64_t w_, n_ = 0;
  std::vector<float> block_mean_, block_m2_;
  std::vector<double> mean_, m2_;
};

// Row kernels: every pointer is a distinct buffer (restrict), so GCC vectorises them 8-wide. Optional operands are
// template switches, not null checks: GCC would turn `p ? p[j] : 1` into masked loads, and a masked load from a null
// page takes a microcode assist on every vector (measured: 70% of the backward).

// a = z·(α + (1 − α)·sigmoid((z − mean)·rstd)), times scale[j] if kScaled (w_out for the output layer).
template <bool kScaled>
void DiceRow(int64_t w, const float* __restrict z, const float* __restrict mean, const float* __restrict rstd,
             const float* __restrict alpha, const float* __restrict scale, float* __restrict a) {
  for (int64_t j = 0; j < w; ++j) {
    const float prob = FastSigmoid((z[j] - mean[j]) * rstd[j]);
    const float y = z[j] * (alpha[j] + (1.f - alpha[j]) * prob);
    a[j] = kScaled ? y * scale[j] : y;
  }
}

// Pass 1 of Dice's backward for one position. The gradient reaching a = Dice(z) is g_score·w_out[j] for the
// output layer (kLast; then also dw_out += g_score·a) and gz[j] otherwise. Writes gz = ga·(α + (1 − α)·P) +
// rstd·q (the rest of dz needs the sums: pass 2) and accumulates Σq, Σq·s, dα = Σ ga·z·(1 − P).
template <bool kLast>
void DiceGradRow(int64_t w, const float* __restrict z, const float* __restrict mean, const float* __restrict rstd,
                 const float* __restrict alpha, const float* __restrict w_out, float g_score, float* __restrict gz,
                 float* __restrict sum_q, float* __restrict sum_qs, float* __restrict d_alpha,
                 float* __restrict d_wout) {
  for (int64_t j = 0; j < w; ++j) {
    const float s = (z[j] - mean[j]) * rstd[j];
    const float prob = FastSigmoid(s);
    const float slope = alpha[j] + (1.f - alpha[j]) * prob;
    float ga;
    if constexpr (kLast) {
      ga = g_score * w_out[j];
      d_wout[j] += g_score * z[j] * slope;
    } else {
      ga = gz[j];
    }
    const float gx = ga * z[j];
    const float q = gx * (1.f - alpha[j]) * prob * (1.f - prob);
    sum_q[j] += q;
    sum_qs[j] += q * s;
    d_alpha[j] += gx * (1.f - prob);
    gz[j] = ga * slope + rstd[j] * q;
  }
}

// Pass 2 for one position: gz −= rstd·(Σq/c + s·Σq·s/c); d_bias += gz.
void DiceFinishRow(int64_t w, const float* __restrict z, const float* __restrict mean, const float* __restrict rstd,
                   const float* __restrict qc, const float* __restrict qsc, float* __restrict gz,
                   float* __restrict d_bias) {
  for (int64_t j = 0; j < w; ++j) {
    const float s = (z[j] - mean[j]) * rstd[j];
    gz[j] -= rstd[j] * (qc[j] + s * qsc[j]);
    d_bias[j] += gz[j];
  }
}

void AddRow(int64_t w, const float* __restrict x, float* __restrict acc) {
  for (int64_t j = 0; j < w; ++j) acc[j] += x[j];
}

// y = a ⊙ b
void MulRow(int64_t w, const float* __restrict a, const float* __restrict b, float* __restrict y) {
  for (int64_t j = 0; j < w; ++j) y[j] = a[j] * b[j];
}

// z += (a + b) + c
void AddTermsRow(int64_t w, const float* __restrict a, const float* __restrict b, const float* __restrict c,
                 float* __restrict z) {
  for (int64_t j = 0; j < w; ++j) z[j] += (a[j] + b[j]) + c[j];
}

// y += a·x
void AxpyRow(int64_t w, float a, const float* __restrict x, float* __restrict y) {
  for (int64_t j = 0; j < w; ++j) y[j] += a * x[j];
}

float Dot(int64_t w, const float* __restrict x, const float* __restrict y) {
  float sum = 0.f;
  for (int64_t j = 0; j < w; ++j) sum += x[j] * y[j];
  return sum;
}

// acc_a += x ⊙ b, acc_b += x ⊙ a (the two sides of a product's gradient).
void ProductGradRow(int64_t w, const float* __restrict x, const float* __restrict a, const float* __restrict b,
                    float* __restrict acc_a, float* __restrict acc_b) {
  for (int64_t j = 0; j < w; ++j) {
    acc_a[j] += x[j] * b[j];
    acc_b[j] += x[j] * a[j];
  }
}

// Dice's backward over all n positions of one layer: gz [n, w] holds the gradient w.r.t. a on entry (unless gs is
// given: the output layer, gradient gs[p]·w_out) and w.r.t. z on exit, except for pass 2 (the sums' term), which
// the caller applies with the returned constants.
struct DiceSums {
  std::vector<float> qc, qsc;  // Σq/c, Σq·s/c
};
DiceSums DiceGrad(const float* z, int64_t n, int64_t w, const float* stats, const float* alpha, const float* gs,
                  const float* w_out, float* gz, float* d_alpha, float* d_wout) {
  ColumnSums sum_q(w), sum_qs(w), dal(w), dwo(w);
  for (int64_t p = 0; p < n; ++p) {
    if (gs != nullptr) {
      DiceGradRow<true>(w, z + p * w, stats, stats + w, alpha, w_out, gs[p], gz + p * w, sum_q.row(), sum_qs.row(),
                        dal.row(), dwo.row());
    } else {
      DiceGradRow<false>(w, z + p * w, stats, stats + w, alpha, w_out, 0.f, gz + p * w, sum_q.row(), sum_qs.row(),
                         dal.row(), dwo.row());
    }
    sum_q.Next(), sum_qs.Next(), dal.Next(), dwo.Next();
  }
  ToFloat(dal.Total(), d_alpha);
  if (d_wout != nullptr) ToFloat(dwo.Total(), d_wout);
  const double count = std::max<double>(static_cast<double>(n), 1.0);
  DiceSums c;
  for (double v : sum_q.Total()) c.qc.push_back(static_cast<float>(v / count));
  for (double v : sum_qs.Total()) c.qsc.push_back(static_cast<float>(v / count));
  return c;
}

}  // namespace

int64_t Dims::max_width() const { return widths.empty() ? 0 : *std::max_element(widths.begin(), widths.end()); }

int64_t Pack(const float* mask, int64_t hist, int64_t len, int32_t* offset, int32_t* position) {
  int32_t n = 0;
  offset[0] = 0;
  for (int64_t h = 0; h < hist; ++h) {
    for (int64_t l = 0; l < len; ++l) {
      const float m = mask[h * len + l];
      if (m == 1.f) {
        position[n++] = static_cast<int32_t>(l);
      } else if (m != 0.f) {
        return -1;
      }
    }
    offset[h + 1] = n;
  }
  return n;
}

int64_t SavedFloats(const Dims& d) {
  const int64_t n = d.positions();
  int64_t total = d.entries * d.ext + n * d.emb;
  const auto k = static_cast<int64_t>(d.widths.size());
  for (int64_t i = 0; i < k; ++i) total += n * d.widths[i] * (i + 1 < k ? 2 : 1) + 2 * d.widths[i];
  return total;
}

Saved CarveSaved(const Dims& d, float* arena) {
  const int64_t n = d.positions();
  Saved s;
  s.hx = arena, arena += d.entries * d.ext;
  s.u = arena, arena += n * d.emb;
  const auto k = static_cast<int64_t>(d.widths.size());
  for (int64_t i = 0; i < k; ++i) {
    s.z.push_back(arena), arena += n * d.widths[i];
    if (i + 1 < k) s.a.push_back(arena), arena += n * d.widths[i];
    s.stats.push_back(arena), arena += 2 * d.widths[i];
  }
  return s;
}

int64_t ForwardScratchFloats(const Dims& d) { return (d.entries + d.rows()) * d.widths[0]; }

void Forward(const Dims& d, const int32_t* offset, const int32_t* position, const Params& p, const History& hist,
             const float* t, const Saved& s, float* scratch, float* score) {
  const int64_t n = d.positions(), nh = d.entries, rows = d.rows(), g_n = d.group, e = d.emb, x = d.ext;
  const int64_t a0 = d.widths[0], k = static_cast<int64_t>(d.widths.size());
  float* hist_term = scratch;           // [Nh, A_0]
  float* tgt_term = scratch + nh * a0;  // [B, A_0]

  // Layer 0, factored: gather the real entries, then one GEMM per term.
  for (int64_t h = 0; h < d.hist; ++h) {
    for (int32_t q = offset[h]; q < offset[h + 1]; ++q) {
      const int64_t at = h * d.len + position[q];
      float* row = s.hx + q * x;
      std::memcpy(row, hist.h + at * e, static_cast<size_t>(e) * sizeof(float));
      std::memcpy(row + e, hist.type_table + hist.type[at] * hist.type_dim,
                  static_cast<size_t>(hist.type_dim) * sizeof(float));
      std::memcpy(row + e + hist.type_dim, hist.recency_table + hist.recency[at] * hist.recency_dim,
                  static_cast<size_t>(hist.recency_dim) * sizeof(float));
    }
  }
  Gemm(false, true, nh, a0, x, s.hx, p.w_hist, 0.f, hist_term);
  Gemm(false, true, rows, a0, e, t, p.w_tgt, 0.f, tgt_term);
  std::vector<int32_t> hist_of(static_cast<size_t>(nh));  // entry q -> its history
  for (int64_t h = 0; h < d.hist; ++h) std::fill(hist_of.begin() + offset[h], hist_of.begin() + offset[h + 1], h);

  // Product term and sums, in L2-resident chunks of positions p = q·G + g: u = h ⊙ t, z_0 = u·W_prodᵀ, then
  // z_0 += history term + target term + bias with the statistics taken per block.
  const float* b0 = p.layers[0].bias;
  ColumnMoments moments(a0);
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t nc = std::min(kChunk, n - c0);
    for (int64_t pos = c0; pos < c0 + nc; ++pos) {
      const int64_t q = pos / g_n, r = hist_of[q] * g_n + pos % g_n;
      MulRow(e, s.hx + q * x, t + r * e, s.u + pos * e);
    }
    Gemm(false, true, nc, a0, e, s.u + c0 * e, p.w_prod, 0.f, s.z[0] + c0 * a0);
    for (int64_t b = c0; b < c0 + nc; b += kBlock) {
      const int64_t nb = std::min(kBlock, c0 + nc - b);
      for (int64_t pos = b; pos < b + nb; ++pos) {
        const int64_t q = pos / g_n, r = hist_of[q] * g_n + pos % g_n;
        AddTermsRow(a0, hist_term + q * a0, tgt_term + r * a0, b0, s.z[0] + pos * a0);
      }
      moments.AddBlock(s.z[0] + b * a0, nb);
    }
  }
  moments.Finish(p.layers[0], p.eps, p.momentum, s.stats[0]);

  // Hidden layers i ≥ 1, in chunks of positions that stay in L2: Dice of layer i − 1 (written, the backward needs
  // it), the GEMM, bias + statistics of layer i. The statistics are the only barrier between layers. The last Dice
  // is applied in the scoring pass below.
  for (int64_t i = 1; i < k; ++i) {
    const int64_t w = d.widths[i], w_in = d.widths[i - 1];
    ColumnMoments moments(w);
    for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
      const int64_t nc = std::min(kChunk, n - c0);
      for (int64_t r = c0; r < c0 + nc; ++r) {
        DiceRow<false>(w_in, s.z[i - 1] + r * w_in, s.stats[i - 1], s.stats[i - 1] + w_in, p.layers[i - 1].alpha,
                       nullptr, s.a[i - 1] + r * w_in);
      }
      Gemm(false, true, nc, w, w_in, s.a[i - 1] + c0 * w_in, p.layers[i].weight, 0.f, s.z[i] + c0 * w);
      for (int64_t b0 = c0; b0 < c0 + nc; b0 += kBlock) {
        const int64_t nb = std::min(kBlock, c0 + nc - b0);
        for (int64_t r = b0; r < b0 + nb; ++r) AddRow(w, p.layers[i].bias, s.z[i] + r * w);
        moments.AddBlock(s.z[i] + b0 * w, nb);
      }
    }
    moments.Finish(p.layers[i], p.eps, p.momentum, s.stats[i]);
  }

  // Last Dice + output layer, scattered to [B, L].
  std::fill(score, score + rows * d.len, 0.f);
  const int64_t w = d.widths[k - 1];
  const float* z = s.z[k - 1];
  const float* mean = s.stats[k - 1];
  const float* rstd = mean + w;
  const float* alpha = p.layers[k - 1].alpha;
  std::vector<float> act(static_cast<size_t>(w));
  for (int64_t h = 0; h < d.hist; ++h) {
    for (int32_t q = offset[h]; q < offset[h + 1]; ++q) {
      for (int64_t g = 0; g < g_n; ++g) {
        DiceRow<true>(w, z + (q * g_n + g) * w, mean, rstd, alpha, p.w_out, act.data());
        float sum = 0.f;
        for (int64_t j = 0; j < w; ++j) sum += act[j];
        score[(h * g_n + g) * d.len + position[q]] = sum + p.b_out[0];
      }
    }
  }
}

int64_t BackwardScratchFloats(const Dims& d) {
  const int64_t n = d.positions();
  return 2 * n * d.max_width() + n + d.entries * d.widths[0] + d.rows() * d.widths[0] + n * d.emb +
         d.entries * d.ext;
}

void Backward(const Dims& d, const int32_t* offset, const int32_t* position, const Params& p, const History& hist,
              const float* t, const Saved& s, const float* grad_score, const Grads& out, float* scratch) {
  const int64_t n = d.positions(), nh = d.entries, rows = d.rows(), g_n = d.group, e = d.emb, x = d.ext;
  const int64_t a0 = d.widths[0], k = static_cast<int64_t>(d.widths.size()), wide = d.max_width();
  float* cur = scratch;                 // [N, ≤ A_max]: gradient of the current layer's z (then a)
  float* other = cur + n * wide;        // the other half of the ping-pong
  float* gs = other + n * wide;         // [N] packed grad_score
  float* g_hist = gs + n;               // [Nh, A_0]
  float* g_tgt = g_hist + nh * a0;      // [B, A_0]
  float* g_u = g_tgt + rows * a0;       // [N, E]
  float* g_hx = g_u + n * e;            // [Nh, X]

  for (int64_t h = 0; h < d.hist; ++h) {
    for (int32_t q = offset[h]; q < offset[h + 1]; ++q) {
      for (int64_t g = 0; g < g_n; ++g) gs[q * g_n + g] = grad_score[(h * g_n + g) * d.len + position[q]];
    }
  }
  double d_bout = 0;
  for (int64_t i = 0; i < n; ++i) d_bout += gs[i];
  out.b_out[0] = static_cast<float>(d_bout);

  for (int64_t i = k - 1; i >= 0; --i) {
    const int64_t w = d.widths[i];
    const Layer& layer = p.layers[i];
    const bool last = i == k - 1;
    const DiceSums c = DiceGrad(s.z[i], n, w, s.stats[i], layer.alpha, last ? gs : nullptr, last ? p.w_out : nullptr,
                                cur, out.alpha[i], last ? out.w_out : nullptr);
    const float* mean = s.stats[i];
    const float* rstd = mean + w;
    ColumnSums dbias(w);
    if (i > 0) {
      for (int64_t r = 0; r < n; ++r) {
        DiceFinishRow(w, s.z[i] + r * w, mean, rstd, c.qc.data(), c.qsc.data(), cur + r * w, dbias.row());
        dbias.Next();
      }
      ToFloat(dbias.Total(), out.bias[i]);
      Gemm(true, false, w, d.widths[i - 1], n, cur, s.a[i - 1], 0.f, out.weight[i]);
      Gemm(false, false, n, d.widths[i - 1], w, cur, layer.weight, 0.f, other);
      std::swap(cur, other);
      continue;
    }
    // Layer 0: finish dz and reduce it per history entry (the history term) and per row (the target term).
    std::fill(g_tgt, g_tgt + rows * a0, 0.f);
    for (int64_t h = 0; h < d.hist; ++h) {
      for (int32_t q = offset[h]; q < offset[h + 1]; ++q) {
        float* gh = g_hist + q * a0;
        std::fill(gh, gh + a0, 0.f);
        for (int64_t g = 0; g < g_n; ++g) {
          float* gr = cur + (q * g_n + g) * a0;
          DiceFinishRow(a0, s.z[0] + (q * g_n + g) * a0, mean, rstd, c.qc.data(), c.qsc.data(), gr, dbias.row());
          dbias.Next();
          AddRow(a0, gr, gh);
          AddRow(a0, gr, g_tgt + (h * g_n + g) * a0);
        }
      }
    }
    ToFloat(dbias.Total(), out.bias[0]);
  }

  // Factored first layer's weights and inputs.
  const float* g_z0 = cur;
  Gemm(true, false, a0, e, n, g_z0, s.u, 0.f, out.w_prod);
  Gemm(false, false, n, e, a0, g_z0, p.w_prod, 0.f, g_u);
  Gemm(true, false, a0, x, nh, g_hist, s.hx, 0.f, out.w_hist);
  Gemm(false, false, nh, x, a0, g_hist, p.w_hist, 0.f, g_hx);
  Gemm(true, false, a0, e, rows, g_tgt, t, 0.f, out.w_tgt);
  Gemm(false, false, rows, e, a0, g_tgt, p.w_tgt, 0.f, out.t);
  for (int64_t h = 0; h < d.hist; ++h) {
    for (int32_t q = offset[h]; q < offset[h + 1]; ++q) {
      for (int64_t g = 0; g < g_n; ++g) {
        ProductGradRow(e, g_u + (q * g_n + g) * e, s.hx + q * x, t + (h * g_n + g) * e, g_hx + q * x,
                       out.t + (h * g_n + g) * e);
      }
    }
  }
  // Scatter to h and accumulate the small tables' rows (row 0 is padding_idx: no gradient).
  const int64_t dt = hist.type_dim, dr = hist.recency_dim;
  std::fill(out.h, out.h + d.hist * d.len * e, 0.f);
  std::fill(out.type_table, out.type_table + hist.type_rows * dt, 0.f);
  std::fill(out.recency_table, out.recency_table + hist.recency_rows * dr, 0.f);
  for (int64_t h = 0; h < d.hist; ++h) {
    for (int32_t q = offset[h]; q < offset[h + 1]; ++q) {
      const int64_t at = h * d.len + position[q];
      const float* gq = g_hx + q * x;
      std::memcpy(out.h + at * e, gq, static_cast<size_t>(e) * sizeof(float));
      if (hist.type[at] != 0) AddRow(dt, gq + e, out.type_table + hist.type[at] * dt);
      if (hist.recency[at] != 0) AddRow(dr, gq + e + dt, out.recency_table + hist.recency[at] * dr);
    }
  }
}

void PoolForward(int64_t hist, int64_t group, int64_t len, int64_t emb, const float* weight, const float* h,
                 float* pooled) {
  for (int64_t hh = 0; hh < hist; ++hh) {
    for (int64_t g = 0; g < group; ++g) {
      const int64_t r = hh * group + g;
      float* out = pooled + r * emb;
      std::fill(out, out + emb, 0.f);
      for (int64_t l = 0; l < len; ++l) AxpyRow(emb, weight[r * len + l], h + (hh * len + l) * emb, out);
    }
  }
}

void PoolBackward(int64_t hist, int64_t group, int64_t len, int64_t emb, const float* weight, const float* h,
                  const float* grad_pooled, float* grad_weight, float* grad_h) {
  std::fill(grad_h, grad_h + hist * len * emb, 0.f);
  for (int64_t hh = 0; hh < hist; ++hh) {
    for (int64_t g = 0; g < group; ++g) {
      const int64_t r = hh * group + g;
      const float* gp = grad_pooled + r * emb;
      for (int64_t l = 0; l < len; ++l) {
        const float* hl = h + (hh * len + l) * emb;
        grad_weight[r * len + l] = Dot(emb, gp, hl);
        AxpyRow(emb, weight[r * len + l], gp, grad_h + (hh * len + l) * emb);
      }
    }
  }
}

}  // namespace reco::nn::din_attention
