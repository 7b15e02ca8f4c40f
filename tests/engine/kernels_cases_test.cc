// Single-op cases for the compute kernel families (Gemm/MatMul, Conv, pools, norms, reduce, softmax) that the ONNX
// backend tests do not reach: pre-opset-13 forms (Softmax's 2-D coercion, ReduceSum's axes attribute), Gemm-7's C
// broadcast, 1-D grouped Conv, AveragePool ceil_mode + count_include_pad, NaN propagation, empty batches, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/session.h"
#include "engine/tiny_model.h"

namespace reco::engine {
namespace {

using testing::AttrFloat;
using testing::AttrInt;
using testing::AttrInts;

struct In {
  std::string name;
  Shape shape;
  std::vector<float> values;
};

// Runs a one-node model (inputs all float graph inputs, one output `Y` of `out_type`) and returns the output
// values as doubles, or the error.
StatusOr<std::vector<double>> RunOne(const std::string& op, int opset, const std::vector<onnx::AttributeProto>& attrs,
                                     const std::vector<In>& inputs, Shape* out_shape = nullptr,
                                     DType out_type = DType::kFloat32) {
  testing::TinyModel m(opset);
  std::vector<std::string> names;
  for (const In& in : inputs) {
    std::vector<int64_t> dims(in.shape.dims().begin(), in.shape.dims().end());
    m.Input(in.name, DType::kFloat32, dims);
    names.push_back(in.name);
  }
  m.Node(op, names, {"Y"}, attrs);
  auto* out = m.proto().mutable_graph()->add_output();
  out->set_name("Y");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(DTypeToOnnx(out_type));
  SessionOptions opts;
  opts.validate_with_onnx_checker = false;  // the output has no declared shape; the kernels infer it
  ASSIGN_OR_RETURN(auto session, Session::LoadFromBytes(m.Bytes(), opts));
  std::vector<NamedView> views;
  for (const In& in : inputs) views.push_back({in.name, TensorView(DType::kFloat32, in.shape, in.values.data())});
  RunContext ctx;
  RETURN_IF_ERROR(session->Run(views, &ctx));
  const TensorView* y = ctx.output("Y");
  if (out_shape) *out_shape = y->shape;
  std::vector<double> v;
  for (int64_t i = 0; i < y->num_elements(); ++i) {
    v.push_back(out_type == DType::kInt64 ? static_cast<double>(y->data_as<int64_t>()[i]) : y->data_as<float>()[i]);
  }
  return v;
}

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

TEST(SoftmaxCases, Opset11CoercesTo2DWhileOpset13UsesOneAxis) {
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};  // [1, 2, 3]
  auto old = RunOne("Softmax", 11, {AttrInt("axis", 1)}, {{"X", Shape{1, 2, 3}, x}});
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  double z = 0;
  for (float v : x) z += std::exp(v);
  std::vector<double> want_old;
  for (float v : x) want_old.push_back(std::exp(v) / z);  // one row of 6
  ExpectNear(*old, want_old);
  auto now = RunOne("Softmax", 13, {AttrInt("axis", 1)}, {{"X", Shape{1, 2, 3}, x}});
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  // Along axis 1 (length 2): pairs (x[j], x[j+3]).
  for (int j = 0; j < 3; ++j) {
    const double s = std::exp(x[j]) + std::exp(x[j + 3]);
    EXPECT_NEAR((*now)[j], std::exp(x[j]) / s, 1e-6);
    EXPECT_NEAR((*now)[j + 3], std::exp(x[j + 3]) / s, 1e-6);
  }
}

TEST(SoftmaxCases, LogSoftmaxOfLargeValuesStaysFinite) {
  auto y = RunOne("LogSoftmax", 13, {}, {{"X", Shape{1, 3}, {1000.f, 1001.f, 1002.f}}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  const double ls = std::log(std::exp(-2.0) + std::exp(-1.0) + 1.0);
  ExpectNear(*y, {-2 - ls, -1 - ls, -ls}, 1e-4);
}

TEST(ReduceCases, ReduceSumAxesAttributeBeforeOpset13) {
  Shape s;
  auto y = RunOne("ReduceSum", 11, {AttrInts("axes", {0}), AttrInt("keepdims", 0)},
                  {{"X", Shape{2, 3}, {1, 2, 3, 10, 20, 30}}}, &s);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(s, (Shape{3}));
  ExpectNear(*y, {11, 22, 33});
}

TEST(ReduceCases, ReduceMaxPropagatesNaNAndMeanOfAllAxes) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto mx = RunOne("ReduceMax", 13, {AttrInts("axes", {1})}, {{"X", Shape{2, 2}, {1, nan, 3, 4}}});
  ASSERT_TRUE(mx.ok()) << mx.status().ToString();
  EXPECT_TRUE(std::isnan((*mx)[0]));
  EXPECT_EQ((*mx)[1], 4);
  auto mean = RunOne("ReduceMean", 13, {}, {{"X", Shape{2, 2}, {1, 2, 3, 6}}});
  ASSERT_TRUE(mean.ok());
  ExpectNear(*mean, {3});
}

// The kernel has two paths: row accumulation when the reduced axes form one contiguous run once size-1 axes are
// dropped, and a strided walk otherwise. Every axis pattern below is checked against a naive reference.
TEST(ReduceCases, EveryAxisPatternMatchesANaiveReference) {
  const std::vector<int64_t> dims = {3, 4, 1, 5, 2};
  std::vector<float> x(120);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 23) - 11.0f + 0.25f * static_cast<float>(i % 3);
  const std::vector<std::vector<int64_t>> axis_sets = {{1}, {1, 2, 3}, {0, 2, 4}, {3, 4}, {0, 1}, {}, {2}, {-1}, {0, 4}};
  for (const std::string op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"}) {
    for (const auto& axes : axis_sets) {
      bool reduced[5] = {};
      for (int64_t a : axes) reduced[a < 0 ? a + 5 : a] = true;
      if (axes.empty()) std::fill(std::begin(reduced), std::end(reduced), true);
      // Naive reference: for each input element, its output index with reduced axes collapsed to 0.
      int64_t out_dims[5], n_out = 1;
      for (int d = 0; d < 5; ++d) n_out *= (out_dims[d] = reduced[d] ? 1 : dims[d]);
      std::vector<double> sum(n_out, 0), mx(n_out, -1e30), mn(n_out, 1e30);
      std::vector<int> count(n_out, 0);
      for (int64_t i = 0; i < 120; ++i) {
        int64_t rem = i, o = 0, stride = 1;
        for (int d = 4; d >= 0; --d) {
          const int64_t c = rem % dims[d];
          rem /= dims[d];
          if (!reduced[d]) o += c * stride;
          stride *= out_dims[d];
        }
        sum[o] += x[i], mx[o] = std::max(mx[o], double(x[i])), mn[o] = std::min(mn[o], double(x[i])), ++count[o];
      }
      std::vector<double> want(n_out);
      for (int64_t o = 0; o < n_out; ++o) {
        want[o] = op == "ReduceSum" ? sum[o] : op == "ReduceMean" ? sum[o] / count[o] : op == "ReduceMax" ? mx[o] : mn[o];
      }
      std::vector<onnx::AttributeProto> attrs;
      if (!axes.empty()) attrs.push_back(AttrInts("axes", axes));
      Shape s;
      auto y = RunOne(op, 11, attrs, {{"X", Shape{3, 4, 1, 5, 2}, x}}, &s);
      ASSERT_TRUE(y.ok()) << op << ": " << y.status().ToString();
      EXPECT_EQ(s.num_elements(), n_out) << op;
      SCOPED_TRACE(op + " axes of size " + std::to_string(axes.size()));
      ExpectNear(*y, want, 1e-4);
    }
  }
}

TEST(ReduceCases, DuplicateAxesAreAnErrorAsInOnnxRuntime) {
  auto y = RunOne("ReduceMax", 13, {AttrInts("axes", {1, 1})}, {{"X", Shape{2, 2}, {1, 2, 3, 4}}});
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().message().find("listed twice"), std::string::npos) << y.status().ToString();
}

