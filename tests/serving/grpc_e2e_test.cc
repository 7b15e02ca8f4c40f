// gRPC end to end: reco-model-server's ModelServer serving the Python-exported seed model (user_input,
// item_input -> output) under TF Serving's config, called through the C++ stubs generated from reco's own
// TF Serving protos. Outputs must equal torch's within 1e-5. Skips when the reference models are absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "serving/model_server.h"
#include "serving/seed_model_util.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace reco::serving {
namespace {

namespace fs = std::filesystem;
using tensorflow::serving::ModelService;
using tensorflow::serving::PredictionService;

using test_util::FreePort;
using test_util::ReadOnnxTensor;
using test_util::RefTensor;

class GrpcEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* models = std::getenv("RECO_MODELS_DIR");
    if (models == nullptr || !fs::exists(fs::path(models) / "COMPLETE")) return;
    models_ = fs::path(models) / "seed";
    base_ = fs::temp_directory_path() / ("reco_grpc_e2e_" + std::to_string(getpid()));
    ModelServerOptions options;
    options.model_config_file = test_util::WriteSeedModelConfig(models_, base_);
    options.rest_api_port = 0;
    options.file_system_poll_wait_seconds = 0;
    server_ = new ModelServer();
    Status started;
    for (int attempt = 0; attempt < 5; ++attempt) {
      options.grpc_port = FreePort();
      started = server_->Start(options);
      if (started.ok()) break;
      delete server_;
      server_ = new ModelServer();
    }
    ASSERT_TRUE(started.ok()) << started.ToString();
    auto channel = ::grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                         ::grpc::InsecureChannelCredentials());
    predict_ = PredictionService::NewStub(channel).release();
    model_ = ModelService::NewStub(channel).release();
  }
  static void TearDownTestSuite() {
    delete predict_;
    delete model_;
    delete server_;
    if (!base_.empty()) fs::remove_all(base_);
  }
  void SetUp() override {
    if (server_ == nullptr) GTEST_SKIP() << "RECO_MODELS_DIR/COMPLETE missing (models_generate fixture skipped)";
  }

  static tensorflow::serving::PredictRequest SeedRequest(int test_set, bool content_for_user) {
    tensorflow::serving::PredictRequest req;
    req.mutable_model_spec()->set_name("dIN_model");
    req.mutable_model_spec()->set_signature_name("serving_default");
    for (int i = 0; i < 2; ++i) {
      RefTensor in = ReadOnnxTensor(models_ / ("test_data_set_" + std::to_string(test_set)) /
                                    ("input_" + std::to_string(i) + ".pb"));
      tensorflow::TensorProto& t = (*req.mutable_inputs())[in.name];
      t.set_dtype(tensorflow::DT_FLOAT);
      for (int64_t d : in.dims) t.mutable_tensor_shape()->add_dim()->set_size(d);
      if (i == 0 && content_for_user) {
        t.set_tensor_content(std::string(reinterpret_cast<const char*>(in.values.data()), in.values.size() * 4));
      } else {
        for (float v : in.values) t.add_float_val(v);
      }
    }
    return req;
  }

  static inline ModelServer* server_ = nullptr;
  static inline PredictionService::Stub* predict_ = nullptr;
  static inline ModelService::Stub* model_ = nullptr;
  static inline fs::path models_, base_;
};

TEST_F(GrpcEndToEnd, PredictMatchesTorch) {
  for (int set : {0, 1, 2}) {
    for (bool content : {false, true}) {
      ::grpc::ClientContext ctx;
      tensorflow::serving::PredictResponse resp;
      ::grpc::Status s = predict_->Predict(&ctx, SeedRequest(set, content), &resp);
      ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
      RefTensor want = ReadOnnxTensor(models_ / ("test_data_set_" + std::to_string(set)) / "output_0.pb");
      ASSERT_EQ(resp.outputs().count("output"), 1u);
      const tensorflow::TensorProto& out = resp.outputs().at("output");
      EXPECT_EQ(out.dtype(), tensorflow::DT_FLOAT);
      ASSERT_EQ(out.tensor_shape().dim_size(), 2);
      EXPECT_EQ(out.tensor_shape().dim(0).size(), want.dims[0]);
      EXPECT_EQ(out.tensor_shape().dim(1).size(), 1);
      ASSERT_EQ(out.float_val_size(), static_cast<int>(want.values.size()));
      for (size_t i = 0; i < want.values.size(); ++i) EXPECT_NEAR(out.float_val(i), want.values[i], 1e-5) << i;
      EXPECT_EQ(resp.model_spec().name(), "dIN_model");
      EXPECT_EQ(resp.model_spec().version().value(), 1);
      EXPECT_EQ(resp.model_spec().signature_name(), "serving_default");
    }
  }
}

