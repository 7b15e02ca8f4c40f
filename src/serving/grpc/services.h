// TF Serving's gRPC services over reco's server core: tensorflow.serving.PredictionService (Predict,
// GetModelMetadata) and tensorflow.serving.ModelService (GetModelStatus, HandleReloadConfigRequest).
//
// Thin adapters, as in TF Serving: decode the proto (tensor_codec.h), call the shared PredictionService /
// ServerCore, encode the result; a Status becomes a gRPC code only through ToGrpcStatus(). Every call is counted
// in ServingMetrics under api "grpc_predict", "grpc_metadata", "grpc_status" or "grpc_reload".
// Thread-safety: stateless apart from the (thread-safe) objects they point to; gRPC calls the handlers from
// many threads at once.
#pragma once

#include "serving/metrics/serving_metrics.h"
#include "serving/prediction_service.h"
#include "serving/server_core.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace reco::serving::grpc_api {

class PredictionServiceImpl final : public tensorflow::serving::PredictionService::Service {
 public:
  // Not owned; must outlive the service.
  PredictionServiceImpl(const PredictionService* predict, metrics::ServingMetrics* metrics)
      : predict_(predict), metrics_(metrics) {}

  ::grpc::Status Predict(::grpc::ServerContext* context, const tensorflow::serving::PredictRequest* request,
                         tensorflow::serving::PredictResponse* response) override;
  ::grpc::Status GetModelMetadata(::grpc::ServerContext* context,
                                  const tensorflow::serving::GetModelMetadataRequest* request,
                                  tensorflow::serving::GetModelMetadataResponse* response) override;

 private:
  Status DoPredict(const tensorflow::serving::PredictRequest& request, tensorflow::serving::PredictResponse* response,
                   int64_t* version) const;
  Status DoGetModelMetadata(const tensorflow::serving::GetModelMetadataRequest& request,
                            tensorflow::serving::GetModelMetadataResponse* response, int64_t* version) const;

  const PredictionService* const predict_;
  metrics::ServingMetrics* const metrics_;
};

class ModelServiceImpl final : public tensorflow::serving::ModelService::Service {
 public:
  // Not owned; must outlive the service.
  ModelServiceImpl(ServerCore* core, metrics::ServingMetrics* metrics) : core_(core), metrics_(metrics) {}

  ::grpc::Status GetModelStatus(::grpc::ServerContext* context,
                                const tensorflow::serving::GetModelStatusRequest* request,
                                tensorflow::serving::GetModelStatusResponse* response) override;
  ::grpc::Status HandleReloadConfigRequest(::grpc::ServerContext* context,
                                           const tensorflow::serving::ReloadConfigRequest* request,
                                           tensorflow::serving::ReloadConfigResponse* response) override;

 private:
  Status DoGetModelStatus(const tensorflow::serving::GetModelStatusRequest& request,
                          tensorflow::serving::GetModelStatusResponse* response) const;

  ServerCore* const core_;
  metrics::ServingMetrics* const metrics_;
};

// The version a ModelSpec selects (neither version nor label: the latest).
VersionSelector SelectorFromSpec(const tensorflow::serving::ModelSpec& spec);

}  // namespace reco::serving::grpc_api
