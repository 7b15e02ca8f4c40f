// The memory planner on its own (AssignOffsets) and on tiny graphs through Session::DescribePlan.
#include "engine/planner.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/session.h"
#include "engine/tiny_model.h"

namespace reco::engine {
namespace {

TEST(AssignOffsetsTest, ReusesMemoryAfterLastUse) {
  // a: step 0-1, b: 1-2, c: 2-3. c may take a's place (a's last reader is step 1 < 2), b may not.
  std::vector<BufferRequest> req = {{100, 0, 1}, {100, 1, 2}, {100, 2, 3}};
  MemoryPlan p = AssignOffsets(req);
  EXPECT_EQ(p.offsets[0], 0u);
  EXPECT_EQ(p.offsets[1], 128u);  // 64-byte aligned
  EXPECT_EQ(p.offsets[2], 0u);
  EXPECT_EQ(p.arena_bytes, 256u);
}

TEST(AssignOffsetsTest, OutputsNeverAliasInputsOfTheSameStep) {
  // a is last read at step 1, b is written at step 1: they must not share memory.
  std::vector<BufferRequest> req = {{64, 0, 1}, {64, 1, 2}};
  MemoryPlan p = AssignOffsets(req);
  EXPECT_NE(p.offsets[0], p.offsets[1]);
}

TEST(AssignOffsetsTest, RandomLifetimesNeverOverlap) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferRequest> req;
    const int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      const int first = static_cast<int>(rng() % 20);
      req.push_back({static_cast<size_t>(rng() % 5000), first, first + static_cast<int>(rng() % 6)});
    }
    MemoryPlan p = AssignOffsets(req);
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
      total += (req[i].bytes + 63) / 64 * 64;
      EXPECT_EQ(p.offsets[i] % 64, 0u);
      EXPECT_LE(p.offsets[i] + req[i].bytes, p.arena_bytes);
      for (int j = i + 1; j < n; ++j) {
        const bool live_together = req[i].first <= req[j].last && req[j].first <= req[i].last;
        const bool mem_overlap = req[i].bytes && req[j].bytes && p.offsets[i] < p.offsets[j] + req[j].bytes &&
                                 p.offsets[j] < p.offsets[i] + req[i].bytes;
        EXPECT_FALSE(live_together && mem_overlap) << "trial " << trial << " buffers " << i << "," << j;
      }
    }
    EXPECT_LE(p.arena_bytes, total);
  }
}

TEST(PlanTest, ChainReusesTwoBuffersWithRightFreePoints) {
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {-1, 16})
      .Node("Neg", {"x"}, {"a"}, {}, "n0")
      .Node("Exp", {"a"}, {"b"}, {}, "n1")
      .Node("Abs", {"b"}, {"c"}, {}, "n2")
      .Node("Sqrt", {"c"}, {"y"}, {}, "n3")
      .Output("y", DType::kFloat32, {-1, 16});
  auto s = Session::LoadFromBytes(m.Bytes());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Shape shape{1, 16};  // 64 bytes per tensor
  auto plan = (*s)->DescribePlan({&shape, 1});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const std::string& p = *plan;
  EXPECT_NE(p.find("4 steps"), std::string::npos) << p;
  EXPECT_NE(p.find("arena 128 bytes"), std::string::npos) << p;
  EXPECT_NE(p.find("0: Neg 'n0' (x:float[1,16](input)) -> (a:float[1,16]@0)\n"), std::string::npos) << p;
  EXPECT_NE(p.find("1: Exp 'n1' (a:float[1,16]@0) -> (b:float[1,16]@64) frees a\n"), std::string::npos) << p;
  EXPECT_NE(p.find("2: Abs 'n2' (b:float[1,16]@64) -> (c:float[1,16]@0) frees b\n"), std::string::npos) << p;
  EXPECT_NE(p.find("3: Sqrt 'n3' (c:float[1,16]@0) -> (y:float[1,16]@64) frees c\n"), std::string::npos) << p;
}

TEST(PlanTest, GraphOutputsAreNeverReused) {
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {1, 16})
      .Node("Neg", {"x"}, {"a"}, {}, "n0")
      .Node("Exp", {"a"}, {"b"}, {}, "n1")
      .Node("Abs", {"b"}, {"c"}, {}, "n2")
      .Output("a", DType::kFloat32, {1, 16})
      .Output("c", DType::kFloat32, {1, 16});
  auto s = Session::LoadFromBytes(m.Bytes());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Shape shape{1, 16};
  auto plan = (*s)->DescribePlan({&shape, 1});
  ASSERT_TRUE(plan.ok());
  EXPECT_NE(plan->find("arena 192 bytes"), std::string::npos) << *plan;  // a kept alive: no reuse for c
  Tensor x(DType::kFloat32, shape);
  for (int i = 0; i < 16; ++i) x.data<float>()[i] = static_cast<float>(i);
  NamedView in{"x", x.view()};
  auto out = (*s)->Run({&in, 1});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].tensor.data<float>()[3], -3.f);
  EXPECT_FLOAT_EQ((*out)[1].tensor.data<float>()[3], std::exp(-3.f));
}

