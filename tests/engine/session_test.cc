// Session end to end on tiny graphs: values, data-dependent shapes, plan cache, input validation, bad models,
// Gather bounds, NaN/Inf, concurrency.
#include "engine/session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <atomic>
#include <thread>

#include "engine/tiny_model.h"

namespace reco::engine {
namespace {

using testing::AttrInt;
using testing::AttrInts;
using testing::TinyModel;

std::unique_ptr<Session> LoadOrDie(const TinyModel& m, const SessionOptions& o = {}) {
  StatusOr<std::unique_ptr<Session>> s = Session::LoadFromBytes(m.Bytes(), o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// y = relu(x + b) * 2
TinyModel AffineRelu() {
  TinyModel m;
  m.Input("x", DType::kFloat32, {-1, 3})
      .Init<float>("b", {3}, {1.f, -1.f, 0.5f})
      .Init<float>("two", {}, {2.f})
      .Node("Add", {"x", "b"}, {"s"})
      .Node("Relu", {"s"}, {"r"})
      .Node("Mul", {"r", "two"}, {"y"})
      .Output("y", DType::kFloat32, {-1, 3});
  return m;
}

TEST(SessionTest, ComputesAndReportsMetadata) {
  auto s = LoadOrDie(AffineRelu());
  ASSERT_TRUE(s);
  ASSERT_EQ(s->inputs().size(), 1u);
  EXPECT_EQ(s->inputs()[0].name, "x");
  EXPECT_EQ(s->inputs()[0].shape, (std::vector<int64_t>{-1, 3}));
  EXPECT_EQ(s->inputs()[0].dim_params[0], "N");
  EXPECT_EQ(s->opset(), 14);
  Tensor x = Tensor::FromVector<float>(Shape{2, 3}, {0.f, 0.f, 0.f, -5.f, 2.f, 1.f});
  NamedView in{"x", x.view()};
  auto out = s->Run({&in, 1});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  const Tensor& y = (*out)[0].tensor;
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  const std::vector<float> want = {2.f, 0.f, 1.f, 0.f, 2.f, 3.f};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y.data<float>()[i], want[i]) << i;
}

TEST(SessionTest, NanAndInfPropagate) {
  auto s = LoadOrDie(AffineRelu());
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  Tensor x = Tensor::FromVector<float>(Shape{1, 3}, {nan, inf, -inf});
  NamedView in{"x", x.view()};
  auto out = s->Run({&in, 1});
  ASSERT_TRUE(out.ok());
  const float* y = (*out)[0].tensor.data<float>();
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], inf);
  EXPECT_EQ(y[2], 0.f);
}

// torch.onnx.export style: reshape x[N,2,3] to [N, 6] through Shape -> Gather -> Unsqueeze -> Concat.
TinyModel DynamicReshape() {
  TinyModel m(13);
  m.Input("x", DType::kFloat32, {-1, 2, 3})
      .Init<int64_t>("zero", {}, {0})
      .Init<int64_t>("axes0", {1}, {0})
      .Init<int64_t>("six", {1}, {6})
      .Node("Shape", {"x"}, {"shape"})
      .Node("Gather", {"shape", "zero"}, {"n"}, {AttrInt("axis", 0)})
      .Node("Unsqueeze", {"n", "axes0"}, {"n1"})
      .Node("Concat", {"n1", "six"}, {"target"}, {AttrInt("axis", 0)})
      .Node("Reshape", {"x", "target"}, {"flat"})
      .Node("Neg", {"flat"}, {"y"})
      .Output("y", DType::kFloat32, {-1, 6});
  return m;
}

TEST(SessionTest, ShapeSubgraphsAreEvaluatedWhilePlanning) {
  auto s = LoadOrDie(DynamicReshape());
  ASSERT_TRUE(s);
  for (int64_t n : {2, 5, 2}) {
    Tensor x(DType::kFloat32, Shape{n, 2, 3});
    for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = static_cast<float>(i);
    NamedView in{"x", x.view()};
    auto out = s->Run({&in, 1});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& y = (*out)[0].tensor;
    EXPECT_EQ(y.shape(), (Shape{n, 6}));
    EXPECT_EQ(y.data<float>()[7], -7.f);
  }
  EXPECT_EQ(s->num_cached_plans(), 2u);  // one per distinct batch size
  Shape shape{4, 2, 3};
  auto plan = s->DescribePlan({&shape, 1});
  ASSERT_TRUE(plan.ok());
  // Only Neg runs: Shape/Gather/Unsqueeze/Concat were evaluated at plan time, Reshape is a view of x.
  EXPECT_NE(plan->find("1 steps; 4 nodes evaluated at plan time; 1 nodes aliased"), std::string::npos) << *plan;
}

TEST(SessionTest, ConstantSubgraphsAreFoldedAtLoad) {
  TinyModel m;
  m.Input("x", DType::kFloat32, {-1, 2})
      .Init<float>("w", {2, 2}, {1, 2, 3, 4})
      .Node("Transpose", {"w"}, {"wt"})
      .Node("Neg", {"wt"}, {"nwt"})
      .Node("Add", {"x", "nwt"}, {"y"})
      .Output("y", DType::kFloat32, {-1, 2});
  auto s = LoadOrDie(m);
  Shape shape{2, 2};
  auto plan = s->DescribePlan({&shape, 1});
  ASSERT_TRUE(plan.ok());
  EXPECT_NE(plan->find("1 steps"), std::string::npos) << *plan;
  Tensor x = Tensor::FromVector<float>(Shape{2, 2}, {0, 0, 0, 0});
  NamedView in{"x", x.view()};
  auto out = s->Run({&in, 1});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].tensor.data<float>()[1], -3.f);  // -(w^T)[0][1] = -w[1][0]
}

