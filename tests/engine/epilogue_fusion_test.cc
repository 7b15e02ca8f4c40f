// Elementwise-chain fusion behind Gemm/MatMul (engine/epilogue.h, engine/fuse_epilogue.h): which chains are fused,
// and that the fused session computes what the unfused one does (which the kernel tests check op by op).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/session.h"
#include "tiny_model.h"

namespace reco::engine {
namespace {

using testing::AddDiceChain;
using testing::RandomFloats;

struct Feed {
  std::string name;
  const Tensor* tensor;
};

// Runs the model with and without fusion on `feeds`; returns the fused plan dump. Outputs must agree to 1e-6
// relative (the fused chain reorders no arithmetic; FastSigmoid is used on both paths).
std::string ExpectFusedMatchesUnfused(const std::string& bytes, const std::vector<Feed>& feeds) {
  std::vector<NamedView> in;
  std::vector<Shape> shapes;
  for (const Feed& f : feeds) {
    in.push_back({f.name, f.tensor->view()});
    shapes.push_back(f.tensor->shape());
  }
  std::vector<std::vector<NamedTensor>> outs;
  std::string plan;
  for (bool fusion : {true, false}) {
    SessionOptions o;
    o.fusion = fusion;
    auto s = Session::LoadFromBytes(bytes, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return "";
    if (fusion) plan = (*s)->DescribePlan(shapes).value();
    auto out = (*s)->Run(in);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (!out.ok()) return plan;
    outs.push_back(std::move(out).value());
  }
  EXPECT_EQ(outs[0].size(), outs[1].size());
  for (size_t o = 0; o < outs[0].size(); ++o) {
    const Tensor& a = outs[0][o].tensor;
    const Tensor& b = outs[1][o].tensor;
    EXPECT_EQ(a.shape(), b.shape()) << outs[0][o].name;
    if (a.shape() != b.shape()) continue;
    for (int64_t i = 0; i < a.num_elements(); ++i) {
      const float x = a.data<float>()[i], y = b.data<float>()[i];
      EXPECT_NEAR(x, y, 1e-6f * std::max(1.f, std::fabs(y))) << outs[0][o].name << "[" << i << "]\n" << plan;
    }
  }
  return plan;
}

TEST(EpilogueFusionTest, DiceAfterMatMulBecomesOneStep) {
  const int k = 12, n = 80;
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {-1, 7, k})
      .Init<float>("w", {k, n}, RandomFloats(k * n, 1))
      .Init<float>("b", {n}, RandomFloats(n, 2))
      .Node("MatMul", {"x", "w"}, {"xw"}, {}, "mm")
      .Node("Add", {"xw", "b"}, {"z"});
  AddDiceChain(m, "z", "dice", n, 10).Output("dice", DType::kFloat32, {-1, 7, n});
  Tensor x = Tensor::FromVector<float>(Shape{5, 7, k}, RandomFloats(5 * 7 * k, 3));
  const std::string plan = ExpectFusedMatchesUnfused(m.Bytes(), {{"x", &x}});
  EXPECT_NE(plan.find("1 steps"), std::string::npos) << plan;
  EXPECT_NE(plan.find("MatMul+Bias+[Dice] 'mm'"), std::string::npos) << plan;
}

// DIN's factored attention layer: prod_term [B,L,A] + hist_term [1,L,A] + target_term [B,1,A], then Dice. The
// target term is computed AFTER the prod MatMul in the graph, so the fused step must run later than the MatMul
// did; the two products meet in an Add and the chain goes to the later one (prod, as the exporter orders them),
// which keeps the history term [1,L,A] a small standalone product.
TEST(EpilogueFusionTest, BroadcastSideInputsComputedAfterTheGemm) {
  const int e = 4, a = 24, b = 6, l = 5;
  testing::TinyModel m;
  m.Input("prod", DType::kFloat32, {-1, l, e})
      .Input("hist", DType::kFloat32, {1, l, e})
      .Input("target", DType::kFloat32, {-1, e})
      .Init<float>("wp", {e, a}, RandomFloats(e * a, 1))
      .Init<float>("wh", {e, a}, RandomFloats(e * a, 2))
      .Init<float>("wt", {e, a}, RandomFloats(e * a, 3))
      .Init<int64_t>("axes", {1}, {1})
      .Node("MatMul", {"hist", "wh"}, {"hist_term"}, {}, "mm_hist")
      .Node("MatMul", {"prod", "wp"}, {"prod_term"}, {}, "mm_prod")
      .Node("MatMul", {"target", "wt"}, {"tgt"}, {}, "mm_tgt")
      .Node("Unsqueeze", {"tgt", "axes"}, {"tgt3"})
      .Node("Add", {"prod_term", "hist_term"}, {"s1"})
      .Node("Add", {"s1", "tgt3"}, {"s2"});
  AddDiceChain(m, "s2", "dice", a, 20).Output("dice", DType::kFloat32, {-1, l, a});
  Tensor prod = Tensor::FromVector<float>(Shape{b, l, e}, RandomFloats(b * l * e, 4));
  Tensor hist = Tensor::FromVector<float>(Shape{1, l, e}, RandomFloats(l * e, 5));
  Tensor target = Tensor::FromVector<float>(Shape{b, e}, RandomFloats(b * e, 6));
  const std::string plan =
      ExpectFusedMatchesUnfused(m.Bytes(), {{"prod", &prod}, {"hist", &hist}, {"target", &target}});
  EXPECT_NE(plan.find("MatMul+[Add3,Dice] 'mm_prod'"), std::string::npos) << plan;
  EXPECT_NE(plan.find("MatMul 'mm_hist'"), std::string::npos) << plan;
}

// The one-pass forms of ApplyEpilogue (DiceRowsAdd for [Add3|Add, Dice], DiceRows after the interpreter for a
// prefix then Dice) against the unfused graph, at DIN's widths (80: a 16-lane tail; 40: an 8-lane tail; 21: a
// masked tail) and with more rows than one GEMM row block or one 64-row batch of row pointers, so the history
// term's rows wrap around L inside a block and the target term's change every L rows.
TEST(EpilogueFusionTest, OnePassDiceFormsMatchUnfusedAcrossRowBlocks) {
  for (const int a : {80, 40, 21}) {
    const int e = 8, b = 37, l = 10;
    testing::TinyModel m;
    m.Input("prod", DType::kFloat32, {-1, l, e})
        .Input("hist", DType::kFloat32, {1, l, e})
        .Input("target", DType::kFloat32, {-1, e})
        .Input("x2", DType::kFloat32, {-1, l, a})
        .Input("x3", DType::kFloat32, {-1, l, a})
        .Init<float>("wp", {e, a}, RandomFloats(e * a, 1))
        .Init<float>("wh", {e, a}, RandomFloats(e * a, 2))
        .Init<float>("wt", {e, a}, RandomFloats(e * a, 3))
        .Init<float>("w2", {a, a}, RandomFloats(a * a, 7))
        .Init<float>("b2", {a}, RandomFloats(a, 8))
        .Init<float>("w3", {a, a}, RandomFloats(a * a, 9))
        .Init<float>("c3", {a}, RandomFloats(a, 10, 0.5f, 1.5f))
        .Init<int64_t>("axes", {1}, {1})
        .Node("MatMul", {"hist", "wh"}, {"hist_term"}, {}, "mm_hist")
        .Node("MatMul", {"prod", "wp"}, {"prod_term"}, {}, "mm_prod")
        .Node("MatMul", {"target", "wt"}, {"tgt"}, {}, "mm_tgt")
        .Node("Unsqueeze", {"tgt", "axes"}, {"tgt3"})
        .Node("Add", {"hist_term", "prod_term"}, {"s1"})  // x as the second operand of the first Add
        .Node("Add", {"tgt3", "s1"}, {"s2"});
    AddDiceChain(m, "s2", "d0", a, 20).Output("d0", DType::kFloat32, {-1, l, a});
    // Second and third layers read inputs of their own, so rounding differences do not compound across layers.
    // Second: only the history term (one Add, then Dice).
    m.Node("MatMul", {"x2", "w2"}, {"y2"}, {}, "mm_2").Node("Add", {"y2", "hist_term"}, {"z2"});
    AddDiceChain(m, "z2", "d1", a, 30).Output("d1", DType::kFloat32, {-1, l, a});
    // Third layer: a Mul by per-channel constants before the Dice (interpreter prefix, then DiceRows).
    m.Node("MatMul", {"x3", "w3"}, {"y3"}, {}, "mm_3").Node("Mul", {"y3", "c3"}, {"z3"});
    AddDiceChain(m, "z3", "d2", a, 40).Output("d2", DType::kFloat32, {-1, l, a});
    Tensor prod = Tensor::FromVector<float>(Shape{b, l, e}, RandomFloats(b * l * e, 4));
    Tensor hist = Tensor::FromVector<float>(Shape{1, l, e}, RandomFloats(l * e, 5));
    Tensor target = Tensor::FromVector<float>(Shape{b, e}, RandomFloats(b * e, 6));
    Tensor x2 = Tensor::FromVector<float>(Shape{b, l, a}, RandomFloats(b * l * a, 11));
    Tensor x3 = Tensor::FromVector<float>(Shape{b, l, a}, RandomFloats(b * l * a, 12));
    const std::string plan = ExpectFusedMatchesUnfused(
        m.Bytes(), {{"prod", &prod}, {"hist", &hist}, {"target", &target}, {"x2", &x2}, {"x3", &x3}});
    EXPECT_NE(plan.find("MatMul+[Add3,Dice] 'mm_prod'"), std::string::npos) << plan;
    EXPECT_NE(plan.find("MatMul+[Add,Dice] 'mm_2'"), std::string::npos) << plan;
    EXPECT_NE(plan.find("MatMul+[Mul,Dice] 'mm_3'"), std::string::npos) << plan;
  }
}

// A chain value read outside the chain blocks every chain that would hide it: Sigmoid's output is a graph output
// and z is read by the Mul, so nothing but the bias fuses.
TEST(EpilogueFusionTest, EscapingValueEndsTheChain) {
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {-1, 3})
      .Init<float>("w", {3, 4}, RandomFloats(12, 1))
      .Init<float>("c", {4}, RandomFloats(4, 2))
      .Node("MatMul", {"x", "w"}, {"xw"}, {}, "mm")
      .Node("Add", {"xw", "c"}, {"z"})
      .Node("Sigmoid", {"z"}, {"p"})
      .Node("Mul", {"p", "z"}, {"y"})
      .Output("p", DType::kFloat32, {-1, 4})
      .Output("y", DType::kFloat32, {-1, 4});
  Tensor x = Tensor::FromVector<float>(Shape{3, 3}, RandomFloats(9, 3));
  const std::string plan = ExpectFusedMatchesUnfused(m.Bytes(), {{"x", &x}});
  EXPECT_NE(plan.find("3 steps"), std::string::npos) << plan;
  EXPECT_NE(plan.find("MatMul+Bias 'mm'"), std::string::npos) << plan;
}

// Side inputs broadcast along the channel axis (a per-row scalar [B,L,1], a scalar) and a side input LARGER than
// the GEMM result (the output grows to [3,4,N]: the GEMM writes to scratch, the chain reads it broadcast).
TEST(EpilogueFusionTest, RowScalarsScalarsAndGrowingOutput) {
  const int n = 70;
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {1, 4, 5})
      .Input("mask", DType::kFloat32, {3, 4, 1})
      .Input("big", DType::kFloat32, {3, 1, n})
      .Init<float>("w", {5, n}, RandomFloats(5 * n, 1))
      .Init<float>("half", {}, {0.5f})
      .Node("MatMul", {"x", "w"}, {"xw"}, {}, "mm")
      .Node("Mul", {"xw", "half"}, {"h"})
      .Node("Mul", {"mask", "h"}, {"masked"})
      .Node("Sub", {"big", "masked"}, {"d"})
      .Node("Tanh", {"d"}, {"y"})
      .Output("y", DType::kFloat32, {3, 4, n});
  Tensor x = Tensor::FromVector<float>(Shape{1, 4, 5}, RandomFloats(20, 2));
  Tensor mask = Tensor::FromVector<float>(Shape{3, 4, 1}, {1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0});
  Tensor big = Tensor::FromVector<float>(Shape{3, 1, n}, RandomFloats(3 * n, 3));
  const std::string plan =
      ExpectFusedMatchesUnfused(m.Bytes(), {{"x", &x}, {"mask", &mask}, {"big", &big}});
  EXPECT_NE(plan.find("MatMul+[Mul,Mul,Sub,Tanh] 'mm'"), std::string::npos) << plan;
}

