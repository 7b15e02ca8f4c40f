// Exporters for reco's image classifiers: SimpleNN ("mlp") and SmallCNN ("cnn").
//
// Contract: each returns a validated ModelProto (see GraphBuilder::Build) whose single output "logits" [batch, 10]
// equals the module's forward() on the same input. The input is named "input":
//   - mlp: [batch, 784] by default (what torch.onnx.export of the tutorial MLP gives, and what a serving client
//     sends as a flat pixel vector); with `image_input` it is [batch, 1, 28, 28] followed by a Flatten node.
//   - cnn: always [batch, 1, 28, 28].
// The choice is recorded in metadata_props ("reco.input_semantics", "reco.input_layout") next to
// "reco.model_kind" and "reco.class_names", so the server and `reco inspect` can describe the model.
// Thread-safety: reads the module's parameters; the caller must not train it concurrently.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "core/status.h"
#include "onnx/graph_builder.h"

namespace reco::nn {
struct SimpleNNImpl;
struct SmallCNNImpl;
}  // namespace reco::nn

namespace reco::onnx_export {

struct ExportOptions {
  int opset = kDefaultOpset;
  bool image_input = false;              // mlp only: take [batch,1,28,28] and Flatten it in the graph
  std::vector<std::string> class_names;  // optional, stored as metadata (newline-joined)
  int64_t model_version = 1;
};

// Metadata keys every reco export writes.
inline constexpr const char* kMetaModelKind = "reco.model_kind";
inline constexpr const char* kMetaInputSemantics = "reco.input_semantics";
inline constexpr const char* kMetaInputLayout = "reco.input_layout";
inline constexpr const char* kMetaClassNames = "reco.class_names";

StatusOr<onnx::ModelProto> ExportSimpleNN(const nn::SimpleNNImpl& model, const ExportOptions& options);
StatusOr<onnx::ModelProto> ExportSmallCNN(const nn::SmallCNNImpl& model, const ExportOptions& options);

}  // namespace reco::onnx_export