TEST(SessionTest, RejectsBadInputs) {
  TinyModel m;
  m.Input("x", DType::kFloat32, {-1, 3}).Input("ids", DType::kInt64, {-1})
      .Node("Identity", {"x"}, {"y"}).Node("Identity", {"ids"}, {"z"})
      .Output("y", DType::kFloat32, {-1, 3}).Output("z", DType::kInt64, {-1});
  auto s = LoadOrDie(m);
  Tensor x(DType::kFloat32, Shape{2, 3}), ids(DType::kInt64, Shape{2});
  auto run = [&](std::vector<NamedView> ins) { return s->Run(ins).status(); };
  EXPECT_TRUE(run({{"x", x.view()}, {"ids", ids.view()}}).ok());
  Status st = run({{"x", x.view()}});
  EXPECT_NE(st.message().find("missing input 'ids'"), std::string::npos) << st.ToString();
  st = run({{"x", x.view()}, {"ids", ids.view()}, {"extra", x.view()}});
  EXPECT_NE(st.message().find("unknown input 'extra'"), std::string::npos) << st.ToString();
  st = run({{"x", x.view()}, {"x", x.view()}});
  EXPECT_NE(st.message().find("given twice"), std::string::npos) << st.ToString();
  st = run({{"x", ids.view()}, {"ids", ids.view()}});
  EXPECT_NE(st.message().find("expected dtype float, got int64"), std::string::npos) << st.ToString();
  Tensor x3(DType::kFloat32, Shape{2, 3, 1});
  st = run({{"x", x3.view()}, {"ids", ids.view()}});
  EXPECT_NE(st.message().find("expected rank 2, got rank 3"), std::string::npos) << st.ToString();
  Tensor x4(DType::kFloat32, Shape{2, 4});
  st = run({{"x", x4.view()}, {"ids", ids.view()}});
  EXPECT_NE(st.message().find("dimension 1 is 4 but the model fixes it to 3"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

TEST(SessionTest, GatherOutOfRangeIsAnError) {
  TinyModel m;
  m.Input("ids", DType::kInt64, {-1})
      .Init<float>("table", {3, 2}, {0, 1, 10, 11, 20, 21})
      .Node("Gather", {"table", "ids"}, {"y"}, {AttrInt("axis", 0)})
      .Output("y", DType::kFloat32, {-1, 2});
  auto s = LoadOrDie(m);
  Tensor ok = Tensor::FromVector<int64_t>(Shape{3}, {2, -1, 0});
  NamedView in{"ids", ok.view()};
  auto out = s->Run({&in, 1});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].tensor.data<float>()[0], 20.f);
  EXPECT_EQ((*out)[0].tensor.data<float>()[2], 20.f);  // -1 wraps to the last row
  EXPECT_EQ((*out)[0].tensor.data<float>()[5], 1.f);
  for (int64_t bad : {int64_t{3}, int64_t{-4}, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    Tensor ids = Tensor::FromVector<int64_t>(Shape{2}, {0, bad});
    NamedView b{"ids", ids.view()};
    auto r = s->Run({&b, 1});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(r.status().message().find("out of range"), std::string::npos) << r.status().ToString();
  }
}

TEST(SessionTest, BadModelsAreStatuses) {
  std::string good = AffineRelu().Bytes();
  auto truncated = Session::LoadFromBytes(good.substr(0, good.size() / 2));
  EXPECT_FALSE(truncated.ok());
  auto garbage = Session::LoadFromBytes(std::string("\xff\xff\xff\xff this is not onnx"));  // (was a 24-byte read of a 22-byte literal: ASan)
  EXPECT_FALSE(garbage.ok());
  auto empty = Session::LoadFromBytes("");
  EXPECT_FALSE(empty.ok());
  auto missing = Session::Load("/nonexistent/model.onnx");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  SessionOptions no_checker;
  no_checker.validate_with_onnx_checker = false;  // reach the engine's own checks
  TinyModel cycle;
  cycle.Input("x", DType::kFloat32, {1})
      .Node("Add", {"x", "b"}, {"a"}, {}, "first")
      .Node("Neg", {"a"}, {"b"}, {}, "second")
      .Output("b", DType::kFloat32, {1});
  auto c = Session::LoadFromBytes(cycle.Bytes(), no_checker);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("cycle"), std::string::npos) << c.status().ToString();
  EXPECT_FALSE(Session::LoadFromBytes(cycle.Bytes()).ok());  // the checker rejects it too

  TinyModel no_init;
  no_init.Input("x", DType::kFloat32, {1}).Node("Add", {"x", "w"}, {"y"}, {}, "adder").Output("y", DType::kFloat32, {1});
  auto mi = Session::LoadFromBytes(no_init.Bytes(), no_checker);
  ASSERT_FALSE(mi.ok());
  EXPECT_NE(mi.status().message().find("node 'adder' (Add) reads 'w'"), std::string::npos) << mi.status().ToString();
  EXPECT_FALSE(Session::LoadFromBytes(no_init.Bytes()).ok());

  TinyModel unsupported;
  unsupported.Input("x", DType::kFloat32, {1}).Node("Hardmax", {"x"}, {"y"}, {}, "hm").Output("y", DType::kFloat32, {1});
  auto u = Session::LoadFromBytes(unsupported.Bytes());
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(u.status().message().find("node 'hm' (op Hardmax, domain ai.onnx, opset 14): unsupported op"),
            std::string::npos) << u.status().ToString();

  TinyModel foreign;
  foreign.Input("x", DType::kFloat32, {1}).Node("Relu", {"x"}, {"y"}, {}, "r").Output("y", DType::kFloat32, {1});
  foreign.proto().mutable_graph()->mutable_node(0)->set_domain("com.example");
  auto f = Session::LoadFromBytes(foreign.Bytes(), no_checker);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("com.example"), std::string::npos) << f.status().ToString();
}

