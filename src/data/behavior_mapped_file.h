// MappedFile: a read-only memory map of a whole file (RAII, unmapped on destruction).
//
// Used by the behaviour CSV reader (the kernel pages the file in; no copy into user space) and by the sample file
// reader (training reads spans straight out of the map). An empty file maps to an empty view.
// Thread-safety: immutable after Open; the view may be read from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::data {

class MappedFile {
 public:
  // NotFound if the file is missing, InvalidArgument for a directory, Internal for mmap failures.
  static StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path, bool sequential = false);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view view() const { return {static_cast<const char*>(data_), size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, void* data, size_t size) : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  void* data_;  // nullptr for an empty file
  size_t size_;
};

}  // namespace reco::data