// MatMul(x, W) + b -> Relu becomes one step (the registry marks MatMul kFusableBias | kFusableEpilogue).
TEST(PlanTest, FusesMatMulBiasAndActivation) {
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {-1, 2})
      .Init<float>("w", {2, 3}, {1, 0, -1, 0, 1, 1})
      .Init<float>("b", {3}, {0.5f, -10.f, 0.f})
      .Node("MatMul", {"x", "w"}, {"xw"}, {}, "mm")
      .Node("Add", {"xw", "b"}, {"z"}, {}, "add")
      .Node("Relu", {"z"}, {"y"}, {}, "relu")
      .Output("y", DType::kFloat32, {-1, 3});
  for (bool fusion : {true, false}) {
    SessionOptions o;
    o.fusion = fusion;
    auto s = Session::LoadFromBytes(m.Bytes(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    Shape shape{2, 2};
    auto plan = (*s)->DescribePlan({&shape, 1});
    ASSERT_TRUE(plan.ok());
    if (fusion) {
      EXPECT_NE(plan->find("1 steps"), std::string::npos) << *plan;
      EXPECT_NE(plan->find("MatMul+Bias+[Relu] 'mm'"), std::string::npos) << *plan;
    } else {
      EXPECT_NE(plan->find("3 steps"), std::string::npos) << *plan;
    }
    Tensor x = Tensor::FromVector<float>(Shape{2, 2}, {1, 2, -3, 1});
    NamedView in{"x", x.view()};
    auto out = (*s)->Run({&in, 1});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    // x*w = [[1, 2, 1], [-3, 1, 4]]; + b = [[1.5, -8, 1], [-2.5, -9, 4]]; relu.
    const std::vector<float> want = {1.5f, 0.f, 1.f, 0.f, 0.f, 4.f};
    for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ((*out)[0].tensor.data<float>()[i], want[i]) << i << " fusion " << fusion;
  }
}

// Reshape/Flatten/Unsqueeze/Identity become views: no step, and the viewed buffer lives until the view's last
// reader (here `a` must survive until Add although its own last direct reader is Reshape).
TEST(PlanTest, ViewOpsAliasTheirInputAndExtendItsLifetime) {
  testing::TinyModel m(13);
  m.Input("x", DType::kFloat32, {2, 8})
      .Init<int64_t>("shape", {2}, {4, 4})
      .Init<int64_t>("axes", {1}, {0})
      .Node("Neg", {"x"}, {"a"}, {}, "neg")
      .Node("Reshape", {"a", "shape"}, {"r"}, {}, "reshape")
      .Node("Flatten", {"r"}, {"f"}, {testing::AttrInt("axis", 0)}, "flatten")
      .Node("Identity", {"f"}, {"i"}, {}, "identity")
      .Node("Exp", {"x"}, {"e"}, {}, "exp")
      .Node("Reshape", {"e", "shape"}, {"er"}, {}, "reshape2")
      .Node("Unsqueeze", {"er", "axes"}, {"eu"}, {}, "unsqueeze")
      .Node("Reshape", {"eu", "shape"}, {"e2"}, {}, "reshape3")
      .Node("Reshape", {"i", "shape"}, {"i2"}, {}, "reshape4")
      .Node("Add", {"i2", "e2"}, {"y"}, {}, "add")
      .Node("Identity", {"y"}, {"out"}, {}, "out_copy")  // a graph output: copied, never a view
      .Output("out", DType::kFloat32, {4, 4});
  auto s = Session::LoadFromBytes(m.Bytes());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Shape shape{2, 8};
  auto plan = (*s)->DescribePlan({&shape, 1});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const std::string& p = *plan;
  EXPECT_NE(p.find("4 steps; 0 nodes evaluated at plan time; 7 nodes aliased"), std::string::npos) << p;
  EXPECT_NE(p.find("(i2:float[4,4]=a, e2:float[4,4]=e) -> (y:float[4,4]@128) frees a e"), std::string::npos) << p;
  EXPECT_NE(p.find("Identity 'out_copy'"), std::string::npos) << p;
  EXPECT_NE(p.find("arena 192 bytes"), std::string::npos) << p;  // a, e live together; y after neither is free
  Tensor x(DType::kFloat32, shape);
  for (int i = 0; i < 16; ++i) x.data<float>()[i] = 0.25f * static_cast<float>(i);
  NamedView in{"x", x.view()};
  RunContext ctx;
  for (int rep = 0; rep < 2; ++rep) {
    ASSERT_TRUE((*s)->Run({&in, 1}, &ctx).ok());
    const TensorView* y = ctx.output("out");
    ASSERT_EQ(y->shape, (Shape{4, 4}));
    for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(y->data_as<float>()[i], -0.25f * i + std::exp(0.25f * i)) << i;
  }
  // A Dropout whose mask is requested keeps its step.
  testing::TinyModel d(13);
  d.Input("x", DType::kFloat32, {2, 8})
      .Node("Neg", {"x"}, {"a"})
      .Node("Dropout", {"a"}, {"b", "mask"}, {}, "dropout")
      .Node("Neg", {"b"}, {"y"})
      .Output("y", DType::kFloat32, {2, 8})
      .Output("mask", DType::kBool, {2, 8});
  auto sd = Session::LoadFromBytes(d.Bytes());
  ASSERT_TRUE(sd.ok()) << sd.status().ToString();
  auto dplan = (*sd)->DescribePlan({&shape, 1});
  ASSERT_TRUE(dplan.ok());
  EXPECT_NE(dplan->find("3 steps; 0 nodes evaluated at plan time; 0 nodes aliased"), std::string::npos) << *dplan;
}

}  // namespace
}  // namespace reco::engine
