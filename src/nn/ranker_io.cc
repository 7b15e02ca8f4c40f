// SaveRanker / LoadRanker / ReadRankerConfig: one LibTorch archive per model.
//
// Archive keys: "reco/format" = kRankerFormat, "reco/config" = RankerConfigToJson, and the sub-archive "model"
// (parameters and buffers, Dice running statistics included). Readers check the format tag before anything else,
// so a classifier checkpoint or a random file is an InvalidArgument, not a crash.
#include <torch/torch.h>

#include <filesystem>

#include "nn/ranker.h"

namespace reco::nn {
namespace {

Status CheckReadable(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError(path + ": no such ranker checkpoint");
  if (std::filesystem::is_directory(path, ec)) return InvalidArgumentError(path + ": is a directory, not a ranker");
  return Status::Ok();
}

// Loads the archive and its config; DataLoss if the file is not a readable archive.
StatusOr<RankerConfig> OpenArchive(const std::string& path, torch::serialize::InputArchive* archive) {
  RETURN_IF_ERROR(CheckReadable(path));
  try {
    archive->load_from(path);
  } catch (const c10::Error& e) {
    return DataLossError(path + ": not a readable ranker archive (" + e.what_without_backtrace() + ")");
  }
  c10::IValue format, config;
  if (!archive->try_read("reco/format", format) || !format.isString() || format.toStringRef() != kRankerFormat) {
    return InvalidArgumentError(path + ": not a ranker checkpoint (missing reco/format " + kRankerFormat + ")");
  }
  if (!archive->try_read("reco/config", config) || !config.isString()) {
    return DataLossError(path + ": ranker checkpoint has no reco/config");
  }
  StatusOr<RankerConfig> parsed = RankerConfigFromJson(config.toStringRef());
  if (!parsed.ok()) return DataLossError(path + ": " + parsed.status().message());
  return parsed;
}

}  // namespace

Status SaveRanker(const RankerModel& model, const std::string& path) {
  const std::string tmp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    archive.write("reco/format", c10::IValue(std::string(kRankerFormat)));
    archive.write("reco/config", c10::IValue(RankerConfigToJson(model.config())));
    torch::serialize::OutputArchive model_archive;
    model.save(model_archive);
    archive.write("model", model_archive);
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    return InternalError("saving ranker " + path + ": " + e.what_without_backtrace());
  }
  // Write then rename: a crash never leaves a half-written model under the final name.
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return InternalError("cannot move ranker into place at " + path + ": " + ec.message());
  return Status::Ok();
}

bool IsRankerCheckpoint(const std::string& path) {
  if (!CheckReadable(path).ok()) return false;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue format;
    return archive.try_read("reco/format", format) && format.isString() && format.toStringRef() == kRankerFormat;
  } catch (const c10::Error&) {
    return false;
  }
}

StatusOr<RankerConfig> ReadRankerConfig(const std::string& path) {
  torch::serialize::InputArchive archive;
  return OpenArchive(path, &archive);
}

StatusOr<std::shared_ptr<RankerModel>> LoadRanker(const std::string& path) {
  torch::serialize::InputArchive archive;
  ASSIGN_OR_RETURN(RankerConfig config, OpenArchive(path, &archive));
  StatusOr<std::shared_ptr<RankerModel>> model = MakeRanker(config);
  if (!model.ok()) return model.status().WithContext(path);
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    (*model)->load(model_archive);
  } catch (const c10::Error& e) {
    return DataLossError(path + ": weights do not match the stored " + config.kind + " config (" +
                         e.what_without_backtrace() + ")");
  }
  (*model)->eval();
  return model;
}

}  // namespace reco::nn
