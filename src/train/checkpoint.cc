#include "train/checkpoint.h"

#include <torch/torch.h>

#include <filesystem>
#include <sstream>

namespace reco::train {
namespace {

std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "\n" : "") + v[i];
  return out;
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

StatusOr<CheckpointInfo> ReadInfo(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue format, kind, epoch, names;
  if (!archive.try_read("reco/format", format) || !format.isString() ||
      format.toStringRef() != kCheckpointFormat) {
    return InvalidArgumentError(path + ": not a reco checkpoint (missing reco/format " + kCheckpointFormat + ")");
  }
  CheckpointInfo info;
  if (!archive.try_read("reco/kind", kind) || !kind.isString()) {
    return InvalidArgumentError(path + ": checkpoint has no model kind");
  }
  info.kind = kind.toStringRef();
  if (archive.try_read("reco/epoch", epoch) && epoch.isInt()) info.epoch = epoch.toInt();
  if (archive.try_read("reco/class_names", names) && names.isString()) info.class_names = SplitLines(names.toStringRef());
  return info;
}

Status CheckReadable(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError(path + ": no such checkpoint file");
  if (std::filesystem::is_directory(path, ec)) return InvalidArgumentError(path + ": is a directory, not a checkpoint");
  return Status::Ok();
}

}  // namespace

Status SaveCheckpoint(const std::string& path, const torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                      const CheckpointInfo& info) {
  try {
    torch::serialize::OutputArchive archive;
    archive.write("reco/format", c10::IValue(std::string(kCheckpointFormat)));
    archive.write("reco/kind", c10::IValue(info.kind));
    archive.write("reco/epoch", c10::IValue(info.epoch));
    archive.write("reco/class_names", c10::IValue(JoinLines(info.class_names)));
    torch::serialize::OutputArchive model_archive;
    model.save(model_archive);
    archive.write("model", model_archive);
    if (optimizer != nullptr) {
      torch::serialize::OutputArchive optimizer_archive;
      optimizer->save(optimizer_archive);
      archive.write("optimizer", optimizer_archive);
    }
    // Write then rename, so a crash never leaves a half-written checkpoint under the final name.
    const std::string tmp = path + ".tmp";
    archive.save_to(tmp);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return InternalError("cannot move checkpoint into place at " + path + ": " + ec.message());
    return Status::Ok();
  } catch (const c10::Error& e) {
    return InternalError("saving checkpoint " + path + ": " + e.what_without_backtrace());
  }
}

StatusOr<CheckpointInfo> ReadCheckpointInfo(const std::string& path) {
  RETURN_IF_ERROR(CheckReadable(path));
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    return ReadInfo(archive, path);
  } catch (const c10::Error& e) {
    return InvalidArgumentError(path + ": not a readable checkpoint (" + e.what_without_backtrace() + ")");
  }
}

StatusOr<CheckpointInfo> LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                                        torch::optim::Optimizer* optimizer) {
  RETURN_IF_ERROR(CheckReadable(path));
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    ASSIGN_OR_RETURN(CheckpointInfo info, ReadInfo(archive, path));
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    if (optimizer != nullptr) {
      torch::serialize::InputArchive optimizer_archive;
      if (archive.try_read("optimizer", optimizer_archive)) optimizer->load(optimizer_archive);
    }
    return info;
  } catch (const c10::Error& e) {
    return InvalidArgumentError(path + ": checkpoint does not match the model (" + e.what_without_backtrace() + ")");
  }
}

}  // namespace reco::train
