// ServerCore: the model lifecycle of reco-model-server, independent of any transport.
//
// Holds the current ModelServerConfig, finds versions on disk (the Source), and drives the ServableManager.
// Polling is explicit: PollFileSystem() and PollConfigFile() do one round each, so tests drive hot reload step by
// step through a fake FileSystem; StartPolling() runs them on a background thread at the configured intervals
// (TF Serving's --file_system_poll_wait_seconds / --model_config_file_poll_wait_seconds; 0 disables a poll).
// A config that fails to read or validate is logged and the previous one keeps serving.
// Thread-safety: all public methods may be called concurrently; reloads are serialized.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "serving/file_system.h"
#include "serving/proto/model_server_config.pb.h"
#include "serving/servable_manager.h"

namespace reco::serving {

class ServerCore {
 public:
  // `fs` and `loaders` are not owned and must outlive the core.
  ServerCore(FileSystem* fs, LoaderFactory* loaders);
  ~ServerCore();  // stops polling
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  // Validates and installs `config`, then loads/unloads to match it (models dropped from it are unloaded).
  // InvalidArgument (and nothing changes) if it is invalid. This is also ModelService.HandleReloadConfigRequest.
  Status ReloadConfig(const tensorflow::serving::ModelServerConfig& config);
  // Reads `path` now and reloads from it; later PollConfigFile() calls re-read it when its text changes.
  Status LoadConfigFile(const std::string& path);

  // One round of version discovery for every configured model.
  void PollFileSystem();
  // Re-reads the config file (if one was given) and reloads when its text changed. Errors are logged.
  void PollConfigFile();

  // Background polling; 0 seconds disables that poll. Stop() (or the destructor) joins the thread.
  void StartPolling(double file_system_poll_seconds, double config_file_poll_seconds);
  void StopPolling();

  const ServableManager& manager() const { return manager_; }
  // Metrics hooks; call before the first config is loaded.
  void set_manager_observer(ServableManager::Observer observer) { manager_.set_observer(std::move(observer)); }
  // Load retries (see ServableManager::RetryPolicy); call before the first config is loaded.
  void set_load_retry_policy(ServableManager::RetryPolicy policy) { manager_.set_retry_policy(policy); }
  tensorflow::serving::ModelServerConfig config() const;

 private:
  Status ReloadConfigLocked(const tensorflow::serving::ModelServerConfig& config);
  void PollFileSystemLocked();

  FileSystem* const fs_;
  ServableManager manager_;
  std::mutex reload_mu_;  // serializes config reloads and polls
  mutable std::mutex config_mu_;
  tensorflow::serving::ModelServerConfig config_;  // GUARDED_BY(config_mu_)
  std::string config_path_;                        // GUARDED_BY(reload_mu_)
  std::string config_text_;                        // GUARDED_BY(reload_mu_): last text read from config_path_

  std::mutex poll_mu_;
  std::condition_variable poll_cv_;
  bool stop_ = false;  // GUARDED_BY(poll_mu_)
  std::thread poller_;
};

}  // namespace reco::serving
