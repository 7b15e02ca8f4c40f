// Sgemm backends against the double-precision reference, their allocation behaviour, and MatMul/Gemm kernels
// (broadcast batches, fused bias + activation) through a Session against the same reference.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/kernels/gemm_backend.h"
#include "engine/malloc_counter.h"  // defines the process's malloc hook
#include "engine/session.h"

using reco::testing::kAllocHook;
using reco::testing::MallocCalls;

namespace reco::engine {
namespace {

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

struct GemmCase {
  int64_t m, n, k;
  bool ta, tb;
  float alpha, beta;
};

class SgemmPathTest : public ::testing::TestWithParam<GemmPath> {};

TEST_P(SgemmPathTest, MatchesReference) {
  SetGemmThreads(1);
  const std::vector<GemmCase> cases = {
      {1, 1, 1, false, false, 1.f, 0.f},     {1, 128, 784, false, false, 1.f, 0.f}, {3, 10, 64, false, true, 1.f, 1.f},
      {7, 33, 5, true, false, 0.5f, 2.f},    {17, 9, 31, true, true, -1.f, 0.f},    {100, 64, 128, false, false, 1.f, 1.f},
      {32, 784, 9, false, false, 1.f, 1.f},  {65, 70, 40, false, true, 2.f, 0.5f},  {4, 97, 3, true, true, 1.f, 0.f},
      {2500, 20, 8, true, false, 1.f, 1.f},  {2100, 17, 33, false, true, 1.f, 0.f},  // OpenBLAS row slabs
      {203, 80, 16, false, false, 0.5f, 0.f}, {10, 50, 7, false, false, 1.f, 2.f},  // direct 4x24 tiles + tails
  };
  uint32_t seed = 1;
  for (const GemmCase& c : cases) {
    std::vector<float> a = Random(c.m * c.k, seed++), b = Random(c.k * c.n, seed++), c0 = Random(c.m * c.n, seed++);
    std::vector<float> got = c0, want = c0;
    const int64_t lda = c.ta ? c.m : c.k, ldb = c.tb ? c.k : c.n;
    SgemmWith(GetParam(), c.ta, c.tb, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb, c.beta, got.data(), c.n);
    SgemmReference(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb, c.beta, want.data(), c.n);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + c.k)) << GemmPathName(GetParam()) << " m=" << c.m << " n=" << c.n
                                                      << " k=" << c.k << " ta=" << c.ta << " tb=" << c.tb << " i=" << i;
    }
  }
}

TEST_P(SgemmPathTest, BetaZeroIgnoresGarbageInC) {
  std::vector<float> a = Random(6 * 5, 1), b = Random(5 * 40, 2);
  std::vector<float> c(6 * 40, std::numeric_limits<float>::quiet_NaN());
  SgemmWith(GetParam(), false, false, 6, 40, 5, 1.f, a.data(), 5, b.data(), 40, 0.f, c.data(), 40);
  for (float v : c) ASSERT_FALSE(std::isnan(v));
}

TEST_P(SgemmPathTest, EmptyKScalesC) {
  std::vector<float> c = {1.f, 2.f, 3.f, 4.f};
  SgemmWith(GetParam(), false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.5f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{0.5f, 1.f, 1.5f, 2.f}));
}

INSTANTIATE_TEST_SUITE_P(Paths, SgemmPathTest, ::testing::Values(GemmPath::kDirect, GemmPath::kOpenBlas, GemmPath::kDnnl),
                         [](const auto& info) { return std::string(GemmPathName(info.param)); });

TEST(SgemmAllocation, HookCountsAllocations) {
  if (!kAllocHook) GTEST_SKIP() << "allocation hook is off under AddressSanitizer";
  const long before = MallocCalls();
  void* (*volatile alloc)(size_t) = malloc;  // through a volatile pointer so the call cannot be elided
  void* p = alloc(64);
  free(p);
  EXPECT_EQ(MallocCalls() - before, 1);
}

