// Reading and checking TF Serving's text-format ModelServerConfig (serving/proto/model_server_config.proto).
//
// Accepts exactly what TF Serving's `--model_config_file` accepts: protobuf text format with `#` comments and
// optional `,`/`;` separators (also trailing ones). Then checks what reco needs: at least one model, unique
// non-empty names that are safe as URL path segments, a base_path, platform "onnx" (empty means "onnx" too, as
// in TF Serving's single-model shortcut), and a version policy whose numbers are valid.
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "serving/file_system.h"
#include "serving/proto/model_server_config.pb.h"

namespace reco::serving {

// Parses text-format `text`; `origin` (a file name) prefixes error messages.
StatusOr<tensorflow::serving::ModelServerConfig> ParseModelServerConfig(std::string_view text,
                                                                        std::string_view origin = "config");

// Reads and parses `path` through `fs`.
StatusOr<tensorflow::serving::ModelServerConfig> ReadModelServerConfig(const FileSystem& fs, const std::string& path);

// Semantic checks listed above; the message names the model and the field.
Status ValidateModelServerConfig(const tensorflow::serving::ModelServerConfig& config);

// The --model_name/--model_base_path shortcut: one onnx model with the default (latest 1) policy.
tensorflow::serving::ModelServerConfig SingleModelConfig(const std::string& name, const std::string& base_path);

// True if `name` can be a model name or label: non-empty, at most 256 chars of [A-Za-z0-9_.-], not "." or "..".
bool IsValidModelName(std::string_view name);

}  // namespace reco::serving