TEST(ReduceCases, ArgMaxSelectLastIndex) {
  const std::vector<float> x = {5, 1, 5, 2, 7, 7};
  auto first = RunOne("ArgMax", 13, {AttrInt("axis", 1), AttrInt("keepdims", 0)}, {{"X", Shape{2, 3}, x}}, nullptr, DType::kInt64);
  auto last = RunOne("ArgMax", 13, {AttrInt("axis", 1), AttrInt("keepdims", 0), AttrInt("select_last_index", 1)},
                     {{"X", Shape{2, 3}, x}}, nullptr, DType::kInt64);
  ASSERT_TRUE(first.ok() && last.ok());
  ExpectNear(*first, {0, 1});
  ExpectNear(*last, {2, 2});
}

TEST(GemmCases, Opset7BroadcastsColumnC) {
  // A [2,2] * B [2,2] + C [2,1]
  auto y = RunOne("Gemm", 7, {AttrFloat("beta", 2.f)},
                  {{"A", Shape{2, 2}, {1, 2, 3, 4}}, {"B", Shape{2, 2}, {1, 0, 0, 1}}, {"C", Shape{2, 1}, {10, 20}}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectNear(*y, {21, 22, 43, 44});
}

TEST(MatMulCases, EmptyBatchAndVectorOperands) {
  Shape s;
  auto empty = RunOne("MatMul", 13, {}, {{"A", Shape{0, 3}, {}}, {"B", Shape{3, 2}, {1, 2, 3, 4, 5, 6}}}, &s);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(s, (Shape{0, 2}));
  auto vec = RunOne("MatMul", 13, {}, {{"A", Shape{3}, {1, 1, 1}}, {"B", Shape{3, 2}, {1, 2, 3, 4, 5, 6}}}, &s);
  ASSERT_TRUE(vec.ok()) << vec.status().ToString();
  EXPECT_EQ(s, (Shape{2}));
  ExpectNear(*vec, {9, 12});
}

TEST(ConvCases, OneDimensionalGroupedConv) {
  // X [1, 2, 4], W [2, 1, 2] with group 2: each channel convolved with its own 2-tap filter, stride 2.
  auto y = RunOne("Conv", 11, {AttrInt("group", 2), AttrInts("strides", {2})},
                  {{"X", Shape{1, 2, 4}, {1, 2, 3, 4, 10, 20, 30, 40}}, {"W", Shape{2, 1, 2}, {1, 1, 1, -1}}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectNear(*y, {3, 7, -10, -10});
}

// Textbook 2-D conv (stride 1) in double, the reference for the direct path.
std::vector<double> ReferenceConv2D(const In& x, const In& w, const In* b, int64_t group, const std::vector<int64_t>& pads,
                                    int64_t dil) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t m = w.shape[0], kh = w.shape[2], kw = w.shape[3], cg = c / group, mg = m / group;
  const int64_t oh = h + pads[0] + pads[2] - (kh - 1) * dil, ow = wd + pads[1] + pads[3] - (kw - 1) * dil;
  std::vector<double> y;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < m; ++o) {
      const int64_t g = o / mg;
      for (int64_t r = 0; r < oh; ++r) {
        for (int64_t q = 0; q < ow; ++q) {
          double s = b ? b->values[o] : 0.0;
          for (int64_t ch = 0; ch < cg; ++ch) {
            for (int64_t a = 0; a < kh; ++a) {
              for (int64_t e = 0; e < kw; ++e) {
                const int64_t ih = r - pads[0] + a * dil, iw = q - pads[1] + e * dil;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                s += static_cast<double>(x.values[((i * c + g * cg + ch) * h + ih) * wd + iw]) *
                     w.values[((o * cg + ch) * kh + a) * kw + e];
              }
            }
          }
          y.push_back(s);
        }
      }
    }
  }
  return y;
}

TEST(ConvCases, DirectPathMatchesReference) {
  // Stride-1 2-D convs take the register-blocked direct path (conv_direct.h): output channels that are not a
  // multiple of its 4-channel tile, output widths that are not a multiple of its 24-position tile, asymmetric
  // pads, dilation, groups, a non-constant W (packed into scratch per call), batch > 1.
  struct Case {
    int64_t n, c, h, w, m, kh, kw, group, dil;
    std::vector<int64_t> pads;  // top, left, bottom, right
    bool bias;
  };
  const Case cases[] = {
      {2, 1, 28, 28, 32, 3, 3, 1, 1, {0, 0, 0, 0}, true}, {3, 32, 13, 13, 64, 3, 3, 1, 1, {0, 0, 0, 0}, true},
      {1, 3, 7, 9, 5, 3, 2, 1, 1, {1, 0, 2, 1}, true},    {2, 4, 6, 5, 6, 2, 3, 2, 2, {0, 1, 1, 0}, false},
      {1, 2, 1, 30, 7, 1, 5, 1, 1, {0, 2, 0, 2}, true},    {1, 6, 5, 5, 3, 5, 5, 3, 1, {2, 2, 2, 2}, true},
  };
  uint32_t seed = 7;
  auto next = [&] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) - 0.5f;
  };
  for (const Case& k : cases) {
    In x{"X", Shape{k.n, k.c, k.h, k.w}, {}}, w{"W", Shape{k.m, k.c / k.group, k.kh, k.kw}, {}}, b{"B", Shape{k.m}, {}};
    for (int64_t i = 0; i < x.shape.num_elements(); ++i) x.values.push_back(next());
    for (int64_t i = 0; i < w.shape.num_elements(); ++i) w.values.push_back(next());
    for (int64_t i = 0; i < k.m; ++i) b.values.push_back(next());
    std::vector<In> ins = {x, w};
    if (k.bias) ins.push_back(b);
    auto y = RunOne("Conv", 11, {AttrInt("group", k.group), AttrInts("pads", k.pads), AttrInts("dilations", {k.dil, k.dil})},
                    ins);
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    ExpectNear(*y, ReferenceConv2D(x, w, k.bias ? &b : nullptr, k.group, k.pads, k.dil), 1e-4);
  }
}

