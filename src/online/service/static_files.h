// StaticFiles: the storefront page (web/) held in memory and served at / — index.html, app.js, style.css, ...
// Loaded once at startup (the files are a few KB and must not cost a disk read per page view); only the top
// level of the folder, and only known extensions, so nothing else on disk can be reached through a URL.
// Thread-safety: immutable after Load.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::online::service {

struct StaticFile {
  std::string content_type;
  std::string body;
};

class StaticFiles {
 public:
  // NotFound naming the folder if it is missing or has no index.html.
  static StatusOr<StaticFiles> Load(const std::string& dir);
  // "/" means "/index.html". nullptr if unknown.
  const StaticFile* Find(std::string_view path) const;
  size_t size() const { return files_.size(); }

 private:
  std::map<std::string, StaticFile, std::less<>> files_;  // "/app.js" -> file
};

}  // namespace reco::online::service
