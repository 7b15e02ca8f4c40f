#include "serving/servable_manager.h"

#include <algorithm>
#include <chrono>
#include <set>

#include <fmt/format.h>

#include "core/logging.h"
#include "serving/version_policy.h"

namespace reco::serving {

std::string_view VersionStateName(VersionState state) {
  switch (state) {
    case VersionState::kStart: return "START";
    case VersionState::kLoading: return "LOADING";
    case VersionState::kAvailable: return "AVAILABLE";
    case VersionState::kUnloading: return "UNLOADING";
    case VersionState::kEnd: return "END";
    case VersionState::kUnknown: break;
  }
  return "UNKNOWN";
}

void ServableManager::SetEntry(const std::string& name, int64_t version, VersionState state, Status error,
                               std::shared_ptr<const Servable> servable) {
  std::shared_ptr<const Servable> released;  // destroyed after the lock is dropped: freeing can be slow
  {
    std::unique_lock lock(mu_);
    VersionEntry& entry = models_[name].versions[version];
    released = std::move(entry.servable);
    entry.state = state;
    entry.error = std::move(error);
    entry.servable = std::move(servable);
  }
}

int ServableManager::RecordFailedLoad(const std::string& name, int64_t version) {
  std::unique_lock lock(mu_);
  VersionEntry& entry = models_[name].versions[version];
  entry.last_failure = std::chrono::steady_clock::now();
  return ++entry.failed_loads;
}

void ServableManager::Reconcile(const tensorflow::serving::ModelConfig& config, std::span<const int64_t> on_disk) {
  std::lock_guard reconcile_lock(reconcile_mu_);
  const std::string& name = config.name();
  std::set<int64_t> failed;  // failed versions still on disk: not candidates
  std::set<int64_t> loaded;
  {
    std::unique_lock lock(mu_);
    ModelState& model = models_[name];
    model.labels.clear();
    for (const auto& [label, version] : config.version_labels()) model.labels[label] = version;
    for (auto it = model.versions.begin(); it != model.versions.end();) {
      const bool present = std::binary_search(on_disk.begin(), on_disk.end(), it->first);
      if (it->second.state == VersionState::kAvailable) {
        loaded.insert(it->first);
      } else if (!present) {
        it = model.versions.erase(it);  // gone from disk and not loaded: forget it (and its error)
        continue;
      } else if (!it->second.error.ok()) {
        // Not a candidate again until its retry is due (and never once the retries are used up).
        const bool retry_due = it->second.failed_loads <= retry_.max_retries &&
                               std::chrono::steady_clock::now() - it->second.last_failure >= retry_.interval;
        if (!retry_due) failed.insert(it->first);
      }
      ++it;
    }
  }

  // Load what the policy wants; each failure removes a candidate and re-applies the policy, so a broken newest
  // version makes the policy fall back to the next one.
  std::vector<int64_t> aspired;
  for (;;) {
    std::vector<int64_t> candidates;
    for (int64_t v : on_disk) {
      if (!failed.count(v)) candidates.push_back(v);
    }
    aspired = ApplyVersionPolicy(config.model_version_policy(), candidates);
    bool failed_one = false;
    for (int64_t version : aspired) {
      if (loaded.count(version)) continue;
      SetEntry(name, version, VersionState::kLoading, Status::Ok(), nullptr);
      const std::string path = VersionPath(config.base_path(), version);
      RECO_LOG_INFO("model '{}' version {}: loading {}", name, version, path);
      const auto start = std::chrono::steady_clock::now();
      std::unique_ptr<Loader> loader = loaders_->Create(name, version, path);
      StatusOr<std::shared_ptr<const Servable>> servable = loader->Load();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (observer_.on_load) observer_.on_load(name, version, servable.status(), seconds);
      if (!servable.ok()) {
        Status error = servable.status().WithContext(fmt::format("model '{}' version {}", name, version));
        const int failures = RecordFailedLoad(name, version);
        if (failures <= retry_.max_retries) {
          RECO_LOG_ERROR("{} (retry {} of {} in {} s)", error.ToString(), failures, retry_.max_retries,
                         std::chrono::duration<double>(retry_.interval).count());
        } else {
          RECO_LOG_ERROR("{} (no retries left)", error.ToString());
        }
        SetEntry(name, version, VersionState::kEnd, error, nullptr);
        failed.insert(version);
        failed_one = true;
        break;
      }
      RECO_LOG_INFO("model '{}' version {}: available ({:.1f} ms)", name, version, seconds * 1e3);
      SetEntry(name, version, VersionState::kAvailable, Status::Ok(), std::move(*servable));
      loaded.insert(version);
    }
    if (!failed_one) break;
  }

  // Unload versions the policy no longer wants, but only if something it wants is serving.
  if (aspired.empty()) {
    if (!loaded.empty()) {
      RECO_LOG_WARN("model '{}': no loadable version wanted by the policy; keeping {} loaded version(s) serving",
                    name, loaded.size());
    }
  } else {
    for (auto it = loaded.begin(); it != loaded.end();) {
      if (std::binary_search(aspired.begin(), aspired.end(), *it)) {
        ++it;
        continue;
      }
      RECO_LOG_INFO("model '{}' version {}: unloading", name, *it);
      SetEntry(name, *it, VersionState::kEnd, Status::Ok(), nullptr);
      it = loaded.erase(it);
    }
  }
  if (observer_.on_loaded_versions) observer_.on_loaded_versions(name, static_cast<int64_t>(loaded.size()));
}

void ServableManager::RemoveModel(const std::string& name) {
  std::lock_guard reconcile_lock(reconcile_mu_);
  ModelState removed;
  {
    std::unique_lock lock(mu_);
    auto it = models_.find(name);
    if (it == models_.end()) return;
    removed = std::move(it->second);
    models_.erase(it);
  }
  RECO_LOG_INFO("model '{}': removed from the config, unloading {} version(s)", name, removed.versions.size());
  if (observer_.on_loaded_versions) observer_.on_loaded_versions(name, 0);
}

StatusOr<ServableHandle> ServableManager::GetHandle(const std::string& name, const VersionSelector& selector) const {
  std::shared_lock lock(mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return NotFoundError(fmt::format("Servable not found for request: model '{}'", name));
  const ModelState& model = it->second;
  std::optional<int64_t> version = selector.version;
  if (selector.label) {
    auto label = model.labels.find(*selector.label);
    if (label == model.labels.end()) {
      return NotFoundError(fmt::format("Unrecognized servable version label: '{}' for model '{}'", *selector.label,
                                       name));
    }
    version = label->second;
  }
  if (version) {
    auto v = model.versions.find(*version);
    if (v == model.versions.end() || v->second.state != VersionState::kAvailable) {
      return NotFoundError(fmt::format("Servable not found for request: model '{}' version {}{}", name, *version,
                                       v != model.versions.end() && !v->second.error.ok()
                                           ? " (failed to load: " + v->second.error.message() + ")"
                                           : ""));
    }
    return ServableHandle(name, *version, v->second.servable);
  }
  for (auto v = model.versions.rbegin(); v != model.versions.rend(); ++v) {
    if (v->second.state == VersionState::kAvailable) return ServableHandle(name, v->first, v->second.servable);
  }
  // TF Serving answers NOT_FOUND "Servable not found for request: Latest(name)" here (a model whose folder has no
  // version yet, or whose versions all failed or are still loading).
  return NotFoundError(fmt::format("Servable not found for request: Latest({}): model '{}' has no available version",
                                   name, name));
}

StatusOr<std::vector<VersionStatus>> ServableManager::GetStatus(const std::string& name,
                                                                std::optional<int64_t> version) const {
  std::shared_lock lock(mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return NotFoundError(fmt::format("Could not find any versions of model '{}'", name));
  std::vector<VersionStatus> out;
  for (auto v = it->second.versions.rbegin(); v != it->second.versions.rend(); ++v) {
    if (version && v->first != *version) continue;
    out.push_back(VersionStatus{v->first, v->second.state, v->second.error});
  }
  if (version && out.empty()) {
    return NotFoundError(fmt::format("Could not find version {} of model '{}'", *version, name));
  }
  if (out.empty()) return NotFoundError(fmt::format("Could not find any versions of model '{}'", name));
  return out;
}

std::vector<std::string> ServableManager::ListModels() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, model] : models_) names.push_back(name);
  return names;
}

}  // namespace reco::serving
