// Checkpoints: model parameters, optimizer state and a little metadata in one LibTorch archive file.
//
// Layout (torch::serialize archive): "reco/format" = "reco-checkpoint-v1", "reco/kind" (e.g. "mlp", "cnn"),
// "reco/epoch", "reco/class_names" (newline-joined), and sub-archives "model" and "optimizer" (absent when
// saved without an optimizer). Saving both lets training resume exactly where it stopped.
// LibTorch errors are caught here and returned as Status naming the file.
// Thread-safety: free functions; the caller must not train the module concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace reco::train {

inline constexpr const char* kCheckpointFormat = "reco-checkpoint-v1";

struct CheckpointInfo {
  std::string kind;  // model kind, e.g. "mlp" or "cnn"
  int64_t epoch = 0;  // completed epochs
  std::vector<std::string> class_names;
};

Status SaveCheckpoint(const std::string& path, const torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                      const CheckpointInfo& info);

// Reads only the metadata (to decide which module to construct).
StatusOr<CheckpointInfo> ReadCheckpointInfo(const std::string& path);

// Loads parameters into `model` (which must have the checkpoint's architecture) and, if `optimizer` is not null
// and the file has optimizer state, the optimizer state too.
StatusOr<CheckpointInfo> LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                                        torch::optim::Optimizer* optimizer);

}  // namespace reco::train
