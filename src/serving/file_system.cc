#include "serving/file_system.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace reco::serving {
namespace {

namespace fs = std::filesystem;

class RealFileSystem final : public FileSystem {
 public:
  StatusOr<std::vector<std::string>> ListSubdirectories(const std::string& path) const override {
    std::error_code ec;
    fs::directory_iterator it(path, ec);
    if (ec) return NotFoundError("cannot list folder '" + path + "': " + ec.message());
    std::vector<std::string> names;
    for (const fs::directory_entry& entry : it) {
      std::error_code dir_ec;
      if (entry.is_directory(dir_ec)) names.push_back(entry.path().filename().string());
    }
    return names;
  }

  bool FileExists(const std::string& path) const override {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
  }

  StatusOr<std::string> ReadFile(const std::string& path) const override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFoundError("cannot open '" + path + "'");
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) return DataLossError("error reading '" + path + "'");
    return std::move(out).str();
  }
};

}  // namespace

FileSystem* DefaultFileSystem() {
  static RealFileSystem* fs = new RealFileSystem();
  return fs;
}

}  // namespace reco::serving