// The paths ChooseGemmPath uses must not allocate once warm, at every benchmark model shape.
TEST(SgemmAllocation, ChosenPathsDoNotAllocate) {
  if (!kAllocHook) GTEST_SKIP() << "allocation hook is off under AddressSanitizer";
  SetGemmThreads(1);
  const std::vector<std::vector<int64_t>> shapes = {{1, 128, 784}, {100, 128, 784}, {1000, 64, 128}, {2000, 80, 64},
                                                    {100, 10, 64},  {32, 784, 9},    {64, 196, 288}};
  for (const auto& s : shapes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2), c(static_cast<size_t>(m * n));
    Sgemm(false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n);  // warm
    const long before = MallocCalls();
    for (int i = 0; i < 3; ++i) Sgemm(false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n);
    EXPECT_EQ(MallocCalls() - before, 0) << "path " << GemmPathName(ChooseGemmPath(m, n, k)) << " m=" << m;
    // For the record: dnnl_sgemm's per-call allocations (why it is not the default).
    const long d0 = MallocCalls();
    SgemmWith(GemmPath::kDnnl, false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n);
    RecordProperty("dnnl_mallocs_m" + std::to_string(m), static_cast<int>(MallocCalls() - d0));
  }
}

// --- MatMul / Gemm kernels through a Session ---

void AddTensor(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
}

void AddValue(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op, std::vector<std::string> in, const std::string& out) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + out);
  for (auto& i : in) n->add_input(i);
  n->add_output(out);
  return n;
}

onnx::ModelProto NewModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(14);
  m.mutable_graph()->set_name("g");
  return m;
}

// MatMul(A[B,L,D], W[D,H]) + b -> Relu: the DIN pattern the planner fuses into one MatMul node.
TEST(MatMulKernel, FusedBiasReluMatchesReference) {
  const int64_t batch = 3, l = 5, d = 8, h = 6;
  onnx::ModelProto model = NewModel();
  auto* g = model.mutable_graph();
  std::vector<float> w = Random(d * h, 7), bias = Random(h, 8), x = Random(batch * l * d, 9);
  AddTensor(g, "W", {d, h}, w);
  AddTensor(g, "b", {h}, bias);
  AddNode(g, "MatMul", {"X", "W"}, "xw");
  AddNode(g, "Add", {"xw", "b"}, "z");
  AddNode(g, "Relu", {"z"}, "Y");
  AddValue(g->add_input(), "X", {batch, l, d});
  AddValue(g->add_output(), "Y", {batch, l, h});
  auto session = Session::LoadFromBytes(model.SerializeAsString());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  NamedView in{"X", TensorView(DType::kFloat32, Shape{batch, l, d}, x.data())};
  RunContext ctx;
  ASSERT_TRUE((*session)->Run({&in, 1}, &ctx).ok());
  const TensorView* y = ctx.output("Y");
  ASSERT_NE(y, nullptr);
  ASSERT_EQ(y->shape, (Shape{batch, l, h}));
  std::vector<float> want(static_cast<size_t>(batch * l * h));
  SgemmReference(false, false, batch * l, h, d, 1.f, x.data(), d, w.data(), h, 0.f, want.data(), h);
  for (int64_t i = 0; i < batch * l * h; ++i) {
    const float ref = std::max(0.f, want[i] + bias[i % h]);
    ASSERT_NEAR(y->data_as<float>()[i], ref, 1e-5f) << i;
  }
}

