#include "online/service/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace reco::online::service {
namespace {

std::optional<std::string> ContentType(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  return std::nullopt;
}

}  // namespace

StatusOr<StaticFiles> StaticFiles::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / "index.html", ec)) {
    return NotFoundError(fmt::format("{}: no index.html (the storefront page folder, --web-dir)", dir));
  }
  StaticFiles files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::optional<std::string> type = ContentType(entry.path());
    if (!type) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return NotFoundError(fmt::format("{}: cannot read", entry.path().string()));
    std::ostringstream body;
    body << in.rdbuf();
    files.files_["/" + entry.path().filename().string()] = StaticFile{std::move(*type), body.str()};
  }
  if (ec) return NotFoundError(fmt::format("{}: cannot list ({})", dir, ec.message()));
  return files;
}

const StaticFile* StaticFiles::Find(std::string_view path) const {
  if (path == "/") path = "/index.html";
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace reco::online::service
