// Test helpers: write small MNIST-format IDX files (raw or gzip) and temporary folders.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace reco::testutil {

// A fresh, empty folder under the system temp dir; removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "reco-test") {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / (tag + "-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::vector<uint8_t> IdxBytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& payload,
                                     uint8_t type = 0x08) {
  std::vector<uint8_t> out = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    out.push_back(static_cast<uint8_t>(d >> 24));
    out.push_back(static_cast<uint8_t>(d >> 16));
    out.push_back(static_cast<uint8_t>(d >> 8));
    out.push_back(static_cast<uint8_t>(d));
  }
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

inline void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip = false) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
}

// A learnable toy MNIST-format split: image of class k has a bright 4x7 bar at row block k (plus noise).
inline void WriteToyMnist(const std::string& dir, const std::string& prefix, int n, uint32_t seed, bool gzip = true) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> images(static_cast<size_t>(n) * 28 * 28), labels(n);
  for (int i = 0; i < n; ++i) {
    const int k = static_cast<int>(rng() % 10);
    labels[i] = static_cast<uint8_t>(k);
    uint8_t* img = &images[static_cast<size_t>(i) * 784];
    for (int p = 0; p < 784; ++p) img[p] = static_cast<uint8_t>(rng() % 60);
    for (int r = (k / 2) * 5 + 2; r < (k / 2) * 5 + 6; ++r)
      for (int c = (k % 2) * 14; c < (k % 2) * 14 + 10; ++c) img[r * 28 + c] = 255;
  }
  const std::string ext = gzip ? ".gz" : "";
  WriteBytes(dir + "/" + prefix + "-images-idx3-ubyte" + ext,
             IdxBytes({static_cast<uint32_t>(n), 28, 28}, images), gzip);
  WriteBytes(dir + "/" + prefix + "-labels-idx1-ubyte" + ext, IdxBytes({static_cast<uint32_t>(n)}, labels), gzip);
}

}  // namespace reco::testutil