TEST(ConvCases, ChannelMismatchIsAnErrorNamingTheNode) {
  auto y = RunOne("Conv", 11, {}, {{"X", Shape{1, 3, 4, 4}, std::vector<float>(48)}, {"W", Shape{2, 2, 3, 3}, std::vector<float>(36)}});
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().ToString().find("Conv"), std::string::npos) << y.status().ToString();
  EXPECT_NE(y.status().ToString().find("channels do not match"), std::string::npos) << y.status().ToString();
}

TEST(PoolCases, AveragePoolCeilModeWithAndWithoutPadCount) {
  // X [1,1,3,3] = 1..9, kernel 2, stride 2, pad 1 at the start, ceil_mode: windows clipped at the edges.
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<onnx::AttributeProto> base = {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}),
                                                  AttrInts("pads", {1, 1, 0, 0}), AttrInt("ceil_mode", 1)};
  Shape s;
  auto excl = RunOne("AveragePool", 11, base, {{"X", Shape{1, 1, 3, 3}, x}}, &s);
  ASSERT_TRUE(excl.ok()) << excl.status().ToString();
  EXPECT_EQ(s, (Shape{1, 1, 2, 2}));
  ExpectNear(*excl, {1, 2.5, 5.5, 7});
  auto attrs = base;
  attrs.push_back(AttrInt("count_include_pad", 1));
  auto incl = RunOne("AveragePool", 11, attrs, {{"X", Shape{1, 1, 3, 3}, x}});
  ASSERT_TRUE(incl.ok());
  ExpectNear(*incl, {0.25, 1.25, 2.75, 7});
}

