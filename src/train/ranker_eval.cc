// EvaluateRanker (declared in ranker_trainer.h): a trained model scored on another log's samples.
#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "data/ranker_features.h"
#include "data/samples_file.h"
#include "data/vocab_id.h"
#include "nn/ranker.h"
#include "train/ranker_batch.h"
#include "train/ranker_tensors.h"
#include "train/ranker_trainer.h"
#include "train/threads.h"

namespace reco::train {
namespace {

// Log index → model index for every index of `log`; counts kept ids the model has never seen.
std::vector<int32_t> Remap(const data::IdVocab& log, const data::IdVocab& model, int64_t* unknown) {
  std::vector<int32_t> remap(static_cast<size_t>(log.size()));
  remap[data::IdVocab::kPadding] = data::IdVocab::kPadding;
  remap[data::IdVocab::kOov] = data::IdVocab::kOov;
  int64_t n = 0;
  for (int32_t i = data::IdVocab::kFirstIndex; i < log.size(); ++i) {
    remap[static_cast<size_t>(i)] = model.Lookup(log.RawId(i));
    n += remap[static_cast<size_t>(i)] == data::IdVocab::kOov;
  }
  if (unknown) *unknown = n;
  return remap;
}

StatusOr<data::IdVocab> LoadVocab(const std::string& dir, const char* name) {
  const std::string path = dir + "/" + name + "_vocab.txt";
  auto v = data::IdVocab::Load(path);
  if (!v.ok() && v.status().code() == StatusCode::kNotFound) {
    return NotFoundError(path + ": vocabulary file missing (the model's " + name + " ids cannot be mapped)");
  }
  return v;
}

Status CheckRows(const std::string& what, int64_t rows, int64_t expected) {
  if (rows == expected) return Status::Ok();
  return InvalidArgumentError(what + " has " + std::to_string(rows) + " rows but the model expects " +
                              std::to_string(expected) + " (files from different runs?)");
}

}  // namespace

StatusOr<RankerEvalReport> EvaluateRanker(const RankerEvalConfig& c) {
  try {
    const auto t0 = std::chrono::steady_clock::now();
    SetTrainingThreads(c.threads > 0 ? c.threads : DefaultRankerThreads());
    ASSIGN_OR_RETURN(data::IdVocab run_item, LoadVocab(c.vocab_dir, "item"));
    ASSIGN_OR_RETURN(data::IdVocab run_cate, LoadVocab(c.vocab_dir, "cate"));
    ASSIGN_OR_RETURN(data::IdVocab run_user, LoadVocab(c.vocab_dir, "user"));
    ASSIGN_OR_RETURN(std::shared_ptr<nn::RankerModel> model, nn::LoadRanker(c.checkpoint));
    const nn::RankerConfig& mc = model->config();
    if (mc.kind != "seed-mlp") {
      RETURN_IF_ERROR(CheckRows(c.vocab_dir + "/item_vocab.txt", run_item.size(), mc.num_items));
      RETURN_IF_ERROR(CheckRows(c.vocab_dir + "/cate_vocab.txt", run_cate.size(), mc.num_cates));
    }
    std::string samples_path = c.samples_path;
    if (samples_path.empty()) {
      if (c.events_csv.empty() || c.work_dir.empty()) return InvalidArgumentError("no samples or events to evaluate");
      data::SampleBuildOptions o;
      o.max_history = static_cast<int>(mc.max_history);
      o.num_negatives = c.num_negatives;
      o.seed = c.seed;
      RETURN_IF_ERROR(data::BuildSampleDirFromCsv(c.events_csv, c.read_options, o, c.work_dir, c.pipeline_report));
      samples_path = c.work_dir + "/" + data::kSampleFileName;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<data::SampleFile> file, data::SampleFile::Open(samples_path));
    if (mc.kind != "seed-mlp" && file->max_history() != mc.max_history) {
      return InvalidArgumentError(samples_path + ": samples have max history " +
                                  std::to_string(file->max_history()) + " but the model was trained with " +
                                  std::to_string(mc.max_history));
    }
    const std::string log_dir = std::filesystem::path(samples_path).parent_path().string();
    ASSIGN_OR_RETURN(data::IdVocab log_item, LoadVocab(log_dir, "item"));
    ASSIGN_OR_RETURN(data::IdVocab log_cate, LoadVocab(log_dir, "cate"));
    ASSIGN_OR_RETURN(data::IdVocab log_user, LoadVocab(log_dir, "user"));

    RankerEvalReport report;
    report.model_kind = mc.kind;
    RankerBatcherOptions bo;
    bo.item_remap = Remap(log_item, run_item, &report.unknown_items);
    bo.cate_remap = Remap(log_cate, run_cate, &report.unknown_cates);
    data::FeatureTable user_features, item_features;
    if (mc.kind == "seed-mlp") {
      ASSIGN_OR_RETURN(user_features, data::LoadFeatureTable(c.vocab_dir + "/" + data::kUserFeatureFile));
      ASSIGN_OR_RETURN(item_features, data::LoadFeatureTable(c.vocab_dir + "/" + data::kItemFeatureFile));
      RETURN_IF_ERROR(CheckRows(c.vocab_dir + "/" + data::kUserFeatureFile, user_features.rows(), run_user.size()));
      RETURN_IF_ERROR(CheckRows(c.vocab_dir + "/" + data::kItemFeatureFile, item_features.rows(), run_item.size()));
      if (user_features.dim() != mc.seed_features || item_features.dim() != mc.seed_features) {
        return InvalidArgumentError(c.vocab_dir + ": feature tables are " + std::to_string(user_features.dim()) +
                                    "/" + std::to_string(item_features.dim()) + " wide, the model expects " +
                                    std::to_string(mc.seed_features));
      }
      bo.user_remap = Remap(log_user, run_user, nullptr);  // unknown users read the "unseen" row 1
      bo.user_features = &user_features, bo.item_features = &item_features;
    }
    std::vector<data::Split> splits;
    for (int s : c.splits) {
      if (s < 0 || s >= data::kNumSplits) return InvalidArgumentError("split must be 0, 1 or 2");
      splits.push_back(static_cast<data::Split>(s));
      report.samples += static_cast<int64_t>(file->samples(splits.back()).size());
    }
    if (report.samples == 0) {
      return InvalidArgumentError("no samples to evaluate in the chosen split(s) (metrics would be NaN): too few "
                                  "events, or every user's history too short");
    }
    const RankerBatcher batcher(*file, std::move(bo));
    report.metrics = ScoreSplits(*model, batcher, *file, splits, c.eval_batch);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report;
  } catch (const c10::Error& e) {
    return InternalError(std::string("ranker evaluation failed: ") + e.what_without_backtrace());
  }
}

}  // namespace reco::train
