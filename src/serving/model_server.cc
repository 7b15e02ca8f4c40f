#include "serving/model_server.h"

#include <fmt/format.h>

#include "core/logging.h"
#include "serving/model_config.h"
#include "serving/onnx_servable.h"
#include "serving/prediction_service.h"
#include "serving/rest/http_server.h"
#include "serving/rest/rest_handler.h"
#include "serving/server_core.h"

#ifdef RECO_SERVING_WITH_GRPC
#include "serving/grpc/grpc_server.h"
#endif
#ifdef RECO_SERVING_WITH_BATCHING
#include "serving/batching/batching_runner.h"
#endif
#ifdef RECO_SERVING_WITH_METRICS
#include "serving/metrics/serving_metrics.h"
#endif

namespace reco::serving {

struct ModelServer::Impl {
  std::unique_ptr<OnnxLoaderFactory> loaders;
  std::unique_ptr<ServerCore> core;
  std::unique_ptr<ServableRunner> runner;
  std::unique_ptr<PredictionService> predict;
  std::unique_ptr<rest::RestHandler> rest_handler;
  std::unique_ptr<rest::HttpServer> http;
#ifdef RECO_SERVING_WITH_GRPC
  std::unique_ptr<grpc_api::GrpcServer> grpc;
#endif
  bool stopped = false;
};

ModelServer::ModelServer() : impl_(std::make_unique<Impl>()) {}
ModelServer::~ModelServer() { Stop(); }

int ModelServer::rest_port() const { return impl_->http ? impl_->http->port() : 0; }
int ModelServer::grpc_port() const {
#ifdef RECO_SERVING_WITH_GRPC
  return impl_->grpc ? impl_->grpc->port() : 0;
#else
  return 0;
#endif
}

// At startup a model without an available version yet is not fatal (as in TF Serving, whose source keeps looking):
// it is served once a version appears. Other config errors are.
static Status WarnIfNotServingYet(Status status) {
  if (status.code() != StatusCode::kFailedPrecondition) return status;
  RECO_LOG_WARN("{}", status.message());
  return Status::Ok();
}

Status ModelServer::Start(const ModelServerOptions& options) {
  Impl& s = *impl_;
  if (options.model_config_file.empty() == options.model_base_path.empty()) {
    return InvalidArgumentError("give exactly one of --model_config_file or --model_base_path (with --model_name)");
  }
  if (options.max_request_bytes <= 0) return InvalidArgumentError("--max_request_bytes must be positive");
  if (options.rest_api_port < 0 || options.rest_api_port > 65535 || options.grpc_port < 0 ||
      options.grpc_port > 65535) {
    return InvalidArgumentError("--port and --rest_api_port must be in [0, 65535]");
  }
  if (options.rest_api_port == 0 && options.grpc_port == 0) {
    return InvalidArgumentError("both --port and --rest_api_port are 0: nothing would serve");
  }

  OnnxLoaderOptions loader_options;
  loader_options.intra_op_threads = options.intra_op_threads;
  s.loaders = std::make_unique<OnnxLoaderFactory>(loader_options);
  s.core = std::make_unique<ServerCore>(DefaultFileSystem(), s.loaders.get());
  if (options.max_num_load_retries < 0 || options.load_retry_interval_micros < 0) {
    return InvalidArgumentError("--max_num_load_retries and --load_retry_interval_micros must be >= 0");
  }
  s.core->set_load_retry_policy({.max_retries = options.max_num_load_retries,
                                 .interval = std::chrono::microseconds(options.load_retry_interval_micros)});
#ifdef RECO_SERVING_WITH_METRICS
  s.core->set_manager_observer(ServableManager::Observer{
      .on_load = [](const std::string& model, int64_t version, const Status& status, double seconds) {
        metrics::ServingMetrics::Global().RecordModelLoad(model, version, status, seconds);
      },
      .on_loaded_versions = [](const std::string& model, int64_t count) {
        metrics::ServingMetrics::Global().SetLoadedVersions(model, count);
      }});
#endif
  if (!options.model_config_file.empty()) {
    RETURN_IF_ERROR(WarnIfNotServingYet(s.core->LoadConfigFile(options.model_config_file)));
  } else {
    if (!IsValidModelName(options.model_name)) {
      return InvalidArgumentError(fmt::format("--model_name '{}' must be [A-Za-z0-9_.-]", options.model_name));
    }
    RETURN_IF_ERROR(WarnIfNotServingYet(s.core->ReloadConfig(SingleModelConfig(options.model_name, options.model_base_path))));
  }
  s.core->StartPolling(options.file_system_poll_wait_seconds, options.model_config_file_poll_wait_seconds);

  if (options.enable_batching) {
#ifdef RECO_SERVING_WITH_BATCHING
    batching::BatchingOptions batching_options;
    if (!options.batching_parameters_file.empty()) {
      ASSIGN_OR_RETURN(batching_options, batching::ReadBatchingParametersFile(options.batching_parameters_file));
    }
    RETURN_IF_ERROR(batching_options.Validate());
    s.runner = std::make_unique<batching::BatchingServableRunner>(batching_options);
#else
    return UnimplementedError("--enable_batching: this build has no dynamic batching (serving/batching)");
#endif
  }
  s.predict = std::make_unique<PredictionService>(&s.core->manager(), s.runner.get());

  rest::RestHandler::Options rest_options;
#ifdef RECO_SERVING_WITH_METRICS
  rest_options.on_request = [](std::string_view model, int64_t version, std::string_view api, StatusCode code,
                               double seconds) {
    metrics::ServingMetrics::Global().RecordRequest(model, version, api, code, seconds);
  };
#endif
  if (!options.monitoring_config_file.empty()) {
#ifdef RECO_SERVING_WITH_METRICS
    ASSIGN_OR_RETURN(metrics::MonitoringOptions monitoring,
                     metrics::ReadMonitoringConfigFile(options.monitoring_config_file));
    if (monitoring.enabled) {
      rest_options.metrics_path = monitoring.path;
      rest_options.metrics_text = [] { return metrics::PrometheusText(); };
    }
#else
    return UnimplementedError("--monitoring_config_file: this build has no metrics (serving/metrics)");
#endif
  }
  s.rest_handler = std::make_unique<rest::RestHandler>(s.predict.get(), std::move(rest_options));

  if (options.rest_api_port != 0) {
    rest::HttpServerOptions http;
    http.bind_address = options.bind;
    http.port = options.rest_api_port;
    http.num_threads = options.rest_api_num_threads;
    http.request_timeout_ms = options.rest_api_timeout_in_ms;
    http.max_request_bytes = options.max_request_bytes;
    s.http = std::make_unique<rest::HttpServer>(http, s.rest_handler.get());
    RETURN_IF_ERROR(s.http->Start());
  }
  if (options.grpc_port != 0) {
#ifdef RECO_SERVING_WITH_GRPC
    grpc_api::GrpcServerOptions grpc;
    grpc.bind = options.bind;
    grpc.port = options.grpc_port;
    grpc.max_request_bytes = static_cast<int>(std::min<int64_t>(options.max_request_bytes, INT32_MAX));
    s.grpc = std::make_unique<grpc_api::GrpcServer>(s.core.get(), s.predict.get(), grpc);
    RETURN_IF_ERROR(s.grpc->Start());
#else
    RECO_LOG_WARN("this build has no gRPC transport; --port {} is ignored", options.grpc_port);
#endif
  }
  return Status::Ok();
}

void ModelServer::Stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
#ifdef RECO_SERVING_WITH_GRPC
  if (s.grpc) s.grpc->Shutdown();
#endif
  if (s.http) s.http->Stop();
  if (s.core) s.core->StopPolling();
}

}  // namespace reco::serving
