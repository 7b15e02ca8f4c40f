#include "online/ranking/in_process_ranker.h"

#include <array>
#include <chrono>

#include "online/ranking/model_inputs.h"
#include "online/ranking/ranker_model.h"

namespace reco::online::ranking {
namespace {

struct Scratch {
  ModelInputs inputs;
  std::vector<std::string> input_names;
  std::vector<serving::NamedTensor> outputs;
};

}  // namespace

Status InProcessRanker::Rank(const RankRequest& request, RankResult* result) const {
  ASSIGN_OR_RETURN(serving::ServableHandle handle, manager_->GetHandle(model_name_, {}));
  // The manager holds only what RankerLoaderFactory made.
  const auto& model = static_cast<const RankerModel&>(*handle);
  thread_local Scratch scratch;
  const auto queued = std::chrono::steady_clock::now();
  const ComputeGate::Pass pass(&gate_);
  result->queue_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - queued).count();
  const std::vector<serving::TensorInfo>& infos = model.inputs();
  scratch.input_names.resize(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    if (scratch.input_names[i] != infos[i].name) scratch.input_names[i] = infos[i].name;
  }
  RETURN_IF_ERROR(scratch.inputs.Build(model, scratch.input_names, request));
  static const std::array<std::string, 2> kOutputs = {std::string(kProb), std::string(kAttention)};
  const std::span<const std::string> wanted(kOutputs.data(), model.has_attention() ? 2 : 1);
  RETURN_IF_ERROR(model.Run(scratch.inputs.tensors(), wanted, &scratch.outputs));
  result->model_version = handle.version();
  return ReadModelOutputs(scratch.outputs[0].tensor, model.has_attention() ? &scratch.outputs[1].tensor : nullptr,
                          static_cast<int64_t>(request.target_item.size()), scratch.inputs, result);
}

Status InProcessRanker::Ready() const { return manager_->GetHandle(model_name_, {}).status(); }

int64_t InProcessRanker::ModelVersion() const {
  StatusOr<serving::ServableHandle> handle = manager_->GetHandle(model_name_, {});
  return handle.ok() ? handle->version() : 0;
}

}  // namespace reco::online::ranking