// Sizes claimed by a tiny model or request are checked before anything is allocated: each of these once aborted
// the process (a 64 GB allocation, or a wrapped element count and a write through a 0-byte buffer).
TEST(SessionTest, HugeClaimedSizesAreStatusesNotAborts) {
  SessionOptions no_checker;
  no_checker.validate_with_onnx_checker = false;
  const auto load_error = [&](TinyModel& m) {
    auto s = Session::LoadFromBytes(m.Bytes(), no_checker);
    return s.ok() ? std::string() : s.status().ToString();
  };
  TinyModel big;  // 2^34 floats declared, 4 bytes of data
  big.Input("x", DType::kFloat32, {1}).Init<float>("w", {int64_t{1} << 34}, {1.f}).Node("Add", {"x", "w"}, {"y"})
      .Output("y", DType::kFloat32, {-1});
  EXPECT_NE(load_error(big).find("raw_data has 4 bytes"), std::string::npos) << load_error(big);
  TinyModel wrap;  // 2^32 x 2^32 elements: the product wraps to 0
  wrap.Input("x", DType::kFloat32, {1}).Init<float>("w", {int64_t{1} << 32, int64_t{1} << 32}, {})
      .Node("Add", {"x", "w"}, {"y"}).Output("y", DType::kFloat32, {-1, -1});
  EXPECT_NE(load_error(wrap).find("implausibly large"), std::string::npos) << load_error(wrap);

  // Expand to a shape that comes with the request: rejected when planned, not at the allocation.
  TinyModel expand;
  expand.Input("x", DType::kFloat32, {1}).Input("shape", DType::kInt64, {2}).Node("Expand", {"x", "shape"}, {"y"})
      .Output("y", DType::kFloat32, {-1, -1});
  auto session = Session::LoadFromBytes(expand.Bytes(), no_checker);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  Tensor x = Tensor::FromVector<float>(Shape{1}, {2.f});
  for (const std::vector<int64_t>& dims : {std::vector<int64_t>{int64_t{1} << 32, int64_t{1} << 32},
                                           std::vector<int64_t>{int64_t{1} << 20, int64_t{1} << 20},
                                           std::vector<int64_t>{int64_t{1} << 17, int64_t{1} << 17}}) {  // 64 GiB: over RAM
    Tensor shape = Tensor::FromVector<int64_t>(Shape{2}, dims);
    const NamedView in[] = {{"x", x.view()}, {"shape", shape.view()}};
    auto out = (*session)->Run(in);
    ASSERT_FALSE(out.ok());
    const std::string message = out.status().message();
    EXPECT_TRUE(message.find("too large") != std::string::npos || message.find("RAM") != std::string::npos) << message;
  }
  Tensor shape = Tensor::FromVector<int64_t>(Shape{2}, {3, 2});  // and a sane one still works
  const NamedView in[] = {{"x", x.view()}, {"shape", shape.view()}};
  auto out = (*session)->Run(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].tensor.num_elements(), 6);
}

