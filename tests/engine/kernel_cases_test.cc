// Declarative single-op cases (ggml test-backend-ops style) for what the ONNX backend tests do not reach:
// pre-opset-13 attribute forms (Squeeze/Unsqueeze/Split axes, Slice-1 bounds, Clip-6 bounds), broadcasting corner
// cases, empty tensors and data errors. Each case: op, opset, attributes, inputs, expected outputs or error.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "engine/session.h"
#include "engine/tiny_model.h"

namespace reco::engine {
namespace {

using testing::AttrFloat;
using testing::AttrInt;
using testing::AttrInts;

struct Case {
  std::string name;
  std::string op;
  int opset;
  std::vector<onnx::AttributeProto> attrs;
  std::vector<std::shared_ptr<Tensor>> inputs;  // shared_ptr: Tensor is move-only, initializer lists copy
  std::vector<std::shared_ptr<Tensor>> expected;  // empty: expect an error containing `error`
  std::string error;
};

std::shared_ptr<Tensor> F(const Shape& s, std::vector<float> v) {
  return std::make_shared<Tensor>(Tensor::FromVector<float>(s, std::span<const float>(v)));
}
std::shared_ptr<Tensor> I(const Shape& s, std::vector<int64_t> v) {
  return std::make_shared<Tensor>(Tensor::FromVector<int64_t>(s, std::span<const int64_t>(v)));
}

void RunCase(const Case& c) {
  SCOPED_TRACE(c.name);
  testing::TinyModel m(c.opset);
  std::vector<std::string> in_names, out_names;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    in_names.push_back("in" + std::to_string(i));
    std::vector<int64_t> dims(c.inputs[i]->shape().dims().begin(), c.inputs[i]->shape().dims().end());
    m.Input(in_names.back(), c.inputs[i]->dtype(), dims);
  }
  const size_t n_out = c.expected.empty() ? 1 : c.expected.size();
  for (size_t i = 0; i < n_out; ++i) out_names.push_back("out" + std::to_string(i));
  m.Node(c.op, in_names, out_names, c.attrs, "node");
  for (size_t i = 0; i < n_out; ++i) {
    auto* o = m.proto().mutable_graph()->add_output();
    o->set_name(out_names[i]);
    auto* tt = o->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(DTypeToOnnx(c.expected.empty() ? c.inputs[0]->dtype() : c.expected[i]->dtype()));
    if (!c.expected.empty()) {
      auto* shape = tt->mutable_shape();
      for (int64_t d : c.expected[i]->shape().dims()) shape->add_dim()->set_dim_value(d);
    }
  }
  SessionOptions o;
  o.validate_with_onnx_checker = c.expected.empty() ? false : true;
  auto s = Session::LoadFromBytes(m.Bytes(), o);
  std::vector<NamedView> views;
  for (size_t i = 0; i < c.inputs.size(); ++i) views.push_back({in_names[i], c.inputs[i]->view()});
  StatusOr<std::vector<NamedTensor>> out = s.ok() ? (*s)->Run(views) : StatusOr<std::vector<NamedTensor>>(s.status());
  if (c.expected.empty()) {
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find(c.error), std::string::npos) << out.status().ToString();
    return;
  }
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), c.expected.size());
  for (size_t i = 0; i < c.expected.size(); ++i) {
    const Tensor& got = (*out)[i].tensor;
    const Tensor& want = *c.expected[i];
    ASSERT_EQ(got.dtype(), want.dtype()) << "output " << i;
    ASSERT_EQ(got.shape(), want.shape()) << "output " << i << ": " << got.shape().ToString();
    // memcmp with a null pointer is undefined even for 0 bytes (UBSan), and empty tensors have no buffer.
    if (want.byte_size() > 0) {
      ASSERT_EQ(0, std::memcmp(got.raw_data(), want.raw_data(), want.byte_size())) << "output " << i;
    }
  }
}