// Gemm with PRelu (per-channel slope), LeakyRelu, Clip (opset 11+ constant bounds), Relu, Neg, Abs, Exp, Div.
TEST(EpilogueFusionTest, GemmWithActivationZoo) {
  const int n = 33;
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {-1, 6})
      .Init<float>("w", {n, 6}, RandomFloats(6 * n, 1))
      .Init<float>("b", {n}, RandomFloats(n, 2))
      .Init<float>("slope", {n}, RandomFloats(n, 3, 0.f, 0.3f))
      .Init<float>("lo", {}, {-0.7f})
      .Init<float>("hi", {}, {1.5f})
      .Init<float>("den", {n}, RandomFloats(n, 4, 1.f, 3.f))
      .Node("Gemm", {"x", "w", "b"}, {"g"}, {testing::AttrInt("transB", 1)}, "gemm")
      .Node("PRelu", {"g", "slope"}, {"p"})
      .Node("LeakyRelu", {"p"}, {"lr"}, {testing::AttrFloat("alpha", 0.2f)})
      .Node("Clip", {"lr", "lo", "hi"}, {"c"})
      .Node("Neg", {"c"}, {"ng"})
      .Node("Abs", {"ng"}, {"ab"})
      .Node("Exp", {"ab"}, {"ex"})
      .Node("Div", {"ex", "den"}, {"dv"})
      .Node("Relu", {"dv"}, {"y"})
      .Output("y", DType::kFloat32, {-1, n});
  Tensor x = Tensor::FromVector<float>(Shape{9, 6}, RandomFloats(54, 5));
  const std::string plan = ExpectFusedMatchesUnfused(m.Bytes(), {{"x", &x}});
  EXPECT_NE(plan.find("1 steps"), std::string::npos) << plan;
  EXPECT_NE(plan.find("Gemm+[PRelu,LeakyRelu,Clip,Neg,Abs,Exp,Div,Relu] 'gemm'"), std::string::npos) << plan;
}

