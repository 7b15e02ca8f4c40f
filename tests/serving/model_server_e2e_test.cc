// reco-model-server end to end: the real binary, the seed model exported by Python torch (tests/models), the
// config text of issue 4, TF Serving's REST client calls and KServe v2, hot reload under load, clean SIGTERM.
// Skips when the reference models (fixture models_generate) or the binary are absent.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

extern char** environ;

namespace reco::serving {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Reply {
  int status = 0;
  std::string body;
};

Reply HttpCall(int port, http::verb verb, const std::string& target, const std::string& body = "") {
  Reply reply;
  try {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    reply.status = static_cast<int>(res.result_int());
    reply.body = res.body();
  } catch (const std::exception& e) {
    reply.status = -1;
    reply.body = e.what();
  }
  return reply;
}

int FreePort() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::vector<float> ReadFloats(const fs::path& pb, std::vector<int64_t>* dims) {
  std::ifstream in(pb, std::ios::binary);
  onnx::TensorProto proto;
  EXPECT_TRUE(proto.ParseFromIstream(&in)) << pb;
  dims->assign(proto.dims().begin(), proto.dims().end());
  std::vector<float> values(proto.float_data().begin(), proto.float_data().end());
  if (values.empty()) {
    values.resize(proto.raw_data().size() / sizeof(float));
    std::memcpy(values.data(), proto.raw_data().data(), values.size() * sizeof(float));
  }
  return values;
}

std::string NestedJson(const std::vector<float>& values, int64_t rows) {
  const int64_t cols = static_cast<int64_t>(values.size()) / rows;
  std::string out = "[";
  for (int64_t r = 0; r < rows; ++r) {
    out += r ? ",[" : "[";
    for (int64_t c = 0; c < cols; ++c) out += fmt::format("{}{:.9g}", c ? "," : "", values[r * cols + c]);
    out += "]";
  }
  return out + "]";
}

class ModelServerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* models = std::getenv("RECO_MODELS_DIR");
    const char* bin = std::getenv("RECO_BIN_DIR");
    if (!models || !fs::exists(fs::path(models) / "COMPLETE")) GTEST_SKIP() << "no reference models (RECO_MODELS_DIR)";
    if (!bin || !fs::exists(fs::path(bin) / "reco-model-server")) GTEST_SKIP() << "no reco-model-server binary";
    models_ = fs::path(models) / "seed";
    binary_ = fs::path(bin) / "reco-model-server";
    root_ = fs::temp_directory_path() / fmt::format("reco-e2e-{}", ::getpid());
    fs::remove_all(root_);
    InstallVersion(1);
    // The config of issue 4, byte for byte apart from base_path.
    std::ofstream(root_ / "models.config") << fmt::format(R"(model_config_list: {{
    config: {{
        name: "dIN_model",
        base_path: "{}",
        model_platform: "onnx", # the model is ONNX
    }}
}}
)", (root_ / "din_model").string());
    port_ = FreePort();
    std::vector<std::string> args = {binary_.string(), "--model_config_file", (root_ / "models.config").string(),
                                     "--rest_api_port=" + std::to_string(port_), "--port=0",
                                     "--file_system_poll_wait_seconds=0.1", "--rest_api_num_threads", "2"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    ASSERT_TRUE(WaitFor([&] { return HttpCall(port_, http::verb::get, "/v2/health/ready").status == 200; }))
        << "server did not become ready";
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!root_.empty()) fs::remove_all(root_);
  }

  // Copies the model in atomically (write to a temp folder, then rename), as deployments should.
  void InstallVersion(int version, bool broken = false) {
    const fs::path tmp = root_ / fmt::format(".tmp-{}", version);
    fs::create_directories(tmp);
    if (broken) {
      std::ofstream(tmp / "model.onnx") << "this is not an ONNX model";
    } else {
      fs::copy_file(models_ / "model.onnx", tmp / "model.onnx", fs::copy_options::overwrite_existing);
    }
    fs::create_directories(root_ / "din_model");
    fs::rename(tmp, root_ / "din_model" / std::to_string(version));
  }

  // Polls `cond` every 20 ms for up to 20 s (waiting on another process; there is no event to wait on).
  template <typename F>
  bool WaitFor(F cond) {
    for (int i = 0; i < 1000; ++i) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  fs::path models_, binary_, root_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(ModelServerE2ETest, IssueClientColumnarRowAndKServeMatchTorch) {
  std::vector<int64_t> user_dims, item_dims, out_dims;
  const fs::path set = models_ / "test_data_set_1";
  const std::vector<float> user = ReadFloats(set / "input_0.pb", &user_dims);
  const std::vector<float> item = ReadFloats(set / "input_1.pb", &item_dims);
  const std::vector<float> expected = ReadFloats(set / "output_0.pb", &out_dims);
  const int64_t batch = user_dims[0];
  ASSERT_EQ(static_cast<int64_t>(expected.size()), batch);

  // Exactly the issue's client: columnar, signature_name, reading response['outputs'].
  Reply r = HttpCall(port_, http::verb::post, "/v1/models/dIN_model:predict",
                     R"({"signature_name": "serving_default", "inputs": {"user_input": )" +
                         NestedJson(user, batch) + R"(, "item_input": )" + NestedJson(item, batch) + "}}");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  ASSERT_TRUE(doc["outputs"].IsArray()) << r.body;
  ASSERT_EQ(doc["outputs"].Size(), static_cast<rapidjson::SizeType>(batch));
  for (int64_t b = 0; b < batch; ++b) EXPECT_NEAR(doc["outputs"][b][0].GetDouble(), expected[b], 1e-5) << b;

  // Row format.
  std::string instances;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<float> u(user.begin() + b * 8, user.begin() + (b + 1) * 8);
    std::vector<float> i(item.begin() + b * 8, item.begin() + (b + 1) * 8);
    const std::string un = NestedJson(u, 1), in = NestedJson(i, 1);
    instances += fmt::format("{}{{\"user_input\": {}, \"item_input\": {}}}", b ? "," : "", un.substr(1, un.size() - 2),
                             in.substr(1, in.size() - 2));
  }
  r = HttpCall(port_, http::verb::post, "/v1/models/dIN_model/versions/1:predict",
               "{\"instances\": [" + instances + "]}");
  ASSERT_EQ(r.status, 200) << r.body;
  doc.Parse(r.body.c_str());
  for (int64_t b = 0; b < batch; ++b) EXPECT_NEAR(doc["predictions"][b][0].GetDouble(), expected[b], 1e-5) << b;

  // KServe v2.
  auto flat = [](const std::vector<float>& v) {
    std::string s = "[";
    for (size_t k = 0; k < v.size(); ++k) s += fmt::format("{}{:.9g}", k ? "," : "", v[k]);
    return s + "]";
  };
  r = HttpCall(port_, http::verb::post, "/v2/models/dIN_model/infer",
               fmt::format(R"({{"inputs": [{{"name": "user_input", "shape": [{0}, 8], "datatype": "FP32", "data": {1}}},
                                        {{"name": "item_input", "shape": [{0}, 8], "datatype": "FP32", "data": {2}}}]}})",
                           batch, flat(user), flat(item)));
  ASSERT_EQ(r.status, 200) << r.body;
  doc.Parse(r.body.c_str());
  for (int64_t b = 0; b < batch; ++b) EXPECT_NEAR(doc["outputs"][0]["data"][b].GetDouble(), expected[b], 1e-5);

  // Metadata synthesized from the ONNX graph.
  r = HttpCall(port_, http::verb::get, "/v1/models/dIN_model/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  doc.Parse(r.body.c_str());
  const auto& input = doc["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]["user_input"];
  EXPECT_STREQ(input["dtype"].GetString(), "DT_FLOAT");
  EXPECT_STREQ(input["tensor_shape"]["dim"][0]["size"].GetString(), "-1");
  EXPECT_STREQ(input["tensor_shape"]["dim"][1]["size"].GetString(), "8");

  // Clean shutdown on SIGTERM.
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  int status = 0;
  ASSERT_TRUE(WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }));
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(ModelServerE2ETest, HotReloadUnderLoadLosesNoRequest) {
  const std::string body = R"({"inputs": [
      {"name": "user_input", "shape": [1, 8], "datatype": "FP32", "data": [1,2,3,4,5,6,7,8]},
      {"name": "item_input", "shape": [1, 8], "datatype": "FP32", "data": [8,7,6,5,4,3,2,1]}]})";
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::atomic<int64_t> last_version{0};
  std::string first_failure;
  std::thread client([&] {
    while (!stop) {
      Reply r = HttpCall(port_, http::verb::post, "/v2/models/dIN_model/infer", body);
      rapidjson::Document doc;
      doc.Parse(r.body.c_str());
      if (r.status == 200 && doc.IsObject() && doc.HasMember("model_version")) {
        ++ok;
        last_version = std::atoll(doc["model_version"].GetString());
      } else {
        if (failed++ == 0) first_failure = fmt::format("{} {}", r.status, r.body);
      }
    }
  });
  auto version_is = [&](int64_t v) { return last_version == v; };
  InstallVersion(2);
  EXPECT_TRUE(WaitFor([&] { return version_is(2); })) << "version 2 never answered";
  InstallVersion(3, /*broken=*/true);
  EXPECT_TRUE(WaitFor([&] {
    Reply r = HttpCall(port_, http::verb::get, "/v1/models/dIN_model/versions/3");
    return r.status == 200 && r.body.find("\"END\"") != std::string::npos &&
           r.body.find("\"error_code\":\"OK\"") == std::string::npos &&
           r.body.find("version 3: ") != std::string::npos;  // the load error, naming the version
  })) << HttpCall(port_, http::verb::get, "/v1/models/dIN_model").body;
  EXPECT_EQ(last_version, 2);
  fs::remove_all(root_ / "din_model" / "2");
  EXPECT_TRUE(WaitFor([&] { return version_is(1); })) << "did not fall back to version 1";
  EXPECT_TRUE(WaitFor([&] {
    Reply r = HttpCall(port_, http::verb::get, "/v1/models/dIN_model/versions/2");
    return r.status == 404 || r.body.find("\"END\"") != std::string::npos;
  }));
  stop = true;
  client.join();
  EXPECT_EQ(failed, 0) << first_failure;
  EXPECT_GT(ok, 10);
}

TEST(ModelServerLinkTest, BinaryDoesNotLinkLibTorch) {
  const char* bin = std::getenv("RECO_BIN_DIR");
  const fs::path binary = bin ? fs::path(bin) / "reco-model-server" : fs::path();
  if (!bin || !fs::exists(binary)) GTEST_SKIP() << "no reco-model-server binary";
  const std::string cmd = "ldd " + binary.string() + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
  ::pclose(pipe);
  EXPECT_NE(out.find("libc.so"), std::string::npos) << out;  // ldd worked
  for (const char* lib : {"libtorch", "libc10", "libtorch_cpu", "libcaffe2"}) {
    EXPECT_EQ(out.find(lib), std::string::npos) << "reco-model-server links " << lib << ":\n" << out;
  }
}

}  // namespace
}  // namespace reco::serving
