// GrpcServer: reco-model-server's gRPC endpoint (TF Serving's --port, default 8500).
//
// Serves tensorflow.serving.PredictionService and tensorflow.serving.ModelService (services.h), gRPC server
// reflection (so grpcurl/grpc_cli can list and call them without .proto files) and the standard gRPC health
// service (grpc.health.v1.Health; "" and both service names report SERVING while the server runs).
// Start() binds `bind:port` (default 127.0.0.1: serving on all interfaces is an explicit --bind 0.0.0.0) and
// returns at once; port 0 picks a free port (see port()). Requests larger than max_request_bytes are refused by
// gRPC with RESOURCE_EXHAUSTED.
// Thread-safety: Start/Shutdown from one controlling thread; the handlers run on gRPC's threads.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "core/status.h"
#include "serving/grpc/services.h"

namespace reco::serving::grpc_api {

struct GrpcServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8500;
  int max_request_bytes = 64 << 20;
  // Upper bound on gRPC's handler threads (0: gRPC's default).
  int max_threads = 0;
};

class GrpcServer {
 public:
  // None owned; all must outlive the server. `metrics` null: ServingMetrics::Global().
  GrpcServer(ServerCore* core, const PredictionService* predict, GrpcServerOptions options,
             metrics::ServingMetrics* metrics = nullptr);
  ~GrpcServer();  // Shutdown()
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Unavailable naming the address if it cannot be bound.
  Status Start();
  // Stops accepting calls and waits (up to `grace_seconds`) for running ones. Idempotent.
  void Shutdown(double grace_seconds = 5.0);
  // The bound port (after Start()).
  int port() const { return port_; }
  // "host:port" as passed to gRPC ("[::1]:8500" for IPv6 binds).
  std::string address() const;

 private:
  const GrpcServerOptions options_;
  PredictionServiceImpl prediction_service_;
  ModelServiceImpl model_service_;
  std::unique_ptr<::grpc::Server> server_;
  int port_ = 0;
};

}  // namespace reco::serving::grpc_api
