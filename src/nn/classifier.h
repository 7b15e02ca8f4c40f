// The image classifiers the CLI can train, by kind name: "mlp" (SimpleNN) and "cnn" (SmallCNN).
#pragma once

#include <torch/nn/modules/container/any.h>

#include <string>
#include <vector>

#include "core/status.h"

namespace reco::nn {

const std::vector<std::string>& ClassifierKinds();  // {"mlp", "cnn"}
// A fresh, randomly initialised classifier of the given kind.
StatusOr<torch::nn::AnyModule> MakeClassifier(const std::string& kind);

}  // namespace reco::nn
