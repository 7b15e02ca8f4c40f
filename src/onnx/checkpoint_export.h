// `reco export`'s engine room: reads a trained model file and writes a validated ONNX model.
//
// Accepted inputs (told apart by their format tag, not by file name):
//   - reco checkpoints (train/checkpoint.h, "reco-checkpoint-v1"): kinds "mlp" (SimpleNN) and "cnn" (SmallCNN);
//     the class names stored in the checkpoint become metadata;
//   - Keras-style models saved by keras::Sequential::save ("reco-keras-v1").
// New model kinds (e.g. the DIN of the ranking issue) add one branch to ExportCheckpoint's dispatch.
// Errors name the file and what was wrong (missing, not a model, unknown kind, weights not matching the kind).
// Thread-safety: free functions, no shared state.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "core/status.h"
#include "onnx/classifier_export.h"

namespace reco::onnx_export {

struct ExportSummary {
  std::string kind;      // model kind as stored in the file
  int64_t parameters = 0;
  int64_t nodes = 0;
  int64_t bytes = 0;     // size of the written .onnx
};

StatusOr<onnx::ModelProto> ExportCheckpoint(const std::string& checkpoint_path, ExportOptions options);

// ExportCheckpoint + WriteModel; fills `summary` if not null.
Status ExportCheckpointToFile(const std::string& checkpoint_path, const std::string& onnx_path,
                              const ExportOptions& options, ExportSummary* summary = nullptr);

}  // namespace reco::onnx_export
