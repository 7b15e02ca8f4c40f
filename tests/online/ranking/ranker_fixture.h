// The ranker model folder written by tests/models/make_models.py (model `ranker_din`, fixture models_generate):
// $RECO_MODELS_DIR/ranker_din/folder/1/{model.onnx, manifest.json, item/cate/user vocabularies}. Item raw ids
// are 5000+k, categories 1+k, users 100+k (index k+2). Tests copy it into a temp dir to add versions or break it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace reco::online::testing {

inline constexpr uint64_t kFirstItem = 5000;
inline constexpr uint64_t kNumItems = 998;
inline constexpr uint64_t kNumCates = 98;

// The folder (MODEL_DIR with version 1), or "" when the models were not generated (the test should skip).
inline std::filesystem::path RankerModelFolder() {
  const char* dir = std::getenv("RECO_MODELS_DIR");
  if (dir == nullptr) return {};
  const std::filesystem::path folder = std::filesystem::path(dir) / "ranker_din" / "folder";
  if (!std::filesystem::exists(std::filesystem::path(dir) / "COMPLETE") ||
      !std::filesystem::exists(folder / "1" / "manifest.json")) {
    return {};
  }
  return folder;
}

// A fresh temp dir under the system temp path.
inline std::filesystem::path MakeTempDir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() / ("reco-" + tag + "-XXXXXX")).string();
  char* made = mkdtemp(pattern.data());
  return made ? std::filesystem::path(made) : std::filesystem::path();
}

}  // namespace reco::online::testing
