#include "nn/classifier.h"

#include <torch/torch.h>

#include "nn/simple_nn.h"
#include "nn/small_cnn.h"

namespace reco::nn {

const std::vector<std::string>& ClassifierKinds() {
  static const std::vector<std::string> kinds = {"mlp", "cnn"};
  return kinds;
}

StatusOr<torch::nn::AnyModule> MakeClassifier(const std::string& kind) {
  if (kind == "mlp") return torch::nn::AnyModule(SimpleNN());
  if (kind == "cnn") return torch::nn::AnyModule(SmallCNN());
  return InvalidArgumentError("unknown classifier model '" + kind + "' (expected mlp or cnn)");
}

}  // namespace reco::nn
