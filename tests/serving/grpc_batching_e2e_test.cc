// Dynamic batching end to end: reco-model-server with --enable_batching serving the torch-exported seed model;
// concurrent single-row gRPC Predicts are merged into larger engine batches (seen in the batch-size metric) and
// every caller still gets exactly torch's score for its own row (1e-5). Skips without the reference models.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "serving/metrics/serving_metrics.h"
#include "serving/model_server.h"
#include "serving/seed_model_util.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace reco::serving {
namespace {

namespace fs = std::filesystem;

double MetricValue(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + prefix.size()));
}

TEST(GrpcBatchingEndToEnd, ConcurrentRowsAreMergedAndSplitBackExactly) {
  const char* models = std::getenv("RECO_MODELS_DIR");
  if (models == nullptr || !fs::exists(fs::path(models) / "COMPLETE")) GTEST_SKIP() << "reference models missing";
  const fs::path seed = fs::path(models) / "seed";
  const fs::path base = fs::temp_directory_path() / ("reco_grpc_batching_" + std::to_string(getpid()));
  ModelServerOptions options;
  options.model_config_file = test_util::WriteSeedModelConfig(seed, base);
  options.rest_api_port = 0;
  options.file_system_poll_wait_seconds = 0;
  options.enable_batching = true;
  options.batching_parameters_file = (base / "batching.txt").string();
  std::ofstream(options.batching_parameters_file) << "max_batch_size { value: 8 }\n"
                                                     "batch_timeout_micros { value: 20000 }\n"
                                                     "max_enqueued_batches { value: 100 }\n"
                                                     "num_batch_threads { value: 1 }\n";
  ModelServer server;
  Status started;
  for (int attempt = 0; attempt < 5 && !(started = [&] {
         options.grpc_port = test_util::FreePort();
         return server.Start(options);
       }()).ok();
       ++attempt) {
    server.Stop();
  }
  ASSERT_TRUE(started.ok()) << started.ToString();

  // Test set 2 has 64 rows: each becomes its own single-row request.
  const fs::path data = seed / "test_data_set_2";
  const test_util::RefTensor user = test_util::ReadOnnxTensor(data / "input_0.pb");
  const test_util::RefTensor item = test_util::ReadOnnxTensor(data / "input_1.pb");
  const test_util::RefTensor want = test_util::ReadOnnxTensor(data / "output_0.pb");
  const int rows = static_cast<int>(want.values.size());
  ASSERT_EQ(rows, 64);
  auto stub = tensorflow::serving::PredictionService::NewStub(::grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.grpc_port()), ::grpc::InsecureChannelCredentials()));

  constexpr int kClients = 8;
  std::latch go(kClients);
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      go.arrive_and_wait();
      for (int r = c; r < rows; r += kClients) {
        tensorflow::serving::PredictRequest req;
        req.mutable_model_spec()->set_name("dIN_model");
        for (const test_util::RefTensor* in : {&user, &item}) {
          tensorflow::TensorProto& t = (*req.mutable_inputs())[in->name];
          t.set_dtype(tensorflow::DT_FLOAT);
          t.mutable_tensor_shape()->add_dim()->set_size(1);
          t.mutable_tensor_shape()->add_dim()->set_size(8);
          for (int j = 0; j < 8; ++j) t.add_float_val(in->values[r * 8 + j]);
        }
        ::grpc::ClientContext ctx;
        tensorflow::serving::PredictResponse resp;
        ::grpc::Status s = stub->Predict(&ctx, req, &resp);
        if (!s.ok()) {
          failures[c] += "row " + std::to_string(r) + ": " + s.error_message() + "\n";
          continue;
        }
        const auto& out = resp.outputs().at("output");
        if (out.float_val_size() != 1 || std::fabs(out.float_val(0) - want.values[r]) > 1e-5) {
          failures[c] += "row " + std::to_string(r) + ": got " +
                         (out.float_val_size() ? std::to_string(out.float_val(0)) : "nothing") + ", torch " +
                         std::to_string(want.values[r]) + "\n";
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  for (const std::string& f : failures) EXPECT_TRUE(f.empty()) << f;

  const std::string text = metrics::PrometheusText();
  const double batches = MetricValue(text, "reco_serving_batch_size_count{model=\"dIN_model\"} ");
  const double batched_rows = MetricValue(text, "reco_serving_batch_size_sum{model=\"dIN_model\"} ");
  EXPECT_EQ(batched_rows, rows) << text;
  EXPECT_GT(batches, 0);
  EXPECT_LT(batches, rows) << "no request was merged with another";
  std::printf("dynamic batching: %d single-row requests from %d clients ran as %.0f engine batches\n", rows, kClients,
              batches);
  server.Stop();
  fs::remove_all(base);
}

}  // namespace
}  // namespace reco::serving
