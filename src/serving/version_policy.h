// Version discovery and TF Serving's ServableVersionPolicy (the "Source" half of the lifecycle).
//
// A model's versions are the numeric subfolders of its base_path that contain model.onnx:
// base_path/<int64>/model.onnx. Folders with other names (e.g. "tmp", "1.bak", "-1", "007x") are ignored, as TF
// Serving does. Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serving/file_system.h"
#include "serving/proto/model_server_config.pb.h"

namespace reco::serving {

inline constexpr char kModelFileName[] = "model.onnx";

// Parses a version folder name / URL segment: decimal digits only, fits int64. nullopt otherwise.
std::optional<int64_t> ParseVersionNumber(std::string_view text);

// The versions present under `base_path`, ascending. NotFound if base_path cannot be listed.
StatusOr<std::vector<int64_t>> ListModelVersions(const FileSystem& fs, const std::string& base_path);

// base_path/<version>
std::string VersionPath(const std::string& base_path, int64_t version);

// The versions the policy wants served, ascending, chosen from `candidates` (ascending, unique).
// Default (no policy set) is latest 1; latest with num_versions 0 also means 1, as in TF Serving.
std::vector<int64_t> ApplyVersionPolicy(
    const tensorflow::serving::FileSystemStoragePathSourceConfig::ServableVersionPolicy& policy,
    std::span<const int64_t> candidates);

}  // namespace reco::serving
