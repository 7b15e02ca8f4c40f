// External-data reading, confined to the model's folder: a model file is untrusted input, and its `location`
// strings must not become a way to read arbitrary files (../../etc/passwd, /proc/..., a symlink out).
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/tensor_proto.h"

namespace reco::engine {

namespace fs = std::filesystem;

StatusOr<std::string> ReadExternalData(const onnx::TensorProto& proto, const std::string& model_dir) {
  const std::string what = "tensor '" + proto.name() + "' external data";
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") offset = std::stoll(kv.value());
      else if (kv.key() == "length") length = std::stoll(kv.value());
    } catch (const std::exception&) {
      return InvalidArgumentError(what + ": bad " + kv.key() + " '" + kv.value() + "'");
    }
  }
  if (model_dir.empty()) {
    return InvalidArgumentError(what + ": model was loaded from bytes without a model folder");
  }
  if (location.empty()) return InvalidArgumentError(what + ": no location");
  fs::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
    return PermissionDeniedError(what + ": absolute location '" + location + "' is not allowed");
  }
  for (const auto& part : rel) {
    if (part == "..") return PermissionDeniedError(what + ": location '" + location + "' leaves the model folder");
  }
  std::error_code ec;
  fs::path dir = fs::canonical(model_dir, ec);
  if (ec) return NotFoundError(what + ": model folder '" + model_dir + "': " + ec.message());
  fs::path file = fs::canonical(dir / rel, ec);
  if (ec) return NotFoundError(what + ": '" + location + "': " + ec.message());
  // After resolving symlinks the file must still be under the folder.
  auto [dir_end, file_it] = std::mismatch(dir.begin(), dir.end(), file.begin(), file.end());
  if (dir_end != dir.end()) {
    return PermissionDeniedError(what + ": '" + location + "' resolves outside the model folder");
  }
  if (!fs::is_regular_file(file, ec)) return InvalidArgumentError(what + ": '" + location + "' is not a regular file");
  const auto size = static_cast<int64_t>(fs::file_size(file, ec));
  if (ec) return NotFoundError(what + ": " + ec.message());
  if (offset < 0 || offset > size) return OutOfRangeError(what + ": offset " + std::to_string(offset) + " past end");
  if (length < 0) length = size - offset;
  if (length > size - offset) return OutOfRangeError(what + ": offset+length past the end of '" + location + "'");
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFoundError(what + ": cannot open '" + location + "'");
  std::string data(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(data.data(), length);
  if (!in) return DataLossError(what + ": short read from '" + location + "'");
  return data;
}

}  // namespace reco::engine