// Narrow outputs (a CTR model's [B, 1] logit, a [B, 3] head): when every side input is one value for the whole
// block the chain runs over the row block as one flat array (epilogue.cc, RunsFlat); a per-channel side input keeps
// the row-by-row path. Both must match the unfused engine across several row blocks and chunk boundaries.
TEST(EpilogueFusionTest, NarrowOutputsFlatAndPerChannel) {
  for (int n : {1, 3}) {
    for (bool per_channel : {false, true}) {
      testing::TinyModel m;
      m.Input("x", DType::kFloat32, {-1, 7})
          .Init<float>("w", {n, 7}, RandomFloats(7 * n, 1))
          .Init<float>("b", {n}, RandomFloats(n, 2))
          .Init<float>("scale", per_channel ? std::vector<int64_t>{n} : std::vector<int64_t>{},
                       RandomFloats(per_channel ? n : 1, 3, 0.5f, 2.f))
          .Init<float>("shift", {}, {0.25f})
          .Node("Gemm", {"x", "w", "b"}, {"g"}, {testing::AttrInt("transB", 1)}, "gemm")
          .Node("Mul", {"g", "scale"}, {"s"})
          .Node("Add", {"s", "shift"}, {"a"})
          .Node("Sigmoid", {"a"}, {"y"})
          .Output("y", DType::kFloat32, {-1, n});
      for (int64_t rows : {1, 5, 300}) {
        Tensor x = Tensor::FromVector<float>(Shape{rows, 7}, RandomFloats(rows * 7, 4, -3.f, 3.f));
        SCOPED_TRACE("n " + std::to_string(n) + (per_channel ? " per-channel" : " scalar") + " rows " +
                     std::to_string(rows));
        const std::string plan = ExpectFusedMatchesUnfused(m.Bytes(), {{"x", &x}});
        EXPECT_NE(plan.find("1 steps"), std::string::npos) << plan;
      }
    }
  }
}

