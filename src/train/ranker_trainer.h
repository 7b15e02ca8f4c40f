// Training and evaluation of the rankers (din | base | seed-mlp) on a DIN sample file.
//
// TrainRanker reads `<samples_dir>/samples.bin` (memory-mapped; never the CSV), shuffles the training samples every
// epoch, and minimises BCE-with-logits over the 1 + K rows of each sample (positive + stored negatives). Optimizer:
// Adam (FusedAdam) on the dense parameters; the item and category embedding tables either get sparse gradients
// and LazyAdam (= torch.optim.SparseAdam semantics, default: only the rows in the batch are touched) or join the
// dense Adam (optimizer = "adam"). After every epoch the validation split is scored (AUC, GAUC, logloss — see
// ranking_metrics.h); the best validation GAUC (AUC if GAUC is undefined) is saved to `<out_dir>/best.pt` with
// nn::SaveRanker, and training stops after `patience` epochs without improvement. The test split is scored with
// the best model at the end. Curves go to `<out_dir>/curves.csv` and `.svg`; seed-mlp features (computed from the
// training split, data/ranker_features.h) to `<out_dir>/{user,item}_features.tsv`.
// Throughput unit: an "example" is one labelled row (history, candidate); a sample gives 1 + K examples.
// The header is LibTorch-free; LibTorch errors come back as Status, nothing throws across this boundary.
// Thread-safety: one call owns its model; `threads` sets the process-wide LibTorch/BLAS pools.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/samples_pipeline.h"
#include "train/ranking_metrics.h"

namespace reco::train {

inline constexpr char kBestCheckpointFile[] = "best.pt";

struct RankerTrainConfig {
  std::string samples_dir;  // holds samples.bin
  std::string out_dir;      // best.pt, curves, features
  std::string model = "din";  // din | base | seed-mlp
  int epochs = 5;
  int64_t batch_size = 256;  // samples per step (rows = batch_size · (1 + K))
  double lr = 1e-3;
  int64_t emb_dim = 16;
  std::string activation = "dice";  // dice | prelu
  bool attention_softmax = false;
  std::string pooling = "mean";       // base: sum | mean
  std::string optimizer = "lazy-adam";  // lazy-adam (sparse embedding rows) | adam (everything dense)
  double l2_emb = 0;                  // mini-batch-aware L2 on embedding rows (lazy-adam only)
  int patience = 2;                   // epochs without a better validation GAUC before stopping (0 = never stop)
  int threads = 0;                    // 0 = DefaultRankerThreads()
  uint64_t seed = 42;
  int64_t train_limit = 0;            // > 0: only the first N training samples of each epoch's order (quick runs)
  int64_t eval_batch = 1024;          // samples per evaluation step
  bool progress = true;
};

struct RankerEpochRecord {
  int epoch = 0;
  double train_loss = 0;
  RankingMetrics validation;
  double seconds = 0;  // training time of the epoch (evaluation excluded)
  double examples_per_second = 0;
};

struct RankerTrainReport {
  std::vector<RankerEpochRecord> epochs;
  int best_epoch = 0;
  RankingMetrics best_validation, test;
  int64_t train_samples = 0, train_examples = 0;  // per epoch
  double examples_per_second = 0;  // training rows per second over all epochs
  int threads = 1;
  bool stopped_early = false;
  std::string checkpoint, curves_csv, curves_svg, user_features, item_features;
};

// Measured best LibTorch thread count for training on this machine (see docs/ranker.md).
int DefaultRankerThreads();

StatusOr<RankerTrainReport> TrainRanker(const RankerTrainConfig& config);

struct RankerEvalConfig {
  std::string checkpoint;         // a SaveRanker file (best.pt)
  std::string vocab_dir;          // the run's user/item/cate_vocab.txt (and features for seed-mlp)
  std::string samples_path;       // samples.bin built from the log to evaluate (its own vocabularies beside it)
  // Alternative to samples_path: a behaviour CSV, turned into samples in `work_dir` with the model's max history.
  std::string events_csv, work_dir;
  data::BehaviorReaderOptions read_options;
  int num_negatives = 1;
  uint64_t seed = 1;
  data::SamplePipelineReport* pipeline_report = nullptr;  // filled when events_csv is used (not owned)
  std::vector<int> splits{0, 1, 2};  // which splits of that file to score (data::Split values)
  int threads = 0;
  int64_t eval_batch = 1024;
};

struct RankerEvalReport {
  RankingMetrics metrics;
  std::string model_kind;
  int64_t samples = 0;
  int64_t unknown_items = 0, unknown_cates = 0;  // indices of the log that the run's vocabulary maps to OOV
  double seconds = 0;
};

// Scores a log's samples with a trained model, mapping the log's ids through the run's vocabularies (unknown ids
// become OOV). NotFound naming the file when a vocabulary, feature table or the checkpoint is missing;
// InvalidArgument when the samples' max history differs from the model's.
StatusOr<RankerEvalReport> EvaluateRanker(const RankerEvalConfig& config);

}  // namespace reco::train
