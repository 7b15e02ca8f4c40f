// Internals of reco::keras shared by its .cc files (never included by users): the torch module of each layer,
// shape inference, and Sequential::Impl. Including <torch/torch.h> here is fine: every includer is a .cc in a
// TORCH target, which gets it from the shared precompiled header anyway.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "nn/keras/sequential.h"

namespace reco::keras::internal {

// One built layer: a real torch module whose parameters are registered under "weight"/"bias".
struct LayerModule : torch::nn::Module {
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

// Checks a config on its own (sizes, names), naming the layer in the error.
Status ValidateConfig(const LayerConfig& config);

// Per-sample output shape for `input` (and resolved Conv2D pads); InvalidArgument naming the layer if the input
// shape does not fit (e.g. Conv2D on a flat vector, kernel larger than the image).
StatusOr<LayerInfo> InferShape(const LayerConfig& config, const std::vector<int64_t>& input);

// Creates the torch module for a layer whose shapes are known, initialised as Keras does (Glorot-uniform
// kernels, zero biases).
std::shared_ptr<LayerModule> MakeLayerModule(const LayerInfo& info);

// "[1, 28, 28]".
std::string ShapeString(const std::vector<int64_t>& shape);

// Runs `fn` (returning Status or StatusOr) and turns any LibTorch/C++ exception into a Status prefixed by `what`.
template <typename Fn>
auto CatchTorch(std::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    return InternalError(std::string(what) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return InternalError(std::string(what) + ": " + e.what());
  }
}

}  // namespace reco::keras::internal

namespace reco::keras {

struct Sequential::Impl {
  std::string name;
  std::vector<LayerConfig> configs;  // without Input layers; names resolved
  Status status;                     // first configuration error
  std::vector<int64_t> declared_input;  // from an Input layer

  // Built state.
  bool built = false;
  std::vector<int64_t> input_shape;
  std::vector<LayerInfo> infos;  // params not filled (see Sequential::layers())
  std::shared_ptr<torch::nn::Module> root;
  std::vector<std::shared_ptr<internal::LayerModule>> modules;

  // Compiled state.
  bool compiled = false;
  OptimizerSpec optimizer_spec;
  LossSpec loss_spec;
  Metrics metrics;
  std::unique_ptr<torch::optim::Optimizer> optimizer;  // created once both built and compiled

  Status Build(const std::vector<int64_t>& shape);
  // (Re)builds for the Input layer's shape; records a failure in `status`.
  Status BuildDeclared();
  Status MakeOptimizerIfReady();
  torch::Tensor Forward(torch::Tensor x) const;
  // Ensures the model is built for x's per-sample shape and x matches it.
  Status CheckInput(const at::Tensor& x, std::string_view what);
};

}  // namespace reco::keras