// A single unary op of the GEMM's own output runs in place (the op writes over x's row, which is the output
// row): each one against the unfused engine, with a row wider than one interpreter chunk and a ragged tail.
TEST(EpilogueFusionTest, SingleUnaryOpInPlace) {
  for (const std::string op : {"Relu", "Sigmoid", "Tanh", "Exp", "Neg", "Abs", "LeakyRelu"}) {
    const int n = 141;
    testing::TinyModel m;
    m.Input("x", DType::kFloat32, {-1, 9})
        .Init<float>("w", {n, 9}, RandomFloats(9 * n, 1))
        .Init<float>("b", {n}, RandomFloats(n, 2))
        .Node("Gemm", {"x", "w", "b"}, {"g"}, {testing::AttrInt("transB", 1)}, "gemm")
        .Node(op, {"g"}, {"y"})
        .Output("y", DType::kFloat32, {-1, n});
    Tensor x = Tensor::FromVector<float>(Shape{30, 9}, RandomFloats(30 * 9, 3));
    SCOPED_TRACE(op);
    const std::string plan = ExpectFusedMatchesUnfused(m.Bytes(), {{"x", &x}});
    EXPECT_NE(plan.find("Gemm+[" + op + "] 'gemm'"), std::string::npos) << plan;
  }
}

