// FileSystem: the I/O seam of the model lifecycle (version discovery and config reads), so hot-reload tests run
// against an in-memory fake (tests/testutil/fake_file_system.h) without sleeps or temp folders.
// Thread-safety: implementations must be safe for concurrent calls.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace reco::serving {

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Names (not paths) of the entries of folder `path` that are themselves folders. NotFound if `path` is absent.
  virtual StatusOr<std::vector<std::string>> ListSubdirectories(const std::string& path) const = 0;
  virtual bool FileExists(const std::string& path) const = 0;
  virtual StatusOr<std::string> ReadFile(const std::string& path) const = 0;
};

// The real disk (std::filesystem). A process-wide instance.
FileSystem* DefaultFileSystem();

}  // namespace reco::serving
