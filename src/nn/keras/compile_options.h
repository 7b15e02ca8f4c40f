// What `Sequential::compile` takes: an optimizer, a loss and metric names, Keras-style.
//
// Each is a small value that names its kind and carries its hyper-parameters; both the helper functions
// (`Adam(1e-3)`, `SparseCategoricalCrossentropy(/*from_logits=*/true)`) and plain names ("adam", "sgd",
// "sparse_categorical_crossentropy", "binary_crossentropy") work. Names are checked by compile(), which
// returns InvalidArgument for unknown ones. Defaults follow Keras (Adam lr 1e-3, eps 1e-7; SGD lr 0.01).
// Thread-safety: value types.
#pragma once

#include <string>
#include <vector>

namespace reco::keras {

struct OptimizerSpec {
  std::string name = "adam";  // "adam" or "sgd" (case-insensitive)
  double learning_rate = 1e-3;
  // Adam.
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  // SGD.
  double momentum = 0.0;
  bool nesterov = false;

  OptimizerSpec() = default;
  OptimizerSpec(const char* n);         // NOLINT: "adam" -> Keras defaults for that optimizer
  OptimizerSpec(const std::string& n);  // NOLINT
};

OptimizerSpec Adam(double learning_rate = 1e-3, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7);
OptimizerSpec SGD(double learning_rate = 0.01, double momentum = 0.0, bool nesterov = false);

struct LossSpec {
  // "sparse_categorical_crossentropy": integer class labels [N], predictions [N, C].
  // "binary_crossentropy": 0/1 targets shaped like the predictions ([N] is accepted for [N, 1] outputs).
  std::string name = "sparse_categorical_crossentropy";
  // true: predictions are raw scores (logits); false: probabilities (softmax/sigmoid output), clipped to
  // [1e-7, 1 - 1e-7] as Keras does.
  bool from_logits = false;

  LossSpec() = default;
  LossSpec(const char* n);         // NOLINT
  LossSpec(const std::string& n);  // NOLINT
};

LossSpec SparseCategoricalCrossentropy(bool from_logits = false);
LossSpec BinaryCrossentropy(bool from_logits = false);

// Metric names: "accuracy"/"acc" (sparse categorical accuracy for the sparse CE loss, binary accuracy for BCE),
// "sparse_categorical_accuracy", "binary_accuracy". History and evaluate() report a metric under the name given.
using Metrics = std::vector<std::string>;

}  // namespace reco::keras
