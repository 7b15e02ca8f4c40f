#include "serving/model_config.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <set>

#include <fmt/format.h>

namespace reco::serving {
namespace {

using tensorflow::serving::FileSystemStoragePathSourceConfig;
using tensorflow::serving::ModelConfig;
using tensorflow::serving::ModelServerConfig;

// Collects the first parse error with its position (protobuf would print it to stderr otherwise).
class ErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (first_.empty()) first_ = fmt::format("line {}, column {}: {}", line + 1, column + 1, message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

}  // namespace

bool IsValidModelName(std::string_view name) {
  if (name.empty() || name.size() > 256 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

StatusOr<ModelServerConfig> ParseModelServerConfig(std::string_view text, std::string_view origin) {
  ModelServerConfig config;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  google::protobuf::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  if (!parser.Parse(&input, &config)) {
    return InvalidArgumentError(fmt::format("{}: not a valid text-format ModelServerConfig: {}", origin,
                                            errors.first().empty() ? "parse error" : errors.first()));
  }
  return config;
}

StatusOr<ModelServerConfig> ReadModelServerConfig(const FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
  ASSIGN_OR_RETURN(ModelServerConfig config, ParseModelServerConfig(text, path));
  Status status = ValidateModelServerConfig(config);
  if (!status.ok()) return status.WithContext(path);
  return config;
}

Status ValidateModelServerConfig(const ModelServerConfig& config) {
  if (!config.has_model_config_list()) return InvalidArgumentError("config has no model_config_list");
  const auto& list = config.model_config_list().config();
  if (list.empty()) return InvalidArgumentError("model_config_list lists no model (add a `config: { ... }`)");
  std::set<std::string> names;
  for (int i = 0; i < list.size(); ++i) {
    const ModelConfig& model = list[i];
    const std::string where = model.name().empty() ? fmt::format("model_config_list.config[{}]", i)
                                                   : fmt::format("model '{}'", model.name());
    if (!IsValidModelName(model.name())) {
      return InvalidArgumentError(fmt::format("{}: name '{}' must be 1-256 characters of [A-Za-z0-9_.-]", where,
                                              model.name()));
    }
    if (!names.insert(model.name()).second) {
      return InvalidArgumentError(fmt::format("{}: name is used by more than one model", where));
    }
    if (model.base_path().empty()) return InvalidArgumentError(where + ": base_path is empty");
    if (!model.model_platform().empty() && model.model_platform() != "onnx") {
      return InvalidArgumentError(fmt::format(
          "{}: model_platform \"{}\" is not supported; reco-model-server serves \"onnx\" models only", where,
          model.model_platform()));
    }
    const auto& policy = model.model_version_policy();
    if (policy.has_specific()) {
      if (policy.specific().versions().empty()) {
        return InvalidArgumentError(where + ": model_version_policy.specific lists no versions");
      }
      for (int64_t v : policy.specific().versions()) {
        if (v < 0) return InvalidArgumentError(fmt::format("{}: version {} is negative", where, v));
      }
    }
    for (const auto& [label, version] : model.version_labels()) {
      if (!IsValidModelName(label)) {
        return InvalidArgumentError(fmt::format("{}: version label '{}' must be [A-Za-z0-9_.-]", where, label));
      }
      if (version < 0) {
        return InvalidArgumentError(fmt::format("{}: version label '{}' points at negative version {}", where,
                                                label, version));
      }
    }
  }
  return Status::Ok();
}

ModelServerConfig SingleModelConfig(const std::string& name, const std::string& base_path) {
  ModelServerConfig config;
  ModelConfig* model = config.mutable_model_config_list()->add_config();
  model->set_name(name);
  model->set_base_path(base_path);
  model->set_model_platform("onnx");
  return config;
}

}  // namespace reco::serving
