#include "serving/version_policy.h"

#include <algorithm>
#include <charconv>

namespace reco::serving {

std::optional<int64_t> ParseVersionNumber(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string VersionPath(const std::string& base_path, int64_t version) {
  std::string path = base_path;
  if (path.empty() || path.back() != '/') path += '/';
  return path + std::to_string(version);
}

StatusOr<std::vector<int64_t>> ListModelVersions(const FileSystem& fs, const std::string& base_path) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs.ListSubdirectories(base_path));
  std::vector<int64_t> versions;
  for (const std::string& name : names) {
    std::optional<int64_t> version = ParseVersionNumber(name);
    if (!version) continue;
    if (!fs.FileExists(VersionPath(base_path, *version) + "/" + kModelFileName)) continue;
    versions.push_back(*version);
  }
  std::sort(versions.begin(), versions.end());
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
  return versions;
}

std::vector<int64_t> ApplyVersionPolicy(
    const tensorflow::serving::FileSystemStoragePathSourceConfig::ServableVersionPolicy& policy,
    std::span<const int64_t> candidates) {
  std::vector<int64_t> chosen;
  if (policy.has_all()) {
    chosen.assign(candidates.begin(), candidates.end());
  } else if (policy.has_specific()) {
    for (int64_t v : candidates) {
      const auto& wanted = policy.specific().versions();
      if (std::find(wanted.begin(), wanted.end(), v) != wanted.end()) chosen.push_back(v);
    }
  } else {
    size_t n = policy.has_latest() ? policy.latest().num_versions() : 1;
    if (n == 0) n = 1;
    n = std::min(n, candidates.size());
    chosen.assign(candidates.end() - static_cast<std::ptrdiff_t>(n), candidates.end());
  }
  return chosen;
}

}  // namespace reco::serving
