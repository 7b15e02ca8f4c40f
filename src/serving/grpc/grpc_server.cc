#include "serving/grpc/grpc_server.h"

#include <chrono>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "core/logging.h"

namespace reco::serving::grpc_api {
namespace {

std::string HostPort(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

GrpcServer::GrpcServer(ServerCore* core, const PredictionService* predict, GrpcServerOptions options,
                       metrics::ServingMetrics* metrics)
    : options_(std::move(options)),
      prediction_service_(predict, metrics ? metrics : &metrics::ServingMetrics::Global()),
      model_service_(core, metrics ? metrics : &metrics::ServingMetrics::Global()) {}

GrpcServer::~GrpcServer() { Shutdown(); }

std::string GrpcServer::address() const { return HostPort(options_.bind, port_); }

Status GrpcServer::Start() {
  if (server_) return FailedPreconditionError("gRPC server already started");
  // Both are process-wide switches read by ServerBuilder; setting them again is harmless.
  ::grpc::EnableDefaultHealthCheckService(true);
  ::grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  ::grpc::ServerBuilder builder;
  const std::string requested = HostPort(options_.bind, options_.port);
  builder.AddListeningPort(requested, ::grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_request_bytes);
  builder.SetMaxSendMessageSize(-1);
  if (options_.max_threads > 0) {
    ::grpc::ResourceQuota quota("reco-grpc");
    quota.SetMaxThreads(options_.max_threads);
    builder.SetResourceQuota(quota);
  }
  builder.RegisterService(&prediction_service_);
  builder.RegisterService(&model_service_);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return UnavailableError("cannot start the gRPC server on " + requested + " (address in use or not local?)");
  }
  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus("tensorflow.serving.PredictionService", true);
    health->SetServingStatus("tensorflow.serving.ModelService", true);
  }
  RECO_LOG_INFO("gRPC server listening on {}", address());
  return Status::Ok();
}

void GrpcServer::Shutdown(double grace_seconds) {
  if (!server_) return;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(grace_seconds * 1e6)));
  server_->Wait();
  server_.reset();
}

}  // namespace reco::serving::grpc_api
