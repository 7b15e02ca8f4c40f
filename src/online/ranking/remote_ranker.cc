#include "online/ranking/remote_ranker.h"

#include <grpcpp/grpcpp.h>

#include <fmt/format.h>

#include "online/ranking/model_inputs.h"
#include "online/ranking/ranker_model.h"
#include "serving/grpc/tensor_codec.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace reco::online::ranking {
namespace {

struct Scratch {
  ModelInputs inputs;
  tensorflow::serving::PredictRequest request;
  tensorflow::serving::PredictResponse response;
  serving::Tensor prob;
  serving::Tensor attention;
};

Status FromGrpc(const ::grpc::Status& s, const std::string& target) {
  const std::string message = fmt::format("model server {}: {}", target, s.error_message());
  switch (s.error_code()) {
    case ::grpc::StatusCode::INVALID_ARGUMENT: return InvalidArgumentError(message);
    case ::grpc::StatusCode::DEADLINE_EXCEEDED: return DeadlineExceededError(message);
    case ::grpc::StatusCode::NOT_FOUND: return NotFoundError(message);
    default: return UnavailableError(message);
  }
}

}  // namespace

struct RemoteRanker::Impl {
  std::unique_ptr<tensorflow::serving::PredictionService::Stub> stub;
};

RemoteRanker::RemoteRanker(const serving::ServableManager* vocab_manager, std::string vocab_model_name,
                           RemoteRankerOptions options)
    : vocab_manager_(vocab_manager), vocab_model_name_(std::move(vocab_model_name)), options_(std::move(options)),
      impl_(std::make_unique<Impl>()) {
  ::grpc::ChannelArguments args;
  // Reconnect quickly after a model server restart, but do not hammer a dead one.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  impl_->stub = tensorflow::serving::PredictionService::NewStub(
      ::grpc::CreateCustomChannel(options_.target, ::grpc::InsecureChannelCredentials(), args));
}

RemoteRanker::~RemoteRanker() = default;

Status RemoteRanker::Ready() const { return vocab_manager_->GetHandle(vocab_model_name_, {}).status(); }

Status RemoteRanker::Rank(const RankRequest& request, RankResult* result) const {
  ASSIGN_OR_RETURN(serving::ServableHandle handle, vocab_manager_->GetHandle(vocab_model_name_, {}));
  const auto& model = static_cast<const RankerModel&>(*handle);
  thread_local Scratch s;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool broadcast = no_broadcast_version_.load(std::memory_order_relaxed) != handle.version();
    RETURN_IF_ERROR(s.inputs.Build(model, ContractInputNames(), request, broadcast ? 1 : 0));
    s.request.mutable_model_spec()->set_name(options_.model_name);
    // Per call, not once per thread: a newly loaded model may add or drop the attention output.
    const int outputs_wanted = model.has_attention() ? 2 : 1;
    if (s.request.output_filter_size() != outputs_wanted) {
      s.request.clear_output_filter();
      s.request.add_output_filter(std::string(kProb));
      if (model.has_attention()) s.request.add_output_filter(std::string(kAttention));
    }
    auto* inputs = s.request.mutable_inputs();
    for (const serving::NamedTensor& t : s.inputs.tensors()) {
      serving::grpc_api::EncodeTensorProto(t.tensor, &(*inputs)[t.name], {.use_tensor_content = true});
    }
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options_.deadline);
    s.response.Clear();
    const ::grpc::Status status = impl_->stub->Predict(&context, s.request, &s.response);
    if (status.error_code() == ::grpc::StatusCode::INVALID_ARGUMENT && broadcast && attempt == 0) {
      no_broadcast_version_.store(handle.version(), std::memory_order_relaxed);  // it wants one history per row
      continue;
    }
    if (!status.ok()) return FromGrpc(status, options_.target);
    break;
  }
  const auto& outputs = s.response.outputs();
  auto prob = outputs.find(std::string(kProb));
  if (prob == outputs.end()) {
    return UnavailableError(fmt::format("model server {} answered without output 'prob'", options_.target));
  }
  RETURN_IF_ERROR(serving::grpc_api::DecodeTensorProto(prob->second, kProb, &s.prob));
  const serving::Tensor* attention = nullptr;
  if (auto a = outputs.find(std::string(kAttention)); a != outputs.end()) {
    RETURN_IF_ERROR(serving::grpc_api::DecodeTensorProto(a->second, kAttention, &s.attention));
    attention = &s.attention;
  }
  result->model_version = s.response.model_spec().has_version() ? s.response.model_spec().version().value() : 0;
  last_version_.store(result->model_version, std::memory_order_relaxed);
  return ReadModelOutputs(s.prob, attention, static_cast<int64_t>(request.target_item.size()), s.inputs, result);
}

}  // namespace reco::online::ranking
