#include "onnx/classifier_export.h"

#include <torch/torch.h>

#include "nn/simple_nn.h"
#include "nn/small_cnn.h"
#include "onnx/torch_adapter.h"

namespace reco::onnx_export {
namespace {

constexpr const char* kInput = "input";
constexpr const char* kOutput = "logits";

std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "\n" : "") + v[i];
  return out;
}

void SetCommonMetadata(GraphBuilder& b, const std::string& kind, const ExportOptions& options) {
  b.SetMetadata(kMetaModelKind, kind);
  if (!options.class_names.empty()) b.SetMetadata(kMetaClassNames, JoinLines(options.class_names));
  b.SetModelVersion(options.model_version);
}

// The classifiers standardise their input inside forward() with scalar buffers input_mean/input_std (set by the
// trainer). Emit (x - mean) / std exactly as torch computes it; skip it while the buffers are the identity.
// Looked up by name so models saved before the buffers existed still export.
StatusOr<std::string> EmitInputStandardisation(GraphBuilder& b, const torch::nn::Module& model, const std::string& x) {
  const auto buffers = model.named_buffers(/*recurse=*/false);
  const torch::Tensor* mean = buffers.find("input_mean");
  const torch::Tensor* stdev = buffers.find("input_std");
  if (mean == nullptr || stdev == nullptr) return x;
  if (mean->numel() != 1 || stdev->numel() != 1) {
    return InvalidArgumentError("input_mean/input_std must be scalars, got " + std::to_string(mean->numel()) +
                                " and " + std::to_string(stdev->numel()) + " values");
  }
  if (mean->item<float>() == 0.0f && stdev->item<float>() == 1.0f) return x;
  b.SetMetadata("reco.input_standardisation", "(x - " + std::to_string(mean->item<float>()) + ") / " +
                                                  std::to_string(stdev->item<float>()) + ", inside the graph");
  RETURN_IF_ERROR(AddTensorInitializer(b, "input_mean", mean->reshape({})));
  RETURN_IF_ERROR(AddTensorInitializer(b, "input_std", stdev->reshape({})));
  const std::string centred = b.UniqueName("input_centred");
  b.AddNode("Sub", {x, "input_mean"}, {centred}, {}, "standardise/Sub");
  const std::string scaled = b.UniqueName("input_standardised");
  b.AddNode("Div", {centred, "input_std"}, {scaled}, {}, "standardise/Div");
  return scaled;
}

}  // namespace

StatusOr<onnx::ModelProto> ExportSimpleNN(const nn::SimpleNNImpl& model, const ExportOptions& options) {
  GraphBuilder b("reco_mlp", options.opset);
  SetCommonMetadata(b, "mlp", options);
  b.SetDocString("reco SimpleNN: 784 -> 128 -> ReLU -> 64 -> ReLU -> 10 logits");
  std::string x = kInput;
  if (options.image_input) {
    b.AddInput(kInput, ElemType::kFloat, {Dim::Batch(), Dim::Fixed(1), Dim::Fixed(28), Dim::Fixed(28)},
               "grayscale 28x28 image, pixels scaled to [0,1]");
    b.SetMetadata(kMetaInputLayout, "NCHW [batch_size,1,28,28], flattened in the graph");
    x = EmitUnary(b, "Flatten", x, "flatten", {{"axis", int64_t{1}}});
  } else {
    b.AddInput(kInput, ElemType::kFloat, {Dim::Batch(), Dim::Fixed(nn::SimpleNNImpl::kInputSize)},
               "flattened 28x28 image (row-major), pixels scaled to [0,1]");
    b.SetMetadata(kMetaInputLayout, "flat [batch_size,784], row-major 28x28");
  }
  b.SetMetadata(kMetaInputSemantics, "input: grayscale image pixels in [0,1]; logits: unnormalised class scores");
  ASSIGN_OR_RETURN(x, EmitInputStandardisation(b, model, x));
  ASSIGN_OR_RETURN(x, EmitLinear(b, x, *model.fc1, "fc1"));
  x = EmitUnary(b, "Relu", x, "relu1");
  ASSIGN_OR_RETURN(x, EmitLinear(b, x, *model.fc2, "fc2"));
  x = EmitUnary(b, "Relu", x, "relu2");
  ASSIGN_OR_RETURN(x, EmitLinear(b, x, *model.fc3, "fc3", kOutput));
  b.AddOutput(kOutput, ElemType::kFloat, {Dim::Batch(), Dim::Fixed(nn::SimpleNNImpl::kNumClasses)});
  return b.Build();
}

StatusOr<onnx::ModelProto> ExportSmallCNN(const nn::SmallCNNImpl& model, const ExportOptions& options) {
  GraphBuilder b("reco_cnn", options.opset);
  SetCommonMetadata(b, "cnn", options);
  b.SetDocString("reco SmallCNN: conv3x3(32) ReLU maxpool2, conv3x3(64) ReLU maxpool2, 1600 -> 128 -> 10 logits");
  b.AddInput(kInput, ElemType::kFloat, {Dim::Batch(), Dim::Fixed(1), Dim::Fixed(28), Dim::Fixed(28)},
             "grayscale 28x28 image, pixels scaled to [0,1]");
  b.SetMetadata(kMetaInputLayout, "NCHW [batch_size,1,28,28]");
  b.SetMetadata(kMetaInputSemantics, "input: grayscale image pixels in [0,1]; logits: unnormalised class scores");
  std::string x = kInput;
  ASSIGN_OR_RETURN(x, EmitInputStandardisation(b, model, x));
  ASSIGN_OR_RETURN(x, EmitConv2d(b, x, *model.conv1, "conv1"));
  x = EmitUnary(b, "Relu", x, "relu1");
  x = EmitMaxPool2d(b, x, /*kernel=*/2, /*stride=*/2, "pool1");
  ASSIGN_OR_RETURN(x, EmitConv2d(b, x, *model.conv2, "conv2"));
  x = EmitUnary(b, "Relu", x, "relu2");
  x = EmitMaxPool2d(b, x, /*kernel=*/2, /*stride=*/2, "pool2");
  // torch's flatten(1) on NCHW is exactly ONNX Flatten(axis=1): same C-major element order.
  x = EmitUnary(b, "Flatten", x, "flatten", {{"axis", int64_t{1}}});
  ASSIGN_OR_RETURN(x, EmitLinear(b, x, *model.fc1, "fc1"));
  x = EmitUnary(b, "Relu", x, "relu3");
  ASSIGN_OR_RETURN(x, EmitLinear(b, x, *model.fc2, "fc2", kOutput));
  b.AddOutput(kOutput, ElemType::kFloat, {Dim::Batch(), Dim::Fixed(nn::SmallCNNImpl::kNumClasses)});
  return b.Build();
}

}  // namespace reco::onnx_export
