// FakeFileSystem: an in-memory serving::FileSystem for lifecycle tests (hot reload without sleeps or temp
// folders). Paths are plain strings; a folder exists if it was added or holds a file.
// Thread-safety: all methods lock one mutex.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "serving/file_system.h"

namespace reco::testutil {

class FakeFileSystem final : public serving::FileSystem {
 public:
  void WriteFile(const std::string& path, std::string contents) {
    std::lock_guard lock(mu_);
    files_[path] = std::move(contents);
  }
  // Removes `path` and everything below it.
  void Remove(const std::string& path) {
    std::lock_guard lock(mu_);
    for (auto it = files_.begin(); it != files_.end();) {
      if (it->first == path || it->first.rfind(path + "/", 0) == 0) it = files_.erase(it);
      else ++it;
    }
  }

  StatusOr<std::vector<std::string>> ListSubdirectories(const std::string& path) const override {
    std::lock_guard lock(mu_);
    const std::string prefix = path.back() == '/' ? path : path + "/";
    std::set<std::string> names;
    bool any = false;
    for (const auto& [file, contents] : files_) {
      if (file.rfind(prefix, 0) != 0) continue;
      any = true;
      const std::string rest = file.substr(prefix.size());
      const size_t slash = rest.find('/');
      if (slash != std::string::npos) names.insert(rest.substr(0, slash));
    }
    if (!any) return NotFoundError("no folder '" + path + "'");
    return std::vector<std::string>(names.begin(), names.end());
  }
  bool FileExists(const std::string& path) const override {
    std::lock_guard lock(mu_);
    return files_.count(path) > 0;
  }
  StatusOr<std::string> ReadFile(const std::string& path) const override {
    std::lock_guard lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return NotFoundError("no file '" + path + "'");
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> files_;
};

}  // namespace reco::testutil