// Broadcast batch dims on both sides: [2,1,3,4] x [3,4,5] -> [2,3,3,5].
TEST(MatMulKernel, BroadcastBatchesMatchReference) {
  onnx::ModelProto model = NewModel();
  auto* g = model.mutable_graph();
  AddNode(g, "MatMul", {"A", "B"}, "Y");
  AddValue(g->add_input(), "A", {2, 1, 3, 4});
  AddValue(g->add_input(), "B", {3, 4, 5});
  AddValue(g->add_output(), "Y", {2, 3, 3, 5});
  auto session = Session::LoadFromBytes(model.SerializeAsString());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  std::vector<float> a = Random(2 * 3 * 4, 1), b = Random(3 * 4 * 5, 2);
  NamedView in[2] = {{"A", TensorView(DType::kFloat32, Shape{2, 1, 3, 4}, a.data())},
                     {"B", TensorView(DType::kFloat32, Shape{3, 4, 5}, b.data())}};
  RunContext ctx;
  ASSERT_TRUE((*session)->Run({in, 2}, &ctx).ok());
  const float* y = ctx.output("Y")->data_as<float>();
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      float want[15];
      SgemmReference(false, false, 3, 5, 4, 1.f, a.data() + i * 12, 4, b.data() + j * 20, 5, 0.f, want, 5);
      for (int e = 0; e < 15; ++e) ASSERT_NEAR(y[(i * 3 + j) * 15 + e], want[e], 1e-5f);
    }
  }
}

TEST(MatMulKernel, MismatchedInnerDimIsAnError) {
  onnx::ModelProto model = NewModel();
  auto* g = model.mutable_graph();
  AddNode(g, "MatMul", {"A", "B"}, "Y");
  AddValue(g->add_input(), "A", {2, 3});
  AddValue(g->add_input(), "B", {4, 5});
  g->add_output()->set_name("Y");
  g->mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  SessionOptions opts;
  opts.validate_with_onnx_checker = false;  // shape inference would reject it first; we want the kernel's message
  auto session = Session::LoadFromBytes(model.SerializeAsString(), opts);
  if (!session.ok()) {
    EXPECT_NE(session.status().ToString().find("MatMul"), std::string::npos) << session.status().ToString();
    return;
  }
  std::vector<float> a(6), b(20);
  NamedView in[2] = {{"A", TensorView(DType::kFloat32, Shape{2, 3}, a.data())},
                     {"B", TensorView(DType::kFloat32, Shape{4, 5}, b.data())}};
  RunContext ctx;
  Status st = (*session)->Run({in, 2}, &ctx);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("inner dimensions differ"), std::string::npos) << st.ToString();
}

// Gemm with transB and a constant (pre-packed) B, vector C, alpha/beta.
TEST(GemmKernel, PackedTransposedBMatchesReference) {
  const int64_t m = 5, k = 7, n = 3;
  onnx::ModelProto model = NewModel();
  auto* g = model.mutable_graph();
  std::vector<float> w = Random(n * k, 3), c = Random(n, 4), x = Random(m * k, 5);
  AddTensor(g, "W", {n, k}, w);
  AddTensor(g, "C", {n}, c);
  auto* node = AddNode(g, "Gemm", {"X", "W", "C"}, "Y");
  for (auto [name, v] : {std::pair{"alpha", 0.5f}, std::pair{"beta", 2.f}}) {
    auto* at = node->add_attribute();
    at->set_name(name);
    at->set_type(onnx::AttributeProto::FLOAT);
    at->set_f(v);
  }
  auto* tb = node->add_attribute();
  tb->set_name("transB");
  tb->set_type(onnx::AttributeProto::INT);
  tb->set_i(1);
  AddValue(g->add_input(), "X", {m, k});
  AddValue(g->add_output(), "Y", {m, n});
  auto session = Session::LoadFromBytes(model.SerializeAsString());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  NamedView in{"X", TensorView(DType::kFloat32, Shape{m, k}, x.data())};
  RunContext ctx;
  ASSERT_TRUE((*session)->Run({&in, 1}, &ctx).ok());
  std::vector<float> want(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) std::copy(c.begin(), c.end(), want.begin() + i * n);
  SgemmReference(false, true, m, n, k, 0.5f, x.data(), k, w.data(), k, 2.f, want.data(), n);
  for (int64_t i = 0; i < m * n; ++i) ASSERT_NEAR(ctx.output("Y")->data_as<float>()[i], want[i], 1e-5f);
}


