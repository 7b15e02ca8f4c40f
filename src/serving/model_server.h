// ModelServer: wires reco-model-server together from its flags: ServerCore (config + polling) over the engine
// loader, the shared PredictionService (optionally through dynamic batching), the REST transport and, when
// built with it, the gRPC transport (serving/grpc). Used by model_server_main.cc and the end-to-end tests.
// Thread-safety: Start/Stop from one controlling thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace reco::serving {

// Flags of tensorflow_model_server that reco understands, plus reco's own.
struct ModelServerOptions {
  int grpc_port = 8500;  // --port; 0 turns gRPC off
  int rest_api_port = 8501;  // 0 turns REST off
  std::string bind = "127.0.0.1";
  std::string model_config_file;
  double model_config_file_poll_wait_seconds = 0;
  std::string model_name = "default";
  std::string model_base_path;
  double file_system_poll_wait_seconds = 1;
  int max_num_load_retries = 5;                  // a failed version load is retried on later polls
  int64_t load_retry_interval_micros = 60'000'000;
  bool enable_batching = false;
  std::string batching_parameters_file;
  int rest_api_num_threads = 0;  // 0: number of CPUs
  int64_t rest_api_timeout_in_ms = 30000;
  std::string monitoring_config_file;
  int intra_op_threads = 1;
  int64_t max_request_bytes = 64ll << 20;
};

class ModelServer {
 public:
  ModelServer();
  ~ModelServer();  // Stop()
  ModelServer(const ModelServer&) = delete;
  ModelServer& operator=(const ModelServer&) = delete;

  // Loads the models (blocking until the first load round is done) and starts the transports.
  Status Start(const ModelServerOptions& options);
  // Stops transports and polling. Idempotent.
  void Stop();

  int rest_port() const;
  int grpc_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::serving
