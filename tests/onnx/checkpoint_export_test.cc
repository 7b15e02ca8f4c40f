// ExportCheckpoint: reads reco checkpoints and keras model files, dispatches on the stored kind, and reports
// missing/foreign/corrupt files clearly.
#include "onnx/checkpoint_export.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "nn/keras/sequential.h"
#include "nn/simple_nn.h"
#include "nn/small_cnn.h"
#include "onnx/graph_builder.h"
#include "onnx/torch_onnx_eval.h"
#include "train/checkpoint.h"

namespace reco::onnx_export {
namespace {

class CheckpointExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("reco_ckpt_export_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

std::string Meta(const onnx::ModelProto& m, const std::string& key) {
  for (const auto& p : m.metadata_props()) {
    if (p.key() == key) return p.value();
  }
  return "<missing>";
}

TEST_F(CheckpointExportTest, MlpCheckpointRoundTrips) {
  torch::manual_seed(8);
  nn::SimpleNN net;
  ASSERT_TRUE(train::SaveCheckpoint(Path("mlp.pt"), *net, nullptr, {.kind = "mlp", .epoch = 3,
                                                                     .class_names = {"zero", "one"}})
                  .ok());
  ExportSummary summary;
  ASSERT_TRUE(ExportCheckpointToFile(Path("mlp.pt"), Path("mlp.onnx"), {}, &summary).ok());
  EXPECT_EQ(summary.kind, "mlp");
  EXPECT_EQ(summary.nodes, 5);
  EXPECT_GE(summary.parameters, 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
  auto model = ReadModel(Path("mlp.onnx"));
  ASSERT_TRUE(model.ok());
  EXPECT_TRUE(ValidateModel(*model).ok());
  EXPECT_EQ(Meta(*model, kMetaClassNames), "zero\none");
  torch::Tensor x = torch::rand({4, 784});
  torch::NoGradGuard no_grad;
  auto got = testing::EvalWithTorch(*model, {{"input", x}}).at("logits");
  EXPECT_LT((got - net->forward(x)).abs().max().item<float>(), 1e-5);
}

TEST_F(CheckpointExportTest, CnnCheckpointRoundTrips) {
  torch::manual_seed(9);
  nn::SmallCNN net;
  ASSERT_TRUE(train::SaveCheckpoint(Path("cnn.pt"), *net, nullptr, {.kind = "cnn"}).ok());
  auto model = ExportCheckpoint(Path("cnn.pt"), {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(Meta(*model, kMetaModelKind), "cnn");
  torch::Tensor x = torch::rand({2, 1, 28, 28});
  torch::NoGradGuard no_grad;
  auto got = testing::EvalWithTorch(*model, {{"input", x}}).at("logits");
  EXPECT_LT((got - net->forward(x)).abs().max().item<float>(), 1e-5);
}

TEST_F(CheckpointExportTest, KerasModelFileIsExported) {
  torch::manual_seed(10);
  keras::Sequential net({keras::Dense(8, "relu"), keras::Dense(2, "softmax")});
  ASSERT_TRUE(net.build({4}).ok());
  ASSERT_TRUE(net.save(Path("keras.pt")).ok());
  auto model = ExportCheckpoint(Path("keras.pt"), {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(Meta(*model, kMetaModelKind), "keras_sequential");
  torch::Tensor x = torch::rand({3, 4});
  auto expected = net.predict(x);
  ASSERT_TRUE(expected.ok());
  auto got = testing::EvalWithTorch(*model, {{"input", x}}).at("output");
  EXPECT_LT((got - *expected).abs().max().item<float>(), 1e-5);
}

TEST_F(CheckpointExportTest, KindMismatchNamesTheFile) {
  nn::SmallCNN net;  // CNN weights under an "mlp" label
  ASSERT_TRUE(train::SaveCheckpoint(Path("lie.pt"), *net, nullptr, {.kind = "mlp"}).ok());
  auto model = ExportCheckpoint(Path("lie.pt"), {});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("lie.pt"), std::string::npos) << model.status().message();
}

TEST_F(CheckpointExportTest, UnknownKindIsAnError) {
  nn::SimpleNN net;
  ASSERT_TRUE(train::SaveCheckpoint(Path("odd.pt"), *net, nullptr, {.kind = "transformer"}).ok());
  auto model = ExportCheckpoint(Path("odd.pt"), {});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("transformer"), std::string::npos) << model.status().message();
}

TEST_F(CheckpointExportTest, MissingAndGarbageFiles) {
  auto missing = ExportCheckpoint(Path("nope.pt"), {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  {
    std::ofstream out(Path("garbage.pt"), std::ios::binary);
    out << "this is not a torch archive";
  }
  auto garbage = ExportCheckpoint(Path("garbage.pt"), {});
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("neither a reco checkpoint nor a reco keras model"), std::string::npos)
      << garbage.status().message();
}

TEST_F(CheckpointExportTest, UnwritableOutputIsAnError) {
  nn::SimpleNN net;
  ASSERT_TRUE(train::SaveCheckpoint(Path("mlp.pt"), *net, nullptr, {.kind = "mlp"}).ok());
  Status s = ExportCheckpointToFile(Path("mlp.pt"), "/nonexistent-dir/model.onnx", {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent-dir/model.onnx"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace reco::onnx_export
