// reco::keras::Sequential: the Keras workflow (Sequential -> compile -> fit -> evaluate -> predict) on LibTorch.
//
//   using namespace reco::keras;
//   Sequential model({Flatten(), Dense(128, "relu"), Dense(64, "relu"), Dense(10)});
//   RETURN_IF_ERROR(model.compile(Adam(1e-3), SparseCategoricalCrossentropy(/*from_logits=*/true), {"accuracy"}));
//   ASSIGN_OR_RETURN(History h, model.fit(x, y, {.epochs = 5, .batch_size = 64, .validation_split = 0.1}));
//   ASSIGN_OR_RETURN(EvalResult r, model.evaluate(x_test, y_test));
//   std::cout << model.summary();
//
// Contract:
// - The model is built (real torch modules created and registered on one torch::nn::Module, so parameters,
//   train()/eval() and serialization work) from the first input's per-sample shape, or earlier by an Input
//   layer or build(shape). Shapes never include the batch dimension. Building twice with another shape fails.
// - fit() trains in train() mode on whole-dataset tensors: one permutation per epoch, contiguous slices as
//   batches; evaluate()/predict() run in eval() mode under NoGradGuard.
// - Every fallible call returns Status/StatusOr; LibTorch errors (c10::Error) are caught here and returned as
//   Status, so nothing throws out of this API.
// - save()/load() keep the architecture, the compile settings, the weights and the optimizer state, so a
//   loaded model predicts identically and fit() resumes training.
// Thread-safety: not thread-safe; one thread owns a Sequential. Movable, not copyable.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "nn/keras/compile_options.h"
#include "nn/keras/layers.h"

namespace torch::nn {
class Module;
}

namespace reco::keras {

struct ValidationData {
  at::Tensor x, y;  // undefined = none
};

struct FitOptions {
  int epochs = 1;
  int64_t batch_size = 32;
  ValidationData validation_data;  // takes precedence over validation_split
  double validation_split = 0.0;   // in [0, 1): the LAST fraction of (x, y) is held out, before shuffling
  bool shuffle = true;             // a fresh permutation per epoch
  int verbose = 1;                 // 0 silent, 1 progress bar, 2 one line per epoch
  uint64_t seed = 0;               // shuffling seed (epoch e uses seed + e)
};

struct History {
  std::vector<double> loss;                                 // per epoch, mean over training batches
  std::map<std::string, std::vector<double>> metrics;       // e.g. metrics["accuracy"]
  std::vector<double> val_loss;                             // empty without validation data
  std::map<std::string, std::vector<double>> val_metrics;   // e.g. val_metrics["accuracy"]
  std::vector<double> epoch_seconds;                        // wall time of each epoch (training + validation)
};

struct EvalResult {
  double loss = 0.0;
  std::map<std::string, double> metrics;
};

// A built layer as the exporter sees it. Parameter tensors use LibTorch layouts: Dense "weight" [units, in]
// and "bias" [units]; Conv2D "weight" [filters, C, kh, kw] and "bias" [filters]. They alias the live weights.
struct LayerInfo {
  LayerConfig config;                  // with its resolved name; MaxPool2D strides resolved
  std::vector<int64_t> input_shape;    // per sample
  std::vector<int64_t> output_shape;   // per sample
  std::array<int64_t, 4> pads{};       // Conv2D: top, left, bottom, right ("same" resolved); else zeros
  std::vector<std::pair<std::string, at::Tensor>> params;
  int64_t num_params() const;
};

class Sequential {
 public:
  // Layer configs are validated here; an invalid one makes every later call return that error (see status()).
  // An Input(...) first layer builds the model immediately.
  explicit Sequential(std::vector<LayerConfig> layers = {}, std::string name = "sequential");
  ~Sequential();
  Sequential(Sequential&&) noexcept;
  Sequential& operator=(Sequential&&) noexcept;
  Sequential(const Sequential&) = delete;
  Sequential& operator=(const Sequential&) = delete;

  // Appends a layer (only before the model is built).
  Status add(LayerConfig layer);
  // Builds for a per-sample input shape, e.g. {784} or {1, 28, 28}.
  Status build(std::vector<int64_t> input_shape);
  bool built() const;
  // The first configuration error, or OK.
  Status status() const;

  Status compile(OptimizerSpec optimizer, LossSpec loss, Metrics metrics = {});
  bool compiled() const;

  StatusOr<History> fit(const at::Tensor& x, const at::Tensor& y, const FitOptions& options = {});
  StatusOr<EvalResult> evaluate(const at::Tensor& x, const at::Tensor& y, int64_t batch_size = 32);
  // Model outputs for every row of x (probabilities if the last layer has softmax/sigmoid, else raw scores).
  StatusOr<at::Tensor> predict(const at::Tensor& x, int64_t batch_size = 32);

  // The Keras layer table (name (type), output shape with None for the batch, params, totals).
  std::string summary() const;

  Status save(const std::string& path) const;
  static StatusOr<Sequential> load(const std::string& path);

  const std::string& name() const;
  std::vector<int64_t> input_shape() const;  // empty until built
  std::vector<int64_t> output_shape() const;
  std::vector<LayerInfo> layers() const;     // empty until built; Input layers are not listed (as in Keras)
  int64_t count_params() const;
  // The underlying module (its children are the layers, named as in layers()); null until built.
  std::shared_ptr<torch::nn::Module> module() const;
  // The compile settings (meaningful when compiled()).
  const OptimizerSpec& optimizer() const;
  const LossSpec& loss() const;
  const Metrics& metrics() const;

  // Defined in nn/keras/internal.h; named here only so the implementation files can share it.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::keras
