// Exported keras::Sequential models compute what predict() computes, for every layer type and activation.
#include "onnx/keras_export.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nn/keras/sequential.h"
#include "onnx/torch_onnx_eval.h"

namespace reco::onnx_export {
namespace {

using namespace reco::keras;  // NOLINT: the Keras vocabulary reads best unqualified

std::vector<std::string> OpTypes(const onnx::ModelProto& m) {
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  return ops;
}

void ExpectMatchesPredict(Sequential& model, const torch::Tensor& x) {
  auto exported = ExportSequential(model, {});
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  auto expected = model.predict(x);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  auto got = testing::EvalWithTorch(*exported, {{"input", x}}).at("output");
  ASSERT_EQ(got.sizes(), expected->sizes());
  EXPECT_LT((got - *expected).abs().max().item<float>(), 1e-5);
}

TEST(KerasExportTest, MlpWithDropoutAndSoftmax) {
  torch::manual_seed(5);
  Sequential model({Flatten(), Dense(32, "relu"), Dropout(0.5), Dense(16, "tanh"), Dense(10, "softmax")});
  ASSERT_TRUE(model.build({1, 28, 28}).ok());
  auto exported = ExportSequential(model, {});
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(OpTypes(*exported),
            (std::vector<std::string>{"Flatten", "Gemm", "Relu", "Gemm", "Tanh", "Gemm", "Softmax"}));
  EXPECT_EQ(exported->graph().output(0).name(), "output");
  EXPECT_EQ(exported->graph().input(0).type().tensor_type().shape().dim_size(), 4);
  ExpectMatchesPredict(model, torch::rand({6, 1, 28, 28}));
}

TEST(KerasExportTest, ConvSamePaddingStridesAndPooling) {
  torch::manual_seed(6);
  // Stride-2 "same" on an even size pads asymmetrically (TensorFlow's rule): exercises explicit ONNX pads.
  Sequential model({Conv2D(8, 3, {.padding = "same", .activation = "relu"}), MaxPool2D(2),
                    Conv2D(4, {3, 2}, {.strides = 2, .padding = "same", .activation = "sigmoid"}), Flatten(),
                    Dense(5)});
  ASSERT_TRUE(model.build({2, 12, 12}).ok());
  ExpectMatchesPredict(model, torch::rand({3, 2, 12, 12}));
}

TEST(KerasExportTest, DenseOnHigherRankUsesMatMul) {
  torch::manual_seed(7);
  Sequential model({Dense(5, "tanh"), Flatten(), Dense(3, "sigmoid")});
  ASSERT_TRUE(model.build({4, 6}).ok());
  auto exported = ExportSequential(model, {});
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(OpTypes(*exported)[0], "MatMul");
  ExpectMatchesPredict(model, torch::randn({2, 4, 6}));
}

TEST(KerasExportTest, UnbuiltModelIsAnError) {
  Sequential model({Dense(3)});
  auto exported = ExportSequential(model, {});
  ASSERT_FALSE(exported.ok());
  EXPECT_EQ(exported.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(exported.status().message().find("not built"), std::string::npos);
}

}  // namespace
}  // namespace reco::onnx_export