TEST_F(GrpcEndToEnd, BroadcastAndOutputFilter) {
  tensorflow::serving::PredictRequest req;
  req.mutable_model_spec()->set_name("dIN_model");
  req.mutable_model_spec()->mutable_version()->set_value(1);
  for (const char* name : {"user_input", "item_input"}) {
    tensorflow::TensorProto& t = (*req.mutable_inputs())[name];
    t.set_dtype(tensorflow::DT_FLOAT);
    t.mutable_tensor_shape()->add_dim()->set_size(4);
    t.mutable_tensor_shape()->add_dim()->set_size(8);
    t.add_float_val(0.5f);  // broadcast to [4, 8]
  }
  req.add_output_filter("output");
  ::grpc::ClientContext ctx;
  tensorflow::serving::PredictResponse resp;
  ::grpc::Status s = predict_->Predict(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const auto& out = resp.outputs().at("output");
  ASSERT_EQ(out.float_val_size(), 4);
  for (int i = 1; i < 4; ++i) EXPECT_EQ(out.float_val(i), out.float_val(0));  // identical rows, identical scores

  req.set_output_filter(0, "nope");
  ::grpc::ClientContext ctx2;
  s = predict_->Predict(&ctx2, req, &resp);
  EXPECT_EQ(s.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("nope"), std::string::npos) << s.error_message();
}

TEST_F(GrpcEndToEnd, ErrorsBecomeGrpcCodes) {
  auto call = [&](tensorflow::serving::PredictRequest req) {
    ::grpc::ClientContext ctx;
    tensorflow::serving::PredictResponse resp;
    return predict_->Predict(&ctx, req, &resp);
  };
  auto unknown_model = SeedRequest(0, false);
  unknown_model.mutable_model_spec()->set_name("missing");
  EXPECT_EQ(call(unknown_model).error_code(), ::grpc::StatusCode::NOT_FOUND);
  auto unknown_version = SeedRequest(0, false);
  unknown_version.mutable_model_spec()->mutable_version()->set_value(7);
  EXPECT_EQ(call(unknown_version).error_code(), ::grpc::StatusCode::NOT_FOUND);
  auto bad_signature = SeedRequest(0, false);
  bad_signature.mutable_model_spec()->set_signature_name("classify");
  EXPECT_EQ(call(bad_signature).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  auto missing_input = SeedRequest(0, false);
  missing_input.mutable_inputs()->erase("item_input");
  EXPECT_EQ(call(missing_input).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  auto wrong_dtype = SeedRequest(0, false);
  auto& t = (*wrong_dtype.mutable_inputs())["user_input"];
  t.set_dtype(tensorflow::DT_INT64);
  t.clear_float_val();
  t.add_int64_val(1);
  EXPECT_EQ(call(wrong_dtype).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  auto bad_count = SeedRequest(0, false);
  (*bad_count.mutable_inputs())["item_input"].add_float_val(1.f);
  ::grpc::Status s = call(bad_count);
  EXPECT_EQ(s.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("item_input"), std::string::npos) << s.error_message();
}

TEST_F(GrpcEndToEnd, GetModelMetadata) {
  tensorflow::serving::GetModelMetadataRequest req;
  req.mutable_model_spec()->set_name("dIN_model");
  req.add_metadata_field("signature_def");
  ::grpc::ClientContext ctx;
  tensorflow::serving::GetModelMetadataResponse resp;
  ::grpc::Status s = predict_->GetModelMetadata(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.model_spec().version().value(), 1);
  tensorflow::serving::SignatureDefMap map;
  ASSERT_TRUE(resp.metadata().at("signature_def").UnpackTo(&map));
  const tensorflow::SignatureDef& sig = map.signature_def().at("serving_default");
  EXPECT_EQ(sig.method_name(), "tensorflow/serving/predict");
  for (const char* name : {"user_input", "item_input"}) {
    const auto& info = sig.inputs().at(name);
    EXPECT_EQ(info.dtype(), tensorflow::DT_FLOAT);
    ASSERT_EQ(info.tensor_shape().dim_size(), 2);
    EXPECT_EQ(info.tensor_shape().dim(0).size(), -1);
    EXPECT_EQ(info.tensor_shape().dim(1).size(), 8);
  }
  EXPECT_EQ(sig.outputs().at("output").dtype(), tensorflow::DT_FLOAT);

  req.clear_metadata_field();
  ::grpc::ClientContext ctx2;
  EXPECT_EQ(predict_->GetModelMetadata(&ctx2, req, &resp).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcEndToEnd, GetModelStatus) {
  tensorflow::serving::GetModelStatusRequest req;
  req.mutable_model_spec()->set_name("dIN_model");
  ::grpc::ClientContext ctx;
  tensorflow::serving::GetModelStatusResponse resp;
  ::grpc::Status s = model_->GetModelStatus(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.model_version_status_size(), 1);
  EXPECT_EQ(resp.model_version_status(0).version(), 1);
  EXPECT_EQ(resp.model_version_status(0).state(), tensorflow::serving::ModelVersionStatus::AVAILABLE);
  EXPECT_EQ(resp.model_version_status(0).status().error_code(), tensorflow::error::OK);

  req.mutable_model_spec()->set_name("missing");
  ::grpc::ClientContext ctx2;
  EXPECT_EQ(model_->GetModelStatus(&ctx2, req, &resp).error_code(), ::grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcEndToEnd, ReloadConfigRejectsOtherPlatformsAndKeepsServing) {
  tensorflow::serving::ReloadConfigRequest req;
  auto* config = req.mutable_config()->mutable_model_config_list()->add_config();
  config->set_name("dIN_model");
  config->set_base_path((base_ / "din_model").string());
  config->set_model_platform("tensorflow");
  ::grpc::ClientContext ctx;
  tensorflow::serving::ReloadConfigResponse resp;
  ::grpc::Status s = model_->HandleReloadConfigRequest(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("tensorflow"), std::string::npos) << s.error_message();
  // (A failed call carries no response message in gRPC, so resp.status is only checked on success.)

  config->set_model_platform("onnx");  // the same config again: accepted, model keeps serving
  ::grpc::ClientContext ctx2;
  s = model_->HandleReloadConfigRequest(&ctx2, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.status().error_code(), tensorflow::error::OK);
  ::grpc::ClientContext ctx3;
  tensorflow::serving::PredictResponse out;
  EXPECT_TRUE(predict_->Predict(&ctx3, SeedRequest(0, true), &out).ok());
}

TEST_F(GrpcEndToEnd, RequestOverMaxRequestBytesIsResourceExhausted) {
  auto req = SeedRequest(0, false);
  auto& t = (*req.mutable_inputs())["user_input"];
  t.clear_float_val();
  t.set_tensor_content(std::string((64 << 20) + 1024, '\0'));  // just over the 64 MiB default
  ::grpc::ClientContext ctx;
  tensorflow::serving::PredictResponse resp;
  ::grpc::Status s = predict_->Predict(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  ::grpc::ClientContext ctx2;  // and the server keeps serving
  EXPECT_TRUE(predict_->Predict(&ctx2, SeedRequest(0, true), &resp).ok());
}

// Not a benchmark (bench/ has those), but prints the loopback latency of a batch-1 Predict so regressions show
// up in the test log; the bound only catches pathological slowness (e.g. a per-call channel or thread).
TEST_F(GrpcEndToEnd, SequentialLatency) {
  const tensorflow::serving::PredictRequest req = SeedRequest(0, true);
  tensorflow::serving::PredictResponse resp;
  std::vector<double> micros;
  for (int i = 0; i < 1200; ++i) {
    ::grpc::ClientContext ctx;
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(predict_->Predict(&ctx, req, &resp).ok());
    if (i >= 200) micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(micros.begin(), micros.end());
  const double p50 = micros[micros.size() / 2], p99 = micros[micros.size() * 99 / 100];
  std::printf("gRPC Predict seed model batch 1, loopback, sequential: p50 %.0f us, p99 %.0f us\n", p50, p99);
  EXPECT_LT(p50, 20000);
}

}  // namespace
}  // namespace reco::serving