// The fused Dice is also right against a hand computation (not only against the unfused engine).
TEST(EpilogueFusionTest, FusedDiceMatchesFormula) {
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {2, 2})
      .Init<float>("w", {2, 2}, {1, 0, 0, 1})
      .Init<float>("d.scale", {2}, {2.f, 0.5f})
      .Init<float>("d.shift", {2}, {0.f, 1.f})
      .Init<float>("d.alpha", {2}, {0.1f, 0.2f})
      .Init<float>("d.oma", {2}, {0.9f, 0.8f})
      .Node("MatMul", {"x", "w"}, {"z"}, {}, "mm")
      .Node("Mul", {"z", "d.scale"}, {"s"})
      .Node("Add", {"d.shift", "s"}, {"nn"})
      .Node("Sigmoid", {"nn"}, {"p"})
      .Node("Mul", {"d.oma", "p"}, {"gp"})
      .Node("Add", {"d.alpha", "gp"}, {"g"})
      .Node("Mul", {"z", "g"}, {"y"})
      .Output("y", DType::kFloat32, {2, 2});
  auto s = Session::LoadFromBytes(m.Bytes());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<float> xv = {1.f, -2.f, 3.f, 0.5f};
  Tensor x = Tensor::FromVector<float>(Shape{2, 2}, xv);
  NamedView in{"x", x.view()};
  auto out = (*s)->Run({&in, 1});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float scale[2] = {2.f, 0.5f}, shift[2] = {0.f, 1.f}, alpha[2] = {0.1f, 0.2f};
  for (int i = 0; i < 4; ++i) {
    const int c = i % 2;
    const float p = 1.f / (1.f + std::exp(-(xv[i] * scale[c] + shift[c])));
    EXPECT_NEAR((*out)[0].tensor.data<float>()[i], xv[i] * (alpha[c] + (1 - alpha[c]) * p), 1e-6f) << i;
  }
}

}  // namespace
}  // namespace reco::engine