// Found by a review against ONNX Runtime: strides = 0 divided by zero inside libonnx's shape inference (SIGFPE),
// Clip with min > max did not give max everywhere, and Range over an infinite interval was silently empty.
TEST(SessionTest, ZeroStridesClipBoundsAndInfiniteRange) {
  for (const std::string op : {"Conv", "MaxPool"}) {
    TinyModel m;
    m.Input("x", DType::kFloat32, {1, 2, 6, 6});
    std::vector<onnx::AttributeProto> attrs = {testing::AttrInts("strides", {0, 0})};
    if (op == "Conv") {
      m.Init<float>("w", {2, 2, 3, 3}, std::vector<float>(36, 1.f)).Node("Conv", {"x", "w"}, {"y"}, attrs, "c");
    } else {
      attrs.push_back(testing::AttrInts("kernel_shape", {2, 2}));
      m.Node("MaxPool", {"x"}, {"y"}, attrs, "c");
    }
    m.Output("y", DType::kFloat32, {-1, -1, -1, -1});
    auto s = Session::LoadFromBytes(m.Bytes());
    ASSERT_FALSE(s.ok()) << op;
    EXPECT_NE(s.status().message().find("'strides' must be positive"), std::string::npos) << s.status().ToString();
  }

  TinyModel clip;
  clip.Input("x", DType::kFloat32, {5}).Init<float>("lo", {}, {1.f}).Init<float>("hi", {}, {-1.f})
      .Node("Clip", {"x", "lo", "hi"}, {"y"}).Output("y", DType::kFloat32, {5});
  auto cs = Session::LoadFromBytes(clip.Bytes());
  ASSERT_TRUE(cs.ok()) << cs.status().ToString();
  Tensor x = Tensor::FromVector<float>(Shape{5}, {-3.f, -0.5f, 0.f, 0.5f, 3.f});
  const NamedView in[] = {{"x", x.view()}};
  auto y = (*cs)->Run(in);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  for (float v : (*y)[0].tensor.span<float>()) EXPECT_EQ(v, -1.f);  // numpy.clip and ORT: all max

  TinyModel range;
  range.Input("x", DType::kFloat32, {2, 3}).Init<float>("s", {}, {0.f})
      .Init<float>("l", {}, {std::numeric_limits<float>::infinity()}).Init<float>("d", {}, {1.f})
      .Node("Range", {"s", "l", "d"}, {"r"}).Node("Add", {"x", "r"}, {"y"}).Output("y", DType::kFloat32, {-1, -1});
  SessionOptions no_checker;
  no_checker.validate_with_onnx_checker = false;
  auto rs = Session::LoadFromBytes(range.Bytes(), no_checker);
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.status().message().find("non-finite or too large"), std::string::npos) << rs.status().ToString();
}

