// Conv's fast paths against a naive reference (double accumulation): Winograd F(2x2, 3x3) (conv_winograd.h),
// the direct kernel with a fused 2x2 max pool (conv_direct.h), and the Conv[+Relu] -> MaxPool fusion pass
// (fuse_conv_pool.h) through a Session on every conv path (Winograd, direct, strided im2col, 1x1, grouped), with
// the shapes where pooling floors (odd output sizes), padding, batch 1 and > 1, with and without bias and Relu,
// NaN propagation, and the MaxPools that must not be fused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "engine/kernels/conv_direct.h"
#include "engine/kernels/conv_winograd.h"
#include "engine/session.h"
#include "malloc_counter.h"
#include "tiny_model.h"

namespace reco::engine {
namespace {

using testing::AttrInt;
using testing::AttrInts;
using testing::RandomFloats;

struct ConvCase {
  int64_t n, c, m, h, w, k = 3;
  int64_t pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0, stride = 1, group = 1;
  bool bias = true, relu = true, pool = false;
  std::string Name() const {
    return "n" + std::to_string(n) + " c" + std::to_string(c) + " m" + std::to_string(m) + " " + std::to_string(h) +
           "x" + std::to_string(w) + " k" + std::to_string(k) + " pads " + std::to_string(pad_t) + std::to_string(pad_l) +
           std::to_string(pad_b) + std::to_string(pad_r) + " s" + std::to_string(stride) + " g" + std::to_string(group) +
           (bias ? " bias" : "") + (relu ? " relu" : "") + (pool ? " pool" : "");
  }
  int64_t oh() const { return (h + pad_t + pad_b - k) / stride + 1; }
  int64_t ow() const { return (w + pad_l + pad_r - k) / stride + 1; }
  int64_t yh() const { return pool ? oh() / 2 : oh(); }
  int64_t yw() const { return pool ? ow() / 2 : ow(); }
};

float MaxNaN(float a, float b) { return a > b || a != a ? a : b; }

// Y and, per element, the sum of |terms| of the dot products it came from (the scale rounding errors live on).
struct Reference {
  std::vector<float> y, scale;
};
Reference NaiveConv(const ConvCase& t, const std::vector<float>& x, const std::vector<float>& w,
                    const std::vector<float>& b) {
  const int64_t oh = t.oh(), ow = t.ow(), cg = t.c / t.group, mg = t.m / t.group;
  std::vector<float> full(t.n * t.m * oh * ow), full_scale(full.size());
  for (int64_t i = 0; i < t.n; ++i) {
    for (int64_t o = 0; o < t.m; ++o) {
      const int64_t g = o / mg;
      for (int64_t r = 0; r < oh; ++r) {
        for (int64_t col = 0; col < ow; ++col) {
          double s = t.bias ? b[o] : 0.0, a = t.bias ? std::fabs(b[o]) : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci) {
            for (int64_t kh = 0; kh < t.k; ++kh) {
              for (int64_t kw = 0; kw < t.k; ++kw) {
                const int64_t ih = r * t.stride - t.pad_t + kh, iw = col * t.stride - t.pad_l + kw;
                if (ih < 0 || ih >= t.h || iw < 0 || iw >= t.w) continue;
                const double xv = x[((i * t.c + g * cg + ci) * t.h + ih) * t.w + iw];
                const double wv = w[((o * cg + ci) * t.k + kh) * t.k + kw];
                s += xv * wv;
                a += std::fabs(xv * wv);
              }
            }
          }
          float v = static_cast<float>(s);
          if (t.relu) v = v > 0.f ? v : (v == v ? 0.f : v);
          full[((i * t.m + o) * oh + r) * ow + col] = v;
          full_scale[((i * t.m + o) * oh + r) * ow + col] = static_cast<float>(a);
        }
      }
    }
  }
  if (!t.pool) return {full, full_scale};
  const int64_t ph = oh / 2, pw = ow / 2;
  Reference out{std::vector<float>(t.n * t.m * ph * pw), std::vector<float>(t.n * t.m * ph * pw)};
  for (int64_t p = 0; p < t.n * t.m; ++p) {
    for (int64_t r = 0; r < ph; ++r) {
      for (int64_t col = 0; col < pw; ++col) {
        float v = -std::numeric_limits<float>::infinity(), a = 0.f;
        for (int64_t dr = 0; dr < 2; ++dr) {
          for (int64_t dc = 0; dc < 2; ++dc) {
            const int64_t idx = (p * oh + 2 * r + dr) * ow + 2 * col + dc;
            v = MaxNaN(v, full[idx]);
            a = std::max(a, full_scale[idx]);
          }
        }
        out.y[(p * ph + r) * pw + col] = v;
        out.scale[(p * ph + r) * pw + col] = a;
      }
    }
  }
  return out;
}

void ExpectClose(const Reference& ref, const float* y, size_t n, const std::string& what) {
  ASSERT_EQ(ref.y.size(), n) << what;
  int bad = 0;
  for (size_t i = 0; i < n && bad < 5; ++i) {
    const float e = ref.y[i];
    if (std::isnan(e) || std::isnan(y[i])) {
      if (std::isnan(e) != std::isnan(y[i])) {
        ADD_FAILURE() << what << " [" << i << "]: got " << y[i] << ", want " << e;
        ++bad;
      }
      continue;
    }
    // Float rounding of a sum of terms is bounded by a few ulps of the sum of their magnitudes; the Winograd
    // transforms add a small constant factor.
    const float tol = 2e-6f * ref.scale[i] + 1e-6f;
    if (std::fabs(y[i] - e) > tol) {
      ADD_FAILURE() << what << " [" << i << "]: got " << y[i] << ", want " << e << " (tol " << tol << ")";
      ++bad;
    }
  }
}

Window3 WindowOf(const ConvCase& t) {
  WindowAttrs a;
  a.pads = {t.pad_t, t.pad_l, t.pad_b, t.pad_r};
  a.strides = {t.stride, t.stride};
  Window3 win;
  EXPECT_EQ(ResolveWindow(a, {t.h, t.w}, {t.k, t.k}, &win), "");
  return win;
}

// 64-byte aligned scratch, filled with NaN so a read of memory the kernel never wrote shows up in Y.
struct Scratch {
  explicit Scratch(size_t bytes) : buf(bytes / sizeof(float) + 16, std::numeric_limits<float>::quiet_NaN()) {}
  float* get() {
    auto p = reinterpret_cast<uintptr_t>(buf.data());
    return reinterpret_cast<float*>((p + 63) / 64 * 64);
  }
  std::vector<float> buf;
};

std::vector<ConvCase> Cases(bool winograd_only) {
  std::vector<ConvCase> cases;
  uint32_t pick = 0;
  const int64_t sizes[][2] = {{3, 3}, {4, 5}, {5, 4}, {7, 7}, {8, 8}, {13, 13}, {6, 11}, {28, 9}};
  const int64_t channels[][2] = {{1, 1}, {3, 5}, {8, 16}, {17, 19}, {32, 64}};
  for (const auto& hw : sizes) {
    for (const auto& cm : channels) {
      for (int pads = 0; pads < 3; ++pads) {
        ConvCase t{(pick % 3 == 0) ? 3 : 1, cm[0], cm[1], hw[0], hw[1]};
        if (pads == 1) t.pad_t = t.pad_l = t.pad_b = t.pad_r = 1;
        if (pads == 2) { t.pad_t = 1; t.pad_r = 2; }
        t.bias = pick % 2 == 0;
        t.relu = pick % 4 < 2;
        t.pool = (pick / 2) % 2 == 0;
        ++pick;
        if (t.oh() < 1 || t.ow() < 1) continue;
        if (!winograd_only && cm[0] % 2 == 0 && cm[1] % 2 == 0 && pick % 5 == 0) t.group = 2;
        cases.push_back(t);
      }
    }
  }
  return cases;
}

struct Data {
  std::vector<float> x, w, b;
};
Data MakeData(const ConvCase& t, uint32_t seed) {
  return {RandomFloats(t.n * t.c * t.h * t.w, seed), RandomFloats(t.m * (t.c / t.group) * t.k * t.k, seed + 1),
          RandomFloats(t.m, seed + 2)};
}

// Runs `body` once with the CPU's widest kernels and once with the AVX2 ones forced (the same on AVX2-only CPUs).
template <typename F>
void ForEachIsa(F body) {
  for (bool force_avx2 : {false, true}) {
    SCOPED_TRACE(force_avx2 ? "AVX2 forced" : "widest ISA");
    internal::SetWinogradForceAvx2ForTesting(force_avx2);
    internal::SetDirectConvForceAvx2ForTesting(force_avx2);
    body();
  }
  internal::SetWinogradForceAvx2ForTesting(false);
  internal::SetDirectConvForceAvx2ForTesting(false);
}

TEST(ConvFastPathsTest, WinogradMatchesNaiveConv) {
  ForEachIsa([] {
    uint32_t seed = 100;
    for (ConvCase t : Cases(true)) {
      const Window3 win = WindowOf(t);
      if (!WinogradApplies(win, t.group)) GTEST_SKIP() << "no AVX2+FMA";
      for (bool pool : {false, true}) {
        t.pool = pool;
        const Data d = MakeData(t, seed += 3);
        auto wts = PackWinogradWeights(d.w.data(), t.m, t.c);
        const WinogradPlan plan = MakeWinogradPlan(win, t.c, t.m, pool);
        Scratch scratch(plan.scratch_bytes());
        std::vector<float> y(t.n * t.m * t.yh() * t.yw(), -7.f);
        Activation act;
        if (t.relu) act.kind = Activation::Kind::kRelu;
        RunWinogradConv(plan, *wts, t.n, d.x.data(), t.bias ? d.b.data() : nullptr, act, y.data(), scratch.get());
        ExpectClose(NaiveConv(t, d.x, d.w, d.b), y.data(), y.size(), "winograd " + t.Name());
      }
    }
  });
}

TEST(ConvFastPathsTest, WinogradAppliesOnlyTo3x3Stride1Undilated) {
  ConvCase t{1, 8, 16, 9, 9};
  EXPECT_FALSE(WinogradApplies(WindowOf(t), 2));
  t.stride = 2;
  EXPECT_FALSE(WinogradApplies(WindowOf(t), 1));
  t.stride = 1;
  t.k = 5;
  EXPECT_FALSE(WinogradApplies(WindowOf(t), 1));
}

TEST(ConvFastPathsTest, DirectConvMatchesNaiveConv) {
  ForEachIsa([] {
    uint32_t seed = 500;
    for (ConvCase t : Cases(false)) {
      t.pool = !t.pool;  // Cases() alternates pool; flip it so both appear here too
      const Window3 win = WindowOf(t);
      if (!DirectConvApplies(win)) GTEST_SKIP() << "no AVX2+FMA";
      const Data d = MakeData(t, seed += 3);
      const int64_t kdim = t.c / t.group * t.k * t.k;
      const std::vector<float> packed = PackDirectConvWeights(d.w.data(), t.m, t.group, kdim);
      const DirectConvPlan plan = MakeDirectConvPlan(win, t.c, t.m, t.group, true, t.pool);
      Scratch scratch(plan.scratch_bytes());
      std::vector<float> y(t.n * t.m * t.yh() * t.yw(), -7.f);
      Activation act;
      if (t.relu) act.kind = Activation::Kind::kRelu;
      RunDirectConv(plan, t.n, d.x.data(), d.w.data(), packed.data(), t.bias ? d.b.data() : nullptr, act, y.data(),
                    scratch.get());
      ExpectClose(NaiveConv(t, d.x, d.w, d.b), y.data(), y.size(), "direct " + t.Name());
    }
  });
}

// Conv [+Relu] -> MaxPool(2x2, s2) as an ONNX model.
std::string ConvPoolModel(const ConvCase& t, const Data& d, const std::vector<onnx::AttributeProto>& pool_attrs,
                          bool conv_output_is_graph_output = false, bool with_indices = false) {
  testing::TinyModel m(13);
  m.Input("x", DType::kFloat32, {-1, t.c, t.h, t.w})
      .Init<float>("w", {t.m, t.c / t.group, t.k, t.k}, d.w);
  std::vector<std::string> conv_in = {"x", "w"};
  if (t.bias) {
    m.Init<float>("b", {t.m}, d.b);
    conv_in.push_back("b");
  }
  m.Node("Conv", conv_in, {"conv"},
         {AttrInts("pads", {t.pad_t, t.pad_l, t.pad_b, t.pad_r}), AttrInts("strides", {t.stride, t.stride}),
          AttrInt("group", t.group)},
         "conv");
  std::string pooled_in = "conv";
  if (t.relu) {
    m.Node("Relu", {"conv"}, {"act"});
    pooled_in = "act";
  }
  std::vector<std::string> outs = {"y"};
  if (with_indices) outs.push_back("idx");
  m.Node("MaxPool", {pooled_in}, outs, pool_attrs, "pool").Output("y", DType::kFloat32, {-1, t.m, -1, -1});
  if (with_indices) m.Output("idx", DType::kInt64, {-1, t.m, -1, -1});
  if (conv_output_is_graph_output) m.Output(pooled_in, DType::kFloat32, {-1, t.m, t.oh(), t.ow()});
  return m.Bytes();
}

std::vector<onnx::AttributeProto> Pool2x2() {
  return {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInts("pads", {0, 0, 0, 0})};
}

struct RunResult {
  std::string plan;
  std::vector<float> y;
};
RunResult RunModel(const std::string& bytes, const Tensor& x, bool fusion) {
  SessionOptions o;
  o.fusion = fusion;
  auto s = Session::LoadFromBytes(bytes, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  RunResult r;
  r.plan = (*s)->DescribePlan(std::vector<Shape>{x.shape()}).value();
  const std::vector<NamedView> in = {{"x", x.view()}};
  auto out = (*s)->Run(in);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  if (!out.ok()) return r;
  const Tensor& y = (*out)[0].tensor;
  r.y.assign(y.data<float>(), y.data<float>() + y.num_elements());
  return r;
}

// Each session path: Winograd (C >= 8, M >= 16, 3x3), direct (small C or grouped), im2col (strided), 1x1.
TEST(ConvFastPathsTest, FusedConvReluMaxPoolMatchesNaiveConvOnEveryPath) {
  std::vector<ConvCase> cases = {
      {3, 32, 64, 13, 13},                                      // the CNN's conv2 (Winograd)
      {1, 1, 32, 28, 28},                                       // the CNN's conv1 (direct)
      {2, 8, 16, 10, 9, 3, 1, 1, 1, 1},                         // Winograd, padded, odd width
      {1, 4, 6, 9, 12, 3, 0, 1, 0, 0, 1, 2, false, true},       // grouped (direct), no bias
      {2, 5, 7, 15, 11, 3, 1, 1, 1, 1, 2, 1, true, false},      // strided (im2col), no Relu
      {1, 6, 10, 7, 8, 1, 0, 0, 0, 0, 1, 1, true, true},        // 1x1 (GEMM on X)
      {2, 3, 5, 9, 9, 5, 2, 2, 2, 2},                           // 5x5 (direct)
      {1, 8, 16, 200, 200},  // Winograd-eligible, but its scratch would exceed 8 MB: direct
  };
  uint32_t seed = 900;
  for (ConvCase t : cases) {
    t.pool = true;
    const Data d = MakeData(t, seed += 3);
    Tensor x = Tensor::FromVector<float>(Shape{t.n, t.c, t.h, t.w}, d.x);
    const RunResult fused = RunModel(ConvPoolModel(t, d, Pool2x2()), x, true);
    EXPECT_NE(fused.plan.find(t.relu ? "Conv+Relu+MaxPool 'conv'" : "Conv+MaxPool 'conv'"), std::string::npos)
        << fused.plan;
    EXPECT_EQ(fused.plan.find("MaxPool 'pool'"), std::string::npos) << fused.plan;
    ExpectClose(NaiveConv(t, d.x, d.w, d.b), fused.y.data(), fused.y.size(), "session " + t.Name());
  }
}

TEST(ConvFastPathsTest, FusedPoolPropagatesNaN) {
  for (ConvCase t : {ConvCase{2, 16, 16, 9, 9}, ConvCase{1, 2, 4, 9, 9}, ConvCase{1, 3, 4, 11, 11, 3, 0, 0, 0, 0, 2}}) {
    t.pool = true;
    Data d = MakeData(t, 77);
    d.x[5 * t.w + 4] = std::numeric_limits<float>::quiet_NaN();  // image 0, channel 0
    d.x[d.x.size() - 1] = std::numeric_limits<float>::quiet_NaN();
    Tensor x = Tensor::FromVector<float>(Shape{t.n, t.c, t.h, t.w}, d.x);
    const RunResult fused = RunModel(ConvPoolModel(t, d, Pool2x2()), x, true);
    const RunResult unfused = RunModel(ConvPoolModel(t, d, Pool2x2()), x, false);
    ASSERT_EQ(fused.y.size(), unfused.y.size());
    int nans = 0;
    for (size_t i = 0; i < fused.y.size(); ++i) {
      EXPECT_EQ(std::isnan(fused.y[i]), std::isnan(unfused.y[i])) << t.Name() << " [" << i << "]";
      nans += std::isnan(fused.y[i]);
    }
    EXPECT_GT(nans, 0) << t.Name();
    ExpectClose(NaiveConv(t, d.x, d.w, d.b), fused.y.data(), fused.y.size(), "nan " + t.Name());
  }
}

TEST(ConvFastPathsTest, MaxPoolsThatAreNotPlain2x2StayUnfused) {
  ConvCase t{1, 3, 4, 10, 10};
  const Data d = MakeData(t, 5);
  Tensor x = Tensor::FromVector<float>(Shape{t.n, t.c, t.h, t.w}, d.x);
  const std::vector<std::vector<onnx::AttributeProto>> pools = {
      {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {2, 2})},
      {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {1, 1})},
      {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInts("pads", {1, 1, 0, 0})},
      {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInt("ceil_mode", 1)},
      {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInts("dilations", {2, 2})},
  };
  for (const auto& attrs : pools) {
    const RunResult r = RunModel(ConvPoolModel(t, d, attrs), x, true);
    EXPECT_NE(r.plan.find("MaxPool 'pool'"), std::string::npos) << r.plan;
  }
  // The conv's output is also read elsewhere; or MaxPool's Indices output is used.
  EXPECT_NE(RunModel(ConvPoolModel(t, d, Pool2x2(), true), x, true).plan.find("MaxPool 'pool'"), std::string::npos);
  EXPECT_NE(RunModel(ConvPoolModel(t, d, Pool2x2(), false, true), x, true).plan.find("MaxPool 'pool'"),
            std::string::npos);
}

