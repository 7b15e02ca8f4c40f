// ServableManager: which model versions are loaded, with TF Serving's availability-preserving policy.
//
// Contract:
// - Reconcile(config, on_disk) makes the loaded set follow the version policy: versions the policy wants are
//   loaded (and must succeed) BEFORE versions it no longer wants are unloaded, so a model never drops to zero
//   versions while one works.
// - A version whose Load fails is recorded (state END + its error, shown by GetStatus and logged) and is left out
//   of the policy's candidates while it stays on disk, so the policy falls back to the newest loadable version;
//   the serving version is never taken down by a broken one.
// - Unloading removes the manager's reference; the memory is freed when the last ServableHandle drops it.
// - Versions are never loaded while a lock that requests need is held: requests see no pauses during reloads.
// Thread-safety: GetHandle/GetStatus/ListModels may be called from any thread concurrently with Reconcile and
// RemoveModel. Reconcile/RemoveModel calls are serialized internally.
#pragma once

#include <cstdint>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "serving/proto/model_server_config.pb.h"
#include "serving/servable.h"

namespace reco::serving {

// Numbers are TF Serving's ModelVersionStatus.State.
enum class VersionState : int { kUnknown = 0, kStart = 10, kLoading = 20, kAvailable = 30, kUnloading = 40, kEnd = 50 };
std::string_view VersionStateName(VersionState state);  // "AVAILABLE", ...

struct VersionStatus {
  int64_t version = 0;
  VersionState state = VersionState::kUnknown;
  Status error;  // why it ended, if it failed to load
};

// Keeps one model version alive while a request uses it (RAII: releasing the last handle of an unloaded
// version frees it). Cheap to move; copyable.
class ServableHandle {
 public:
  ServableHandle() = default;
  ServableHandle(std::string model, int64_t version, std::shared_ptr<const Servable> servable)
      : model_(std::move(model)), version_(version), servable_(std::move(servable)) {}

  const std::string& model() const { return model_; }
  int64_t version() const { return version_; }
  const Servable* operator->() const { return servable_.get(); }
  const Servable& operator*() const { return *servable_; }
  explicit operator bool() const { return servable_ != nullptr; }

 private:
  std::string model_;
  int64_t version_ = 0;
  std::shared_ptr<const Servable> servable_;
};

// Which version a request wants: the newest available (neither set), a number, or a label.
struct VersionSelector {
  std::optional<int64_t> version;
  std::optional<std::string> label;
};

class ServableManager {
 public:
  // `loaders` is not owned and must outlive the manager.
  explicit ServableManager(LoaderFactory* loaders) : loaders_(loaders) {}

  // Observers for metrics, called from the reconciling thread (set before the first Reconcile).
  struct Observer {
    // One load attempt of `version` took `seconds`; `status` is its result.
    std::function<void(const std::string& model, int64_t version, const Status& status, double seconds)> on_load;
    // `model` now has `count` AVAILABLE versions.
    std::function<void(const std::string& model, int64_t count)> on_loaded_versions;
  };
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // A version that failed to load is tried again on a later reconcile (file-system poll), at most `max_retries`
  // times and not sooner than `interval` after the previous attempt (TF Serving's --max_num_load_retries and
  // --load_retry_interval_micros): a model caught half-copied recovers once the copy is complete. Set before the
  // first Reconcile.
  struct RetryPolicy {
    int max_retries = 5;
    std::chrono::microseconds interval{60'000'000};
  };
  void set_retry_policy(RetryPolicy policy) { retry_ = policy; }
  ServableManager(const ServableManager&) = delete;
  ServableManager& operator=(const ServableManager&) = delete;

  // Brings model `config.name()` in line with the versions found on disk (ascending). Blocks while loading.
  void Reconcile(const tensorflow::serving::ModelConfig& config, std::span<const int64_t> on_disk);
  // Unloads every version of `name` and forgets it.
  void RemoveModel(const std::string& name);

  // NotFound for an unknown model, version or label; Unavailable if the model has no loaded version yet.
  StatusOr<ServableHandle> GetHandle(const std::string& name, const VersionSelector& selector) const;
  // All known versions of `name` (descending), or just `version`. NotFound if unknown.
  StatusOr<std::vector<VersionStatus>> GetStatus(const std::string& name, std::optional<int64_t> version) const;
  std::vector<std::string> ListModels() const;

 private:
  struct VersionEntry {
    VersionState state = VersionState::kStart;
    Status error;
    std::shared_ptr<const Servable> servable;  // set while AVAILABLE
    int failed_loads = 0;                                // since the version appeared on disk
    std::chrono::steady_clock::time_point last_failure;  // of the latest failed load
  };
  struct ModelState {
    std::map<std::string, int64_t> labels;
    std::map<int64_t, VersionEntry> versions;
  };

  void SetEntry(const std::string& name, int64_t version, VersionState state, Status error,
                std::shared_ptr<const Servable> servable);
  // Counts one more failed load of `version`; returns the count.
  int RecordFailedLoad(const std::string& name, int64_t version);

  LoaderFactory* const loaders_;
  Observer observer_;
  RetryPolicy retry_;
  std::mutex reconcile_mu_;  // serializes Reconcile/RemoveModel; never held by requests
  mutable std::shared_mutex mu_;
  std::map<std::string, ModelState> models_;  // GUARDED_BY(mu_)
};

}  // namespace reco::serving
