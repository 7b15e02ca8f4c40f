// RankerModel: one loaded version of a ranker model folder (docs/ranker_model.md): the engine servable of
// <version>/model.onnx plus what the online service needs to feed it — the manifest (model kind, max_history L)
// and the item/category vocabularies that map raw ids to embedding indices (OOV -> 1).
//
// A RankerModel IS a serving::Servable, so the model server's lifecycle (ServerCore -> ServableManager ->
// ServableHandle) loads, hot-swaps and keeps it alive unchanged; RankerLoaderFactory is the only glue. With
// `vocab_only` the ONNX file is not loaded (remote ranking: the model runs in a reco-model-server, but the ids
// are still mapped here), and Run() answers FailedPrecondition.
// Load errors name the file: a missing manifest.json or vocabulary, a manifest without max_history, a model
// input that is not one of the contract's names or has the wrong dtype.
// Thread-safety: immutable after load; Run and the accessors may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "data/vocab_id.h"
#include "serving/onnx_servable.h"
#include "serving/servable.h"

namespace reco::online::ranking {

inline constexpr char kManifestFileName[] = "manifest.json";
inline constexpr char kManifestFormat[] = "reco-ranker-v1";

// Input and output names of the contract.
inline constexpr std::string_view kHistItem = "hist_item", kHistCate = "hist_cate", kHistType = "hist_type",
                                  kHistRecency = "hist_recency", kHistMask = "hist_mask",
                                  kTargetItem = "target_item", kTargetCate = "target_cate", kProb = "prob",
                                  kAttention = "attention";

struct RankerManifest {
  std::string model_kind;  // din | base | seed-mlp
  int max_history = 0;     // L
  std::string item_vocab = "item_vocab.txt";
  std::string cate_vocab = "cate_vocab.txt";
  std::string user_vocab = "user_vocab.txt";
  std::string created_at;
};

// Parses manifest.json text; `file` prefixes errors.
StatusOr<RankerManifest> ParseRankerManifest(std::string_view json, std::string_view file);

class RankerModel final : public serving::Servable {
 public:
  RankerModel(RankerManifest manifest, data::IdVocab items, data::IdVocab cates,
              std::shared_ptr<const serving::Servable> servable);

  const std::vector<serving::TensorInfo>& inputs() const override;
  const std::vector<serving::TensorInfo>& outputs() const override;
  Status Run(std::span<const serving::NamedTensor> inputs, std::span<const std::string> output_names,
             std::vector<serving::NamedTensor>* outputs) const override;

  const RankerManifest& manifest() const { return manifest_; }
  const data::IdVocab& items() const { return items_; }
  const data::IdVocab& cates() const { return cates_; }
  bool has_engine() const { return servable_ != nullptr; }
  bool has_attention() const { return has_attention_; }
  // True if the model's hist_* inputs have a dynamic second axis: the history may be fed at its real length.
  bool dynamic_history() const { return dynamic_history_; }

 private:
  RankerManifest manifest_;
  data::IdVocab items_;
  data::IdVocab cates_;
  std::shared_ptr<const serving::Servable> servable_;  // null when vocab_only
  bool has_attention_ = false;
  bool dynamic_history_ = false;
  std::vector<serving::TensorInfo> no_infos_;
};

struct RankerLoadOptions {
  serving::OnnxLoaderOptions onnx;
  bool vocab_only = false;
  // The most candidates a request ranks. At load, every history bucket is run at this (padded) batch and every
  // smaller padded batch at the shortest history, so common requests never pay for building an execution plan
  // (the engine caches one per input shape; the cache is sized for every shape up to this batch). 0: no warm-up
  // beyond the engine's own.
  int warm_up_max_batch = 0;
};

// Loads `version_dir` (MODEL_DIR/<version>).
StatusOr<std::shared_ptr<const RankerModel>> LoadRankerModel(const std::string& version_dir,
                                                             const RankerLoadOptions& options);

// The LoaderFactory that makes ServerCore load RankerModels.
class RankerLoaderFactory final : public serving::LoaderFactory {
 public:
  explicit RankerLoaderFactory(RankerLoadOptions options) : options_(options) {}
  std::unique_ptr<serving::Loader> Create(const std::string& model_name, int64_t version,
                                          const std::string& version_path) override;

 private:
  RankerLoadOptions options_;
};

}  // namespace reco::online::ranking
