#include "onnx/checkpoint_export.h"

#include <torch/torch.h>

#include <filesystem>

#include "nn/classifier.h"
#include "nn/keras/sequential.h"
#include "nn/simple_nn.h"
#include "nn/small_cnn.h"
#include "onnx/graph_builder.h"
#include "onnx/keras_export.h"
#include "train/checkpoint.h"

namespace reco::onnx_export {
namespace {

StatusOr<onnx::ModelProto> ExportClassifierCheckpoint(const std::string& path, const train::CheckpointInfo& info,
                                                      ExportOptions options) {
  ASSIGN_OR_RETURN(torch::nn::AnyModule any, nn::MakeClassifier(info.kind));
  std::shared_ptr<torch::nn::Module> module = any.ptr();
  RETURN_IF_ERROR(train::LoadCheckpoint(path, *module, /*optimizer=*/nullptr).status());
  module->eval();
  if (options.class_names.empty()) options.class_names = info.class_names;
  StatusOr<onnx::ModelProto> model = InternalError("model kind '" + info.kind + "' has no exporter");
  if (auto mlp = std::dynamic_pointer_cast<nn::SimpleNNImpl>(module)) {
    model = ExportSimpleNN(*mlp, options);
  } else if (auto cnn = std::dynamic_pointer_cast<nn::SmallCNNImpl>(module)) {
    model = ExportSmallCNN(*cnn, options);
  }
  if (!model.ok()) return model.status().WithContext(path);
  model->set_doc_string(model->doc_string() + " (from checkpoint " + std::filesystem::path(path).filename().string() +
                        ", epoch " + std::to_string(info.epoch) + ")");
  return model;
}

}  // namespace

StatusOr<onnx::ModelProto> ExportCheckpoint(const std::string& checkpoint_path, ExportOptions options) {
  StatusOr<train::CheckpointInfo> info = train::ReadCheckpointInfo(checkpoint_path);
  if (info.ok()) return ExportClassifierCheckpoint(checkpoint_path, *info, std::move(options));
  if (info.status().code() != StatusCode::kInvalidArgument) return info.status();  // e.g. missing file
  // Not a reco checkpoint: maybe a Keras-style model file.
  StatusOr<keras::Sequential> keras_model = keras::Sequential::load(checkpoint_path);
  if (!keras_model.ok()) {
    return InvalidArgumentError(checkpoint_path + ": neither a reco checkpoint nor a reco keras model (" +
                                info.status().message() + "; " + keras_model.status().message() + ")");
  }
  auto model = ExportSequential(*keras_model, options);
  if (!model.ok()) return model.status().WithContext(checkpoint_path);
  return model;
}

Status ExportCheckpointToFile(const std::string& checkpoint_path, const std::string& onnx_path,
                              const ExportOptions& options, ExportSummary* summary) {
  ASSIGN_OR_RETURN(onnx::ModelProto model, ExportCheckpoint(checkpoint_path, options));
  RETURN_IF_ERROR(WriteModel(model, onnx_path));
  if (summary != nullptr) {
    *summary = ExportSummary{};
    for (const auto& p : model.metadata_props()) {
      if (p.key() == kMetaModelKind) summary->kind = p.value();
    }
    for (const auto& init : model.graph().initializer()) {
      int64_t n = 1;
      for (int64_t d : init.dims()) n *= d;
      summary->parameters += n;
    }
    summary->nodes = model.graph().node_size();
    summary->bytes = static_cast<int64_t>(model.ByteSizeLong());
  }
  return Status::Ok();
}

}  // namespace reco::onnx_export
