// Round trip: every model reco can export runs in reco's own engine with LibTorch's forward() results
// (max abs difference <= 1e-5) on random weights and inputs, at several batch sizes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/session.h"
#include "nn/keras/sequential.h"
#include "nn/simple_nn.h"
#include "nn/small_cnn.h"
#include "onnx/classifier_export.h"
#include "onnx/keras_export.h"

namespace reco::onnx_export {
namespace {

constexpr float kTolerance = 1e-5f;

std::unique_ptr<engine::Session> LoadInEngine(const onnx::ModelProto& model) {
  auto session = engine::Session::LoadFromBytes(model.SerializeAsString());
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return session.ok() ? std::move(session).value() : nullptr;
}

// Runs one float input through the engine and returns the named float output as a torch tensor.
torch::Tensor RunEngine(const engine::Session& session, const std::string& input, const torch::Tensor& x,
                        const std::string& output) {
  torch::Tensor xc = x.contiguous();
  auto shape = engine::Shape::FromDims(std::vector<int64_t>(xc.sizes().begin(), xc.sizes().end()));
  EXPECT_TRUE(shape.ok());
  std::vector<engine::NamedView> inputs = {
      {input, engine::TensorView(engine::DType::kFloat32, *shape, static_cast<const void*>(xc.data_ptr<float>()))}};
  auto outputs = session.Run(inputs);
  EXPECT_TRUE(outputs.ok()) << outputs.status().ToString();
  if (!outputs.ok()) return torch::Tensor();
  for (const auto& o : *outputs) {
    if (o.name != output) continue;
    std::vector<int64_t> dims(o.tensor.shape().dims().begin(), o.tensor.shape().dims().end());
    EXPECT_EQ(o.tensor.dtype(), engine::DType::kFloat32);
    return torch::from_blob(const_cast<void*>(o.tensor.raw_data()), dims, torch::kFloat).clone();
  }
  ADD_FAILURE() << "engine produced no output named " << output;
  return torch::Tensor();
}

void ExpectClose(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_LE((got - want).abs().max().item<float>(), kTolerance) << what;
}

TEST(EngineRoundTripTest, SimpleNN) {
  torch::manual_seed(11);
  nn::SimpleNN net;
  net->eval();
  for (bool image_input : {false, true}) {
    auto model = ExportSimpleNN(*net, {.image_input = image_input});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    auto session = LoadInEngine(*model);
    ASSERT_NE(session, nullptr);
    for (int64_t batch : {1, 3, 100}) {
      torch::Tensor x = image_input ? torch::rand({batch, 1, 28, 28}) : torch::rand({batch, 784});
      torch::NoGradGuard no_grad;
      ExpectClose(RunEngine(*session, "input", x, "logits"), net->forward(x),
                  "mlp batch " + std::to_string(batch) + (image_input ? " image" : " flat"));
    }
  }
}

TEST(EngineRoundTripTest, SimpleNNWithStandardisation) {
  torch::manual_seed(12);
  nn::SimpleNN net;
  {
    torch::NoGradGuard no_grad;
    for (auto& buf : net->named_buffers(/*recurse=*/false)) {
      if (buf.key() == "input_mean") buf.value().fill_(0.2860f);
      if (buf.key() == "input_std") buf.value().fill_(0.3530f);
    }
  }
  auto model = ExportSimpleNN(*net, {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = LoadInEngine(*model);
  ASSERT_NE(session, nullptr);
  torch::Tensor x = torch::rand({16, 784});
  torch::NoGradGuard no_grad;
  ExpectClose(RunEngine(*session, "input", x, "logits"), net->forward(x), "standardised mlp");
}

TEST(EngineRoundTripTest, SmallCNN) {
  torch::manual_seed(13);
  nn::SmallCNN net;
  net->eval();
  auto model = ExportSmallCNN(*net, {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = LoadInEngine(*model);
  ASSERT_NE(session, nullptr);
  for (int64_t batch : {1, 4, 33}) {
    torch::Tensor x = torch::rand({batch, 1, 28, 28});
    torch::NoGradGuard no_grad;
    ExpectClose(RunEngine(*session, "input", x, "logits"), net->forward(x), "cnn batch " + std::to_string(batch));
  }
}

TEST(EngineRoundTripTest, KerasSequentialModels) {
  using namespace reco::keras;  // NOLINT
  torch::manual_seed(14);
  struct Case {
    std::string label;
    std::vector<LayerConfig> layers;
    std::vector<int64_t> input_shape;
  };
  std::vector<Case> cases;
  cases.push_back({"mlp", {Flatten(), Dense(32, "relu"), Dropout(0.2), Dense(16, "tanh"), Dense(10, "softmax")},
                   {1, 28, 28}});
  cases.push_back({"cnn",
                   {Conv2D(8, 3, {.padding = "same", .activation = "relu"}), MaxPool2D(2),
                    Conv2D(4, {3, 2}, {.strides = 2, .padding = "same", .activation = "sigmoid"}), Flatten(),
                    Dense(5)},
                   {2, 12, 12}});
  cases.push_back({"rank3 dense", {Dense(5, "tanh"), Flatten(), Dense(3, "sigmoid")}, {4, 6}});
  for (auto& c : cases) {
    Sequential model(c.layers);
    ASSERT_TRUE(model.build(c.input_shape).ok()) << c.label;
    auto exported = ExportSequential(model, {});
    ASSERT_TRUE(exported.ok()) << c.label << ": " << exported.status().ToString();
    auto session = LoadInEngine(*exported);
    ASSERT_NE(session, nullptr) << c.label;
    for (int64_t batch : {1, 7}) {
      std::vector<int64_t> dims = {batch};
      dims.insert(dims.end(), c.input_shape.begin(), c.input_shape.end());
      torch::Tensor x = torch::rand(dims);
      auto want = model.predict(x);
      ASSERT_TRUE(want.ok()) << want.status().ToString();
      ExpectClose(RunEngine(*session, "input", x, "output"), *want, c.label + " batch " + std::to_string(batch));
    }
  }
}

}  // namespace
}  // namespace reco::onnx_export
