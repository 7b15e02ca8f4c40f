// Numpy-style multidirectional broadcasting for elementwise kernels (engine-internal).
//
// Contract: BroadcastShape() computes the result shape or fails naming both shapes. ForEachBroadcast() walks the
// output in row-major order and hands each innermost run to `body(out_offset, in_offsets[], in_strides[], n)`
// where in_strides are 0 (broadcast) or 1 along that run — so callers write three tight loops (same shape,
// scalar left, scalar right) the compiler vectorises. Never allocates (fixed arrays of Shape::kMaxRank).
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>

#include "core/status.h"
#include "engine/tensor.h"

namespace reco::engine {

StatusOr<Shape> BroadcastShape(const Shape& a, const Shape& b);

// Strides (in elements) of `in` viewed as broadcast to `out` (0 where broadcast). `in` rank <= out rank.
void BroadcastStrides(const Shape& in, const Shape& out, int64_t* strides);

// Visits runs of the innermost output dim. N inputs (N <= 3).
template <int N, typename Body>
void ForEachBroadcast(const Shape& out, const std::array<const Shape*, N>& ins, Body body) {
  const int r = out.rank();
  const int64_t total = out.num_elements();
  if (total == 0) return;
  if (r == 0) {
    std::array<int64_t, N> off{};
    std::array<int64_t, N> st{};
    body(int64_t{0}, off, st, int64_t{1});
    return;
  }
  int64_t strides[N][Shape::kMaxRank];
  for (int k = 0; k < N; ++k) BroadcastStrides(*ins[k], out, strides[k]);
  const int64_t inner = out[r - 1];
  std::array<int64_t, N> inner_stride;
  for (int k = 0; k < N; ++k) inner_stride[k] = strides[k][r - 1];
  int64_t idx[Shape::kMaxRank] = {};
  std::array<int64_t, N> off{};
  for (int64_t out_off = 0; out_off < total; out_off += inner) {
    body(out_off, off, inner_stride, inner);
    // Advance the outer multi-index (dims 0..r-2).
    for (int d = r - 2; d >= 0; --d) {
      ++idx[d];
      for (int k = 0; k < N; ++k) off[k] += strides[k][d];
      if (idx[d] < out[d]) break;
      for (int k = 0; k < N; ++k) off[k] -= strides[k][d] * idx[d];
      idx[d] = 0;
    }
  }
}

// out[i] = f(a[i], b[i]) with broadcasting and fast paths for equal shapes and scalars.
template <typename TA, typename TB, typename TO, typename F>
void BinaryBroadcast(const TensorView& a, const TensorView& b, const TensorView& out, F f) {
  const TA* pa = a.data_as<TA>();
  const TB* pb = b.data_as<TB>();
  TO* po = out.data_as<TO>();
  const int64_t n = out.num_elements();
  const int64_t na = a.num_elements(), nb = b.num_elements();
  if (na == n && nb == n) {
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return;
  }
  if (nb == 1 && na == n) {
    const TB s = pb[0];
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], s);
    return;
  }
  if (na == 1 && nb == n) {
    const TA s = pa[0];
    for (int64_t i = 0; i < n; ++i) po[i] = f(s, pb[i]);
    return;
  }
  ForEachBroadcast<2>(out.shape, {&a.shape, &b.shape},
                      [&](int64_t o, const std::array<int64_t, 2>& off, const std::array<int64_t, 2>& st, int64_t len) {
                        const TA* x = pa + off[0];
                        const TB* y = pb + off[1];
                        TO* z = po + o;
                        if (st[0] == 1 && st[1] == 1) {
                          for (int64_t i = 0; i < len; ++i) z[i] = f(x[i], y[i]);
                        } else if (st[0] == 1) {
                          const TB s = y[0];
                          for (int64_t i = 0; i < len; ++i) z[i] = f(x[i], s);
                        } else if (st[1] == 1) {
                          const TA s = x[0];
                          for (int64_t i = 0; i < len; ++i) z[i] = f(s, y[i]);
                        } else {
                          const TO v = f(x[0], y[0]);
                          for (int64_t i = 0; i < len; ++i) z[i] = v;
                        }
                      });
}

}  // namespace reco::engine
