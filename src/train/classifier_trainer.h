// Training, evaluation and prediction for the image classifiers (the PyTorch-style loop behind the CLI).
//
// The header is LibTorch-free so the CLI files that include it compile quickly. Errors (missing data, bad
// checkpoint, LibTorch's c10::Error) come back as Status; nothing throws across this boundary.
// Thread-safety: each call owns its model; `threads` sets LibTorch's intra-op pool for the process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace reco::train {

struct ClassifierTrainConfig {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::string model = "mlp";  // mlp | cnn
  int epochs = 5;
  int64_t batch_size = 64;
  double lr = 1e-3;
  int threads = 0;  // 0 = the measured best for the model on this machine (see DefaultThreads)
  uint64_t seed = 42;
  std::string out = "model.pt";  // checkpoint written after every epoch
  std::string resume;            // checkpoint to continue from (model + optimizer state + epoch)
  std::string curves_csv;        // per-epoch curves; empty = "<out without .pt>.curves.csv"
  std::string curves_svg;        // plot; empty = "<out without .pt>.curves.svg"
  int64_t train_limit = 0;       // > 0: use only the first N training samples (quick runs, tests)
  int64_t test_limit = 0;
  bool progress = true;
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0;
  double seconds = 0;  // training time of the epoch only (evaluation excluded)
};

struct ClassifierTrainReport {
  std::vector<EpochRecord> epochs;
  double test_accuracy = 0, test_loss = 0;
  double samples_per_second = 0;  // training samples per second over all epochs
  int threads = 1;
  std::string checkpoint, curves_csv, curves_svg;
};

struct ClassifierEvalReport {
  double accuracy = 0, loss = 0;
  int64_t samples = 0;
  double seconds = 0;
};

struct ClassifierPrediction {
  int64_t index = 0;
  int label = 0;
  std::string class_name;
  double probability = 0;
  int true_label = 0;
  std::string true_class_name;
};

// Best LibTorch thread count for a model kind on this machine (measured by bench/classifier_vs_pytorch.sh:
// for the small MLP, OpenMP's overhead makes 1 thread ~3x faster than 2).
int DefaultThreads(const std::string& model);

StatusOr<ClassifierTrainReport> TrainClassifier(const ClassifierTrainConfig& config);
StatusOr<ClassifierEvalReport> EvaluateClassifier(const std::string& checkpoint, const std::string& data_dir,
                                                  int64_t limit = 0, int threads = 0);
// Predicts test-set image `index` of `data_dir`.
StatusOr<ClassifierPrediction> PredictClassifier(const std::string& checkpoint, const std::string& data_dir,
                                                 int64_t index, int threads = 0);

}  // namespace reco::train
