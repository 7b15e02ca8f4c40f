// WriteModelFolder: `reco export` for rankers — a ready TF-Serving-style model folder (docs/ranker_model.md):
//
//   MODEL_DIR/<version>/model.onnx, manifest.json, item_vocab.txt, cate_vocab.txt, user_vocab.txt
//                       (+ user_features.tsv / item_features.tsv when present beside the vocabularies: seed-mlp)
//
// Contract: the vocabularies are checked before anything is written (a missing one is NotFound naming the file; a
// din/base model whose embedding rows differ from the item/category vocabulary sizes is InvalidArgument), the
// model is exported and validated (ranker_export.h), and the whole version is assembled in a hidden staging
// directory "MODEL_DIR/.<version>.tmp-<pid>" that is renamed to "MODEL_DIR/<version>" at the end: a server polling
// MODEL_DIR never sees a half-written version. version 0 means 1 + the largest existing numeric version; an
// existing version directory is never overwritten (AlreadyExists).
// manifest.json (RapidJSON): format "reco-ranker-v1", model_kind, max_history, emb_dim, inputs/outputs (name,
// dtype, shape, meaning), vocabularies, feature names (seed-mlp), metrics and training (from ManifestExtras),
// created_at (UTC, ISO 8601), producer.
// Thread-safety: free functions; concurrent writers to one MODEL_DIR must pick distinct versions.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "onnx/ranker_export.h"

namespace reco::onnx_export {

inline constexpr const char* kManifestFormatV1 = "reco-ranker-v1";
inline constexpr const char* kModelFileName = "model.onnx";
inline constexpr const char* kManifestFile = "manifest.json";

struct ManifestExtras {
  std::string metrics_json;   // JSON object text embedded as "metrics" (empty: {})
  std::string training_json;  // JSON object text embedded as "training" (empty: omitted)
};

// Reads a metrics JSON file. Two forms: the flat one `reco train-ranker --metrics-json` / run.json writes
// (valid_auc, valid_gauc, ..., test_auc, ... -> metrics.validation.auc, metrics.test.auc, ...; events, epochs,
// train_samples (-> samples), batch_size, lr, ... -> training) and a nested one ("validation" or
// "best_validation", "test", "training" objects). A file with none of those is embedded whole as metrics.
// NotFound / InvalidArgument naming the file.
StatusOr<ManifestExtras> ManifestExtrasFromMetricsFile(const std::string& path);

struct ModelFolderResult {
  int64_t version = 0;
  std::string version_dir;  // MODEL_DIR/<version>
  int64_t model_bytes = 0;
  int64_t nodes = 0;
};

// Largest numeric version directory in model_dir (0 if none or model_dir does not exist).
int64_t LargestVersion(const std::string& model_dir);

StatusOr<ModelFolderResult> WriteModelFolder(const nn::RankerModel& model, const std::string& vocab_dir,
                                             const ManifestExtras& extras, const std::string& model_dir,
                                             int64_t version = 0, const RankerExportOptions& options = {});

// The run summary `reco train-ranker` writes beside best.pt (embedded when no metrics file is named).
inline constexpr const char* kRunMetricsFile = "run.json";

// `reco export` for a ranker checkpoint (nn::SaveRanker file): LoadRanker + ManifestExtrasFromMetricsFile +
// WriteModelFolder. An empty `vocab_dir` means the checkpoint's own directory (train-ranker copies the
// vocabularies there); an empty `metrics_json` means <checkpoint dir>/run.json when it exists.
StatusOr<ModelFolderResult> ExportRankerCheckpoint(const std::string& checkpoint, const std::string& vocab_dir,
                                                   const std::string& metrics_json, const std::string& model_dir,
                                                   int64_t version = 0, const RankerExportOptions& options = {});

}  // namespace reco::onnx_export