TEST(KernelCasesTest, AttributeFormsBeforeOpset13) {
  RunCase({"unsqueeze-11 attr", "Unsqueeze", 11, {AttrInts("axes", {0, 3})}, {F({2, 1}, {1, 2})},
           {F({1, 2, 1, 1}, {1, 2})}});
  RunCase({"unsqueeze-13 input", "Unsqueeze", 13, {}, {F({2}, {1, 2}), I({1}, {-1})}, {F({2, 1}, {1, 2})}});
  RunCase({"squeeze-11 attr", "Squeeze", 11, {AttrInts("axes", {1})}, {F({2, 1, 1}, {1, 2})}, {F({2, 1}, {1, 2})}});
  RunCase({"squeeze-11 all ones", "Squeeze", 11, {}, {F({1, 2, 1}, {1, 2})}, {F({2}, {1, 2})}});
  RunCase({"split-11 attr", "Split", 11, {AttrInt("axis", 1), AttrInts("split", {1, 2})},
           {F({2, 3}, {1, 2, 3, 4, 5, 6})}, {F({2, 1}, {1, 4}), F({2, 2}, {2, 3, 5, 6})}});
  RunCase({"slice-1 attrs", "Slice", 9, {AttrInts("starts", {1}), AttrInts("ends", {100}), AttrInts("axes", {1})},
           {F({2, 3}, {1, 2, 3, 4, 5, 6})}, {F({2, 2}, {2, 3, 5, 6})}});
  RunCase({"clip-6 attrs", "Clip", 6, {AttrFloat("min", -1.f), AttrFloat("max", 1.f)}, {F({3}, {-5, 0.5f, 5})},
           {F({3}, {-1, 0.5f, 1})}});
}

TEST(KernelCasesTest, BroadcastingAndEmptyTensors) {
  RunCase({"add row+col", "Add", 14, {}, {F({2, 1}, {10, 20}), F({3}, {1, 2, 3})},
           {F({2, 3}, {11, 12, 13, 21, 22, 23})}});
  RunCase({"sub middle broadcast", "Sub", 14, {}, {F({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), F({2, 1, 2}, {1, 1, 2, 2})},
           {F({2, 2, 2}, {0, 1, 2, 3, 3, 4, 5, 6})}});
  RunCase({"mul empty", "Mul", 14, {}, {F({0, 3}, {}), F({3}, {1, 2, 3})}, {F({0, 3}, {})}});
  RunCase({"concat with empty", "Concat", 13, {AttrInt("axis", 0)}, {F({0, 2}, {}), F({1, 2}, {7, 8})},
           {F({1, 2}, {7, 8})}});
  RunCase({"transpose 3d", "Transpose", 13, {AttrInts("perm", {2, 0, 1})}, {F({1, 2, 3}, {1, 2, 3, 4, 5, 6})},
           {F({3, 1, 2}, {1, 4, 2, 5, 3, 6})}});
  RunCase({"gather axis 1", "Gather", 13, {AttrInt("axis", 1)}, {F({2, 3}, {1, 2, 3, 4, 5, 6}), I({2}, {2, 0})},
           {F({2, 2}, {3, 1, 6, 4})}});
}

TEST(KernelCasesTest, DataErrors) {
  RunCase({"int div by zero", "Div", 14, {}, {I({2}, {4, 2}), I({2}, {2, 0})}, {}, "integer division by zero"});
  RunCase({"gather oob axis 1", "Gather", 13, {AttrInt("axis", 1)}, {F({2, 3}, {1, 2, 3, 4, 5, 6}), I({1}, {3})}, {},
           "out of range"});
  RunCase({"reshape bad count", "Reshape", 14, {}, {F({2, 3}, {1, 2, 3, 4, 5, 6}), I({2}, {4, 2})}, {},
           "cannot reshape [2,3] to [4,2]"});
  RunCase({"broadcast mismatch", "Add", 14, {}, {F({2, 3}, {1, 2, 3, 4, 5, 6}), F({2}, {1, 2})}, {},
           "cannot be broadcast"});
}

}  // namespace
}  // namespace reco::engine
