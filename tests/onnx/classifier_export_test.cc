// Exported SimpleNN / SmallCNN: valid ONNX with the documented interface, and the graph computes what the module
// computes (checked by evaluating the ModelProto's own nodes and initializers with LibTorch ops).
#include "onnx/classifier_export.h"

#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <torch/torch.h>

#include <filesystem>

#include "nn/simple_nn.h"
#include "nn/small_cnn.h"
#include "onnx/torch_onnx_eval.h"

namespace reco::onnx_export {
namespace {

std::vector<std::string> OpTypes(const onnx::ModelProto& m) {
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  return ops;
}

std::string Meta(const onnx::ModelProto& m, const std::string& key) {
  for (const auto& p : m.metadata_props()) {
    if (p.key() == key) return p.value();
  }
  return "<missing>";
}

float MaxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<float>();
}

void SetStandardisation(torch::nn::Module& m, float mean, float stdev) {
  torch::NoGradGuard no_grad;
  for (auto& buf : m.named_buffers(/*recurse=*/false)) {
    if (buf.key() == "input_mean") buf.value().fill_(mean);
    if (buf.key() == "input_std") buf.value().fill_(stdev);
  }
}

TEST(ClassifierExportTest, SimpleNNFlatInputMatchesModule) {
  torch::manual_seed(1);
  nn::SimpleNN net;
  net->eval();
  auto model = ExportSimpleNN(*net, {.class_names = {"a", "b"}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(OpTypes(*model), (std::vector<std::string>{"Gemm", "Relu", "Gemm", "Relu", "Gemm"}));
  EXPECT_EQ(model->graph().input(0).name(), "input");
  EXPECT_EQ(model->graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch_size");
  EXPECT_EQ(model->graph().input(0).type().tensor_type().shape().dim(1).dim_value(), 784);
  EXPECT_EQ(model->graph().output(0).name(), "logits");
  EXPECT_EQ(model->graph().initializer_size(), 6);
  EXPECT_EQ(model->opset_import(0).version(), 14);
  EXPECT_EQ(model->producer_name(), "reco");
  EXPECT_EQ(Meta(*model, kMetaModelKind), "mlp");
  EXPECT_EQ(Meta(*model, kMetaClassNames), "a\nb");
  EXPECT_NE(Meta(*model, kMetaInputLayout).find("784"), std::string::npos);
  for (int64_t batch : {1, 5, 64}) {
    torch::Tensor x = torch::rand({batch, 784});
    auto out = testing::EvalWithTorch(*model, {{"input", x}});
    torch::NoGradGuard no_grad;
    EXPECT_LT(MaxAbsDiff(out.at("logits"), net->forward(x)), 1e-5) << "batch " << batch;
  }
}

TEST(ClassifierExportTest, SimpleNNImageInputAddsFlatten) {
  torch::manual_seed(2);
  nn::SimpleNN net;
  auto model = ExportSimpleNN(*net, {.image_input = true});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->graph().node(0).op_type(), "Flatten");
  EXPECT_EQ(model->graph().input(0).type().tensor_type().shape().dim_size(), 4);
  torch::Tensor x = torch::rand({3, 1, 28, 28});
  auto out = testing::EvalWithTorch(*model, {{"input", x}});
  torch::NoGradGuard no_grad;
  EXPECT_LT(MaxAbsDiff(out.at("logits"), net->forward(x)), 1e-5);
}

TEST(ClassifierExportTest, SmallCNNMatchesModule) {
  torch::manual_seed(3);
  nn::SmallCNN net;
  net->eval();
  auto model = ExportSmallCNN(*net, {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(OpTypes(*model), (std::vector<std::string>{"Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool",
                                                       "Flatten", "Gemm", "Relu", "Gemm"}));
  EXPECT_EQ(Meta(*model, kMetaModelKind), "cnn");
  for (int64_t batch : {1, 7}) {
    torch::Tensor x = torch::rand({batch, 1, 28, 28});
    auto out = testing::EvalWithTorch(*model, {{"input", x}});
    torch::NoGradGuard no_grad;
    EXPECT_LT(MaxAbsDiff(out.at("logits"), net->forward(x)), 1e-5) << "batch " << batch;
  }
}

TEST(ClassifierExportTest, InputStandardisationIsExported) {
  torch::manual_seed(4);
  nn::SimpleNN mlp;
  nn::SmallCNN cnn;
  SetStandardisation(*mlp, 0.2860f, 0.3530f);
  SetStandardisation(*cnn, 0.2860f, 0.3530f);
  auto mlp_model = ExportSimpleNN(*mlp, {});
  auto cnn_model = ExportSmallCNN(*cnn, {});
  ASSERT_TRUE(mlp_model.ok()) << mlp_model.status().ToString();
  ASSERT_TRUE(cnn_model.ok()) << cnn_model.status().ToString();
  torch::Tensor x = torch::rand({4, 784});
  torch::NoGradGuard no_grad;
  EXPECT_LT(MaxAbsDiff(testing::EvalWithTorch(*mlp_model, {{"input", x}}).at("logits"), mlp->forward(x)), 1e-5);
  torch::Tensor img = x.reshape({4, 1, 28, 28});
  EXPECT_LT(MaxAbsDiff(testing::EvalWithTorch(*cnn_model, {{"input", img}}).at("logits"), cnn->forward(img)), 1e-5);
}

TEST(ClassifierExportTest, WrittenFilePassesCheckerFromDisk) {
  nn::SmallCNN net;
  auto model = ExportSmallCNN(*net, {.opset = 17});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::string path = (std::filesystem::temp_directory_path() / "reco_classifier_export_test.onnx").string();
  ASSERT_TRUE(WriteModel(*model, path).ok());
  EXPECT_NO_THROW(onnx::checker::check_model(path));
  auto back = ReadModel(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->opset_import(0).version(), 17);
  std::filesystem::remove(path);
}

TEST(ClassifierExportTest, UnsupportedOpsetIsAnError) {
  nn::SimpleNN net;
  auto model = ExportSimpleNN(*net, {.opset = 99});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("opset 99 is not supported (reco exports opsets 13..17)"),
            std::string::npos) << model.status().message();
  EXPECT_FALSE(ExportSimpleNN(*net, {.opset = 12}).ok());
}

}  // namespace
}  // namespace reco::onnx_export
