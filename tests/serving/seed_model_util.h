// Helpers shared by the gRPC end-to-end tests: reading the Python-exported reference tensors, a free loopback
// port, and a model folder + TF Serving config for the seed model.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace reco::serving::test_util {

struct RefTensor {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> values;
};

// An onnx.TensorProto file of float data (raw_data or float_data); empty name on failure.
inline RefTensor ReadOnnxTensor(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes.str())) return {};
  RefTensor r{t.name(), {t.dims().begin(), t.dims().end()}, {}};
  if (!t.raw_data().empty()) {
    r.values.resize(t.raw_data().size() / sizeof(float));
    std::memcpy(r.values.data(), t.raw_data().data(), t.raw_data().size());
  } else {
    r.values.assign(t.float_data().begin(), t.float_data().end());
  }
  return r;
}

// A port that was free a moment ago (ModelServer treats port 0 as "off", so tests pick one).
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Copies <models>/seed/model.onnx to <dir>/din_model/1/model.onnx and writes <dir>/models.config: the issue's
// config verbatim apart from the path (comment and trailing commas included). Returns the config path.
inline std::string WriteSeedModelConfig(const std::filesystem::path& seed_dir, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  fs::create_directories(dir / "din_model" / "1");
  fs::copy_file(seed_dir / "model.onnx", dir / "din_model" / "1" / "model.onnx", fs::copy_options::overwrite_existing);
  std::ofstream(dir / "models.config") << "model_config_list: {\n    config: {\n        name: \"dIN_model\",\n"
                                       << "        base_path: \"" << (dir / "din_model").string() << "\",\n"
                                       << "        model_platform: \"onnx\", # the model is ONNX\n    }\n}\n";
  return (dir / "models.config").string();
}

}  // namespace reco::serving::test_util