TEST(PoolCases, MaxPoolPropagatesNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto y = RunOne("MaxPool", 12, {AttrInts("kernel_shape", {2})}, {{"X", Shape{1, 1, 3}, {1, nan, 0}}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_TRUE(std::isnan((*y)[0]));
  EXPECT_TRUE(std::isnan((*y)[1]));
}

TEST(PoolCases, MaxPool2x2Stride2FastPath) {
  // [1,1,4,5]: the last column is dropped (floor), the NaN poisons only its own window.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Shape s;
  auto y = RunOne("MaxPool", 12, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})},
                  {{"X", Shape{1, 1, 4, 5}, {1, 2, 3, 4, 99, -1, -2, -3, nan, 99, 5, 6, 7, 8, 99, 9, 1, 2, 3, 99}}}, &s);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(s, (Shape{1, 1, 2, 2}));
  EXPECT_EQ((*y)[0], 2);
  EXPECT_TRUE(std::isnan((*y)[1]));
  EXPECT_EQ((*y)[2], 9);
  EXPECT_EQ((*y)[3], 8);
}

TEST(NormCases, BatchNormTrainingModeIsUnimplemented) {
  auto y = RunOne("BatchNormalization", 15, {AttrInt("training_mode", 1)},
                  {{"X", Shape{1, 1, 2}, {1, 2}}, {"s", Shape{1}, {1}}, {"b", Shape{1}, {0}}, {"m", Shape{1}, {0}},
                   {"v", Shape{1}, {1}}});
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.status().code(), StatusCode::kUnimplemented) << y.status().ToString();
}

}  // namespace
}  // namespace reco::engine