// The CNN's two fused blocks (direct conv1 pooled in registers, Winograd conv2 pooled per tile): warm runs on a
// RunContext touch no heap.
TEST(ConvFastPathsTest, WarmFusedConvRunsDoNotAllocate) {
  if (!reco::testing::kAllocHook) GTEST_SKIP() << "allocation hook is off under AddressSanitizer";
  testing::TinyModel m(13);
  m.Input("x", DType::kFloat32, {-1, 1, 28, 28})
      .Init<float>("w1", {32, 1, 3, 3}, RandomFloats(32 * 9, 1))
      .Init<float>("b1", {32}, RandomFloats(32, 2))
      .Init<float>("w2", {64, 32, 3, 3}, RandomFloats(64 * 32 * 9, 3, -0.2f, 0.2f))
      .Init<float>("b2", {64}, RandomFloats(64, 4))
      .Node("Conv", {"x", "w1", "b1"}, {"c1"})
      .Node("Relu", {"c1"}, {"r1"})
      .Node("MaxPool", {"r1"}, {"p1"}, Pool2x2())
      .Node("Conv", {"p1", "w2", "b2"}, {"c2"})
      .Node("Relu", {"c2"}, {"r2"})
      .Node("MaxPool", {"r2"}, {"y"}, Pool2x2())
      .Output("y", DType::kFloat32, {-1, 64, 5, 5});
  auto s = Session::LoadFromBytes(m.Bytes());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  {
    const long before = reco::testing::MallocCalls();
    auto* probe = new std::vector<int>(100);
    const long allocs = reco::testing::MallocCalls() - before;
    delete probe;
    ASSERT_GE(allocs, 1);  // the hook counts in this binary, so the zero below means something
  }
  RunContext ctx;
  for (int64_t batch : {1, 4}) {
    Tensor x = Tensor::FromVector<float>(Shape{batch, 1, 28, 28}, RandomFloats(batch * 784, 5, 0.f, 1.f));
    const NamedView inputs[] = {{"x", x.view()}};
    ASSERT_TRUE((*s)->Run(inputs, &ctx).ok());  // cold: plans and sizes the arena
    const long before = reco::testing::MallocCalls();
    Status st;
    for (int i = 0; i < 20; ++i) st = (*s)->Run(inputs, &ctx);
    const long allocs = reco::testing::MallocCalls() - before;
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(allocs, 0) << "heap allocations in 20 warm runs at batch " << batch;
    EXPECT_EQ(ctx.output("y")->shape, (Shape{batch, 64, 5, 5}));
  }
}

}  // namespace
}  // namespace reco::engine
