#include "serving/server_core.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "core/logging.h"
#include "serving/model_config.h"
#include "serving/version_policy.h"

namespace reco::serving {

using tensorflow::serving::ModelConfig;
using tensorflow::serving::ModelServerConfig;

ServerCore::ServerCore(FileSystem* fs, LoaderFactory* loaders) : fs_(fs), manager_(loaders) {}

ServerCore::~ServerCore() { StopPolling(); }

ModelServerConfig ServerCore::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

Status ServerCore::ReloadConfig(const ModelServerConfig& config) {
  std::lock_guard lock(reload_mu_);
  return ReloadConfigLocked(config);
}

Status ServerCore::ReloadConfigLocked(const ModelServerConfig& config) {
  RETURN_IF_ERROR(ValidateModelServerConfig(config));
  std::set<std::string> names;
  for (const ModelConfig& model : config.model_config_list().config()) names.insert(model.name());
  {
    std::lock_guard lock(config_mu_);
    config_ = config;
  }
  std::set<std::string> before;
  for (const std::string& name : manager_.ListModels()) before.insert(name);
  PollFileSystemLocked();  // load new models before dropping old ones
  for (const std::string& name : manager_.ListModels()) {
    if (!names.count(name)) manager_.RemoveModel(name);
  }
  // As TF Serving, the reload reports what did not come up: a newly added model with no available version, and
  // a version label that points at a version that is not available. The config stays installed (a model still
  // being copied loads on a later poll), but the caller learns that it is not serving yet.
  std::string problems;
  for (const ModelConfig& model : config.model_config_list().config()) {
    if (!before.count(model.name()) && !manager_.GetHandle(model.name(), {}).ok()) {
      auto versions = manager_.GetStatus(model.name(), std::nullopt);
      std::string why = "no version found under " + model.base_path();
      if (versions.ok() && !versions->empty() && !versions->front().error.ok()) {
        why = versions->front().error.message();
      }
      problems += fmt::format("{}model '{}' has no available version ({})", problems.empty() ? "" : "; ",
                              model.name(), why);
    }
    for (const auto& [label, version] : model.version_labels()) {
      VersionSelector selector;
      selector.version = version;
      if (!manager_.GetHandle(model.name(), selector).ok()) {
        problems += fmt::format("{}label '{}' of model '{}' points at version {}, which is not available",
                                problems.empty() ? "" : "; ", label, model.name(), version);
      }
    }
  }
  if (!problems.empty()) return FailedPreconditionError("config installed, but " + problems);
  return Status::Ok();
}

Status ServerCore::LoadConfigFile(const std::string& path) {
  std::lock_guard lock(reload_mu_);
  ASSIGN_OR_RETURN(std::string text, fs_->ReadFile(path));
  ASSIGN_OR_RETURN(ModelServerConfig config, ParseModelServerConfig(text, path));
  Status status = ReloadConfigLocked(config);
  // FailedPrecondition: the config is installed but something in it is not serving yet; the file is still the
  // one to poll.
  if (!status.ok() && status.code() != StatusCode::kFailedPrecondition) return status.WithContext(path);
  config_path_ = path;
  config_text_ = std::move(text);
  return status.ok() ? status : status.WithContext(path);
}

void ServerCore::PollConfigFile() {
  std::lock_guard lock(reload_mu_);
  if (config_path_.empty()) return;
  StatusOr<std::string> text = fs_->ReadFile(config_path_);
  if (!text.ok()) {
    RECO_LOG_ERROR("config poll: {}; keeping the current config", text.status().ToString());
    return;
  }
  if (*text == config_text_) return;
  StatusOr<ModelServerConfig> config = ParseModelServerConfig(*text, config_path_);
  Status status = config.ok() ? ReloadConfigLocked(*config) : config.status();
  if (!status.ok()) {
    RECO_LOG_ERROR("config poll: {}; keeping the current config", status.ToString());
  } else {
    RECO_LOG_INFO("config poll: reloaded {}", config_path_);
  }
  config_text_ = std::move(*text);  // do not retry (and re-log) the same broken text every poll
}

void ServerCore::PollFileSystem() {
  std::lock_guard lock(reload_mu_);
  PollFileSystemLocked();
}

void ServerCore::PollFileSystemLocked() {
  const ModelServerConfig config = this->config();
  if (!config.has_model_config_list()) return;
  for (const ModelConfig& model : config.model_config_list().config()) {
    StatusOr<std::vector<int64_t>> versions = ListModelVersions(*fs_, model.base_path());
    if (!versions.ok()) {
      RECO_LOG_WARN("model '{}': {}", model.name(), versions.status().message());
      versions = std::vector<int64_t>{};
    }
    manager_.Reconcile(model, *versions);
  }
}

void ServerCore::StartPolling(double file_system_poll_seconds, double config_file_poll_seconds) {
  StopPolling();
  {
    std::lock_guard lock(poll_mu_);
    stop_ = false;
  }
  if (file_system_poll_seconds <= 0 && config_file_poll_seconds <= 0) return;
  poller_ = std::thread([this, file_system_poll_seconds, config_file_poll_seconds] {
    using Clock = std::chrono::steady_clock;
    auto to_duration = [](double s) {
      return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    };
    const auto far = Clock::time_point::max();
    auto next_fs = file_system_poll_seconds > 0 ? Clock::now() + to_duration(file_system_poll_seconds) : far;
    auto next_config = config_file_poll_seconds > 0 ? Clock::now() + to_duration(config_file_poll_seconds) : far;
    std::unique_lock lock(poll_mu_);
    while (!stop_) {
      poll_cv_.wait_until(lock, std::min(next_fs, next_config), [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      const auto now = Clock::now();
      if (now >= next_config) {
        PollConfigFile();
        next_config = now + to_duration(config_file_poll_seconds);
      }
      if (now >= next_fs) {
        PollFileSystem();
        next_fs = Clock::now() + to_duration(file_system_poll_seconds);
      }
      lock.lock();
    }
  });
}

void ServerCore::StopPolling() {
  {
    std::lock_guard lock(poll_mu_);
    stop_ = true;
  }
  poll_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

}  // namespace reco::serving
