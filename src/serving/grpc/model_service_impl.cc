// ModelService handlers (see services.h).
#include <chrono>

#include "serving/grpc/grpc_status.h"
#include "serving/grpc/services.h"

namespace reco::serving::grpc_api {

Status ModelServiceImpl::DoGetModelStatus(const tensorflow::serving::GetModelStatusRequest& request,
                                          tensorflow::serving::GetModelStatusResponse* response) const {
  const tensorflow::serving::ModelSpec& spec = request.model_spec();
  if (spec.name().empty()) return InvalidArgumentError("model_spec.name is empty");
  std::optional<int64_t> version;
  if (spec.has_version()) version = spec.version().value();
  if (spec.version_choice_case() == tensorflow::serving::ModelSpec::kVersionLabel) {
    // A label names a version only through the manager's label map, which GetHandle resolves.
    ASSIGN_OR_RETURN(const ServableHandle handle,
                     core_->manager().GetHandle(spec.name(), SelectorFromSpec(spec)));
    version = handle.version();
  }
  ASSIGN_OR_RETURN(const std::vector<VersionStatus> statuses, core_->manager().GetStatus(spec.name(), version));
  for (const VersionStatus& vs : statuses) {
    tensorflow::serving::ModelVersionStatus* out = response->add_model_version_status();
    out->set_version(vs.version);
    out->set_state(static_cast<tensorflow::serving::ModelVersionStatus::State>(static_cast<int>(vs.state)));
    ToStatusProto(vs.error, out->mutable_status());
  }
  return Status::Ok();
}

::grpc::Status ModelServiceImpl::GetModelStatus(::grpc::ServerContext* context,
                                                const tensorflow::serving::GetModelStatusRequest* request,
                                                tensorflow::serving::GetModelStatusResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  Status status = DoGetModelStatus(*request, response);
  // A name that resolved to nothing is not a label (one time series per made-up name otherwise).
  const std::string_view model =
      status.code() == StatusCode::kNotFound ? std::string_view() : std::string_view(request->model_spec().name());
  metrics_->RecordRequest(model, 0, "grpc_status", status.code(),
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return ToGrpcStatus(status);
}

::grpc::Status ModelServiceImpl::HandleReloadConfigRequest(::grpc::ServerContext* context,
                                                           const tensorflow::serving::ReloadConfigRequest* request,
                                                           tensorflow::serving::ReloadConfigResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  // As TF Serving: a request with no config at all ("Taking no action for empty config") is an OK no-op.
  Status status = request->config().config_case() == tensorflow::serving::ModelServerConfig::CONFIG_NOT_SET
                      ? Status::Ok()
                      : core_->ReloadConfig(request->config());
  ToStatusProto(status, response->mutable_status());
  metrics_->RecordRequest("", 0, "grpc_reload", status.code(),
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return ToGrpcStatus(status);
}

}  // namespace reco::serving::grpc_api