TEST(SessionTest, ContextOutlivesSessionsAndSwitchesBetweenThem) {
  RunContext ctx;
  Tensor x = Tensor::FromVector<float>(Shape{1, 3}, {1.f, 2.f, 3.f});
  NamedView in{"x", x.view()};
  for (int round = 0; round < 3; ++round) {
    // A fresh session per round (as on a hot reload), possibly at a freed session's address.
    auto a = LoadOrDie(AffineRelu());
    ASSERT_TRUE(a->Run({&in, 1}, &ctx).ok());
    EXPECT_FLOAT_EQ(ctx.output("y")->data_as<float>()[0], 4.f);
    TinyModel neg;
    neg.Input("x", DType::kFloat32, {-1, 3}).Node("Neg", {"x"}, {"z"}).Output("z", DType::kFloat32, {-1, 3});
    auto b = LoadOrDie(neg);
    ASSERT_TRUE(b->Run({&in, 1}, &ctx).ok());
    EXPECT_EQ(ctx.output("y"), nullptr);
    EXPECT_FLOAT_EQ(ctx.output("z")->data_as<float>()[2], -3.f);
  }
}

TEST(SessionTest, ConcurrentRunsWithOwnContexts) {
  auto s = LoadOrDie(DynamicReshape());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RunContext ctx;
      for (int iter = 0; iter < 200; ++iter) {
        const int64_t n = 1 + (iter + t) % 3;
        Tensor x(DType::kFloat32, Shape{n, 2, 3});
        for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = static_cast<float>(i + t);
        NamedView in{"x", x.view()};
        if (!s->Run({&in, 1}, &ctx).ok()) { ++failures; continue; }
        const TensorView* y = ctx.output("y");
        if (!y || y->shape != Shape{n, 6} || y->data_as<float>()[n * 6 - 1] != -static_cast<float>(n * 6 - 1 + t)) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(s->num_cached_plans(), 3u);
}

}  // namespace
}  // namespace reco::engine
