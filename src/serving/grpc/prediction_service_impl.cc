// PredictionService handlers (see services.h).
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "serving/grpc/grpc_status.h"
#include "serving/grpc/services.h"
#include "serving/grpc/tensor_codec.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"

namespace reco::serving::grpc_api {
namespace {

constexpr char kSignatureDefField[] = "signature_def";

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

VersionSelector SelectorFromSpec(const tensorflow::serving::ModelSpec& spec) {
  VersionSelector selector;
  if (spec.has_version()) selector.version = spec.version().value();
  if (spec.version_choice_case() == tensorflow::serving::ModelSpec::kVersionLabel) {
    selector.label = spec.version_label();
  }
  return selector;
}

// The model label for metrics: empty for a name that resolved to nothing, which would otherwise add a time series
// for every name a client makes up.
template <typename Request>
std::string_view MetricsModelLabel(const Request& request, const Status& status) {
  return status.code() == StatusCode::kNotFound ? std::string_view() : std::string_view(request.model_spec().name());
}

Status PredictionServiceImpl::DoPredict(const tensorflow::serving::PredictRequest& request,
                                        tensorflow::serving::PredictResponse* response, int64_t* version) const {
  const tensorflow::serving::ModelSpec& spec = request.model_spec();
  RETURN_IF_ERROR(PredictionService::CheckSignatureName(spec.signature_name()));
  ASSIGN_OR_RETURN(const ServableHandle handle, predict_->Resolve(spec.name(), SelectorFromSpec(spec)));
  *version = handle.version();

  // Per-thread request/response objects: gRPC reuses its handler threads, so once warm a Predict reuses the
  // tensors' buffers instead of allocating them.
  thread_local PredictRequest req;
  thread_local PredictResponse resp;
  // Field by field rather than Clear(), which would drop the input tensors and their buffers.
  req.model_name = spec.name();
  req.version = {};
  req.signature_name = spec.signature_name();
  // Buffers one unusually large request grew are not kept by this thread afterwards (as PredictRequest::Clear
  // does for REST).
  struct TrimOnExit {
    ~TrimOnExit() {
      for (NamedTensor& t : req.inputs) PredictRequest::ReleaseLargeBuffers(&t.tensor);
    }
  } trim_on_exit;
  // Names first: nothing is decoded (or allocated) for a request the model would reject anyway.
  for (const auto& [name, proto] : request.inputs()) RETURN_IF_ERROR(PredictionService::FindInput(*handle, name).status());
  req.inputs.resize(request.inputs_size());
  size_t broadcast_budget = kMaxBroadcastBytes;  // for the whole request
  size_t i = 0;
  for (const auto& [name, proto] : request.inputs()) {
    req.inputs[i].name = name;
    RETURN_IF_ERROR(DecodeTensorProto(proto, name, &req.inputs[i].tensor, &broadcast_budget));
    ++i;
  }
  // Proto map order is unspecified (it may differ between two requests with the same names); a fixed order lets
  // the dynamic batcher see equal requests as compatible.
  std::sort(req.inputs.begin(), req.inputs.end(),
            [](const NamedTensor& a, const NamedTensor& b) { return a.name < b.name; });
  req.output_filter.assign(request.output_filter().begin(), request.output_filter().end());
  RETURN_IF_ERROR(predict_->Predict(handle, req, &resp));

  tensorflow::serving::ModelSpec* out_spec = response->mutable_model_spec();
  out_spec->set_name(spec.name());
  out_spec->mutable_version()->set_value(handle.version());
  out_spec->set_signature_name(spec.signature_name().empty() ? kDefaultSignature : spec.signature_name());
  for (const NamedTensor& out : resp.outputs) EncodeTensorProto(out.tensor, &(*response->mutable_outputs())[out.name]);
  return Status::Ok();
}

::grpc::Status PredictionServiceImpl::Predict(::grpc::ServerContext* context,
                                              const tensorflow::serving::PredictRequest* request,
                                              tensorflow::serving::PredictResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  int64_t version = 0;
  Status status = DoPredict(*request, response, &version);
  metrics_->RecordRequest(MetricsModelLabel(*request, status), version, "grpc_predict", status.code(),
                          SecondsSince(start));
  return ToGrpcStatus(status);
}

Status PredictionServiceImpl::DoGetModelMetadata(const tensorflow::serving::GetModelMetadataRequest& request,
                                                 tensorflow::serving::GetModelMetadataResponse* response,
                                                 int64_t* version) const {
  // As TF Serving: the caller names the metadata it wants, and signature_def is the only kind there is.
  if (request.metadata_field_size() == 0) {
    return InvalidArgumentError("GetModelMetadataRequest must specify at least one metadata_field");
  }
  for (const std::string& field : request.metadata_field()) {
    if (field != kSignatureDefField) {
      return InvalidArgumentError(fmt::format("Metadata field {} is not supported (only \"{}\")", field,
                                              kSignatureDefField));
    }
  }
  const tensorflow::serving::ModelSpec& spec = request.model_spec();
  ASSIGN_OR_RETURN(const ServableHandle handle, predict_->Resolve(spec.name(), SelectorFromSpec(spec)));
  *version = handle.version();
  tensorflow::serving::SignatureDefMap signatures;
  MakeSignatureDef(*handle, &(*signatures.mutable_signature_def())[kDefaultSignature]);
  response->mutable_model_spec()->set_name(spec.name());
  response->mutable_model_spec()->mutable_version()->set_value(handle.version());
  (*response->mutable_metadata())[kSignatureDefField].PackFrom(signatures);
  return Status::Ok();
}

::grpc::Status PredictionServiceImpl::GetModelMetadata(::grpc::ServerContext* context,
                                                       const tensorflow::serving::GetModelMetadataRequest* request,
                                                       tensorflow::serving::GetModelMetadataResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  int64_t version = 0;
  Status status = DoGetModelMetadata(*request, response, &version);
  metrics_->RecordRequest(MetricsModelLabel(*request, status), version, "grpc_metadata", status.code(),
                          SecondsSince(start));
  return ToGrpcStatus(status);
}

}  // namespace reco::serving::grpc_api
