// Rankers: the click-probability models of the recommendation issue — `din` (Deep Interest Network), `base`
// (the paper's BaseModel: pooled history, no attention) and `seed-mlp` (the seed's two-input MLP).
//
// Contract (docs/ranker_model.md): every model maps a RankerBatch to a logit per candidate (prob = sigmoid(logit);
// the trainer uses BCE-with-logits). Histories come as [H, L] with H = B (one history per row) or H = 1 (one
// user's history broadcast over all B candidates); both give the same result for the same rows. Index 0 is
// padding in every index space; padded entries (hist_mask 0) never influence the output.
// Models are created only through MakeRanker (which validates the config) and persisted with SaveRanker /
// LoadRanker: one LibTorch archive holding the format tag, the config as JSON, and the weights and buffers
// (Dice running statistics included), so a checkpoint alone rebuilds the model.
// Thread-safety: a model is a torch Module — concurrent Forward() calls in eval mode are safe; training (and
// train-mode Forward, which updates Dice running statistics) must be single-threaded per model.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace reco::nn {

// Embedding rows of the behaviour-type and recency index spaces (docs/ranker_model.md: type 1..4, recency 1..15,
// 0 = padding).
inline constexpr int64_t kNumTypeIndices = 5;
inline constexpr int64_t kNumRecencyIndices = 16;
inline constexpr const char* kRankerFormat = "reco-ranker-checkpoint-v1";  // archive tag (not the manifest's)

struct RankerConfig {
  std::string kind = "din";              // din | base | seed-mlp
  int64_t num_items = 0, num_cates = 0;  // vocabulary sizes incl. padding/OOV (embedding rows)
  int64_t emb_dim = 16;                  // item and category embedding dim
  int64_t type_dim = 4;                  // behaviour-type embedding dim (din attention input)
  int64_t recency_dim = 4;               // recency-bucket embedding dim (din attention input)
  int64_t max_history = 50;
  std::vector<int64_t> attention_hidden{80, 40};
  std::vector<int64_t> mlp_hidden{200, 80};
  std::string activation = "dice";  // dice | prelu (final MLP; the attention unit always uses Dice)
  bool attention_softmax = false;   // din: softmax over the real entries instead of the paper's raw weights
  std::string pooling = "mean";     // base only: sum | mean
  int64_t seed_features = 8;        // seed-mlp: width of user_input and of item_input
  double dice_eps = 1e-8;           // Dice: variance epsilon (the paper's value)
  double dice_momentum = 0.1;       // Dice: running-statistics update rate (as torch BatchNorm)
  bool sparse_embeddings = false;   // item/cate embeddings produce sparse gradients (for sparse optimizers)
};

struct RankerBatch {  // CPU tensors; H divides B (H = B, H = 1, or grouped rows: see above)
  torch::Tensor hist_item, hist_cate, hist_type, hist_recency;  // int64 [H, L]
  torch::Tensor hist_mask;                                      // float [H, L]
  torch::Tensor target_item, target_cate;                       // int64 [B]
  torch::Tensor user_input, item_input;                         // float [B, F] (seed-mlp only)
};

struct RankerOutput {
  torch::Tensor logit;      // [B]
  torch::Tensor attention;  // [B, L], din only (0 on padding), else undefined
};

class RankerModel : public torch::nn::Module {
 public:
  virtual RankerOutput Forward(const RankerBatch& batch) = 0;
  virtual const RankerConfig& config() const = 0;
  // Embedding parameters (for mini-batch-aware L2 / sparse optimizer handling by the trainer).
  virtual std::vector<torch::Tensor> embedding_tables() = 0;
};

// Checks sizes, kinds and options; InvalidArgument naming the field otherwise.
Status ValidateRankerConfig(const RankerConfig& config);
// A freshly initialised model (train mode); InvalidArgument on a bad config.
StatusOr<std::shared_ptr<RankerModel>> MakeRanker(const RankerConfig& config);

// Config <-> JSON text (the form stored in checkpoints and shown by tools).
std::string RankerConfigToJson(const RankerConfig& config);
StatusOr<RankerConfig> RankerConfigFromJson(const std::string& json);

// One archive file: format tag, config JSON, weights and buffers. Written to "<path>.tmp" and renamed.
Status SaveRanker(const RankerModel& model, const std::string& path);
// Rebuilds the model from a SaveRanker file, in eval mode. NotFound (missing file), DataLoss (unreadable or
// truncated archive, weights not matching the config) or InvalidArgument (not a ranker file), naming the file.
StatusOr<std::shared_ptr<RankerModel>> LoadRanker(const std::string& path);
// True iff `path` is a readable LibTorch archive carrying the ranker format tag (dispatch in `reco export`).
bool IsRankerCheckpoint(const std::string& path);
// Only the config of a SaveRanker file (cheap check of "is this a ranker checkpoint?").
StatusOr<RankerConfig> ReadRankerConfig(const std::string& path);

}  // namespace reco::nn