void AttrInts(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void AttrInt(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

// Every kernel family of this helper in one graph (CNN + CTR ops); warm runs must not touch the heap.
TEST(KernelFamilies, WarmRunDoesNotAllocate) {
  if (!kAllocHook) GTEST_SKIP() << "allocation hook is off under AddressSanitizer";
  onnx::ModelProto model = NewModel();
  model.mutable_opset_import(0)->set_version(17);
  auto* g = model.mutable_graph();
  AddTensor(g, "W", {4, 1, 3, 3}, Random(36, 1));
  AddTensor(g, "Wb", {4}, Random(4, 2));
  for (const char* name : {"scale", "bias", "mean"}) AddTensor(g, name, {4}, Random(4, 3));
  AddTensor(g, "var", {4}, std::vector<float>(4, 0.5f));
  AddTensor(g, "F", {64, 10}, Random(640, 4));
  AddTensor(g, "Fb", {10}, Random(10, 5));
  AddTensor(g, "ln_s", {10}, Random(10, 6));
  auto* conv = AddNode(g, "Conv", {"X", "W", "Wb"}, "c");
  AttrInts(conv, "pads", {1, 1, 1, 1});
  AddNode(g, "Relu", {"c"}, "r");
  auto* pool = AddNode(g, "MaxPool", {"r"}, "p");
  AttrInts(pool, "kernel_shape", {2, 2});
  AttrInts(pool, "strides", {2, 2});
  AddNode(g, "BatchNormalization", {"p", "scale", "bias", "mean", "var"}, "bn");
  auto* avg = AddNode(g, "AveragePool", {"bn"}, "ap");
  AttrInts(avg, "kernel_shape", {1, 1});
  auto* flat = AddNode(g, "Flatten", {"ap"}, "f");
  AttrInt(flat, "axis", 1);
  AddNode(g, "MatMul", {"f", "F"}, "m");
  AddNode(g, "Add", {"m", "Fb"}, "logits");
  AddNode(g, "LayerNormalization", {"logits", "ln_s"}, "ln");
  AddNode(g, "Softmax", {"ln"}, "prob");
  AddNode(g, "GlobalAveragePool", {"bn"}, "gap");
  auto* rm = AddNode(g, "ReduceMean", {"prob"}, "rm");
  AttrInts(rm, "axes", {1});
  auto* am = AddNode(g, "ArgMax", {"prob"}, "cls");
  AttrInt(am, "axis", 1);
  AddValue(g->add_input(), "X", {-1, 1, 8, 8});
  g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_param("N");
  const std::vector<std::pair<const char*, std::vector<int64_t>>> outs = {
      {"prob", {-1, 10}}, {"gap", {-1, 4, 1, 1}}, {"rm", {-1, 1}}, {"cls", {-1, 1}}};
  for (const auto& [name, dims] : outs) {
    auto* v = g->add_output();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(std::string(name) == "cls" ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
    for (int64_t d : dims) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d < 0) dim->set_dim_param("N"); else dim->set_dim_value(d);
    }
  }
  auto session = Session::LoadFromBytes(model.SerializeAsString());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  RunContext ctx;
  for (int64_t batch : {1, 5}) {
    std::vector<float> x = Random(batch * 64, 7);
    NamedView in{"X", TensorView(DType::kFloat32, Shape{batch, 1, 8, 8}, x.data())};
    ASSERT_TRUE((*session)->Run({&in, 1}, &ctx).ok());  // cold: plans
    const long before = MallocCalls();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE((*session)->Run({&in, 1}, &ctx).ok());
    EXPECT_EQ(MallocCalls() - before, 0) << "batch " << batch;
    const float* prob = ctx.output("prob")->data_as<float>();
    float sum = 0;
    for (int j = 0; j < 10; ++j) sum += prob[j];
    EXPECT_NEAR(sum, 1.f, 1e-5f);
    EXPECT_EQ(ctx.output("cls")->shape, (Shape{batch, 1}));
  }
}

}  // namespace
}  // namespace reco::engine
