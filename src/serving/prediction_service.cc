#include "serving/prediction_service.h"

#include <algorithm>

#include <fmt/format.h>

namespace reco::serving {
namespace {

class DirectRunner final : public ServableRunner {
 public:
  Status Run(const ServableHandle& servable, std::span<const NamedTensor> inputs,
             std::span<const std::string> output_names, std::vector<NamedTensor>* outputs) const override {
    return servable->Run(inputs, output_names, outputs);
  }
};

std::string Names(const std::vector<TensorInfo>& infos) {
  std::string out;
  for (const TensorInfo& info : infos) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

const TensorInfo* FindInfo(const std::vector<TensorInfo>& infos, std::string_view name) {
  for (const TensorInfo& info : infos) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace

void PredictRequest::Clear() {
  model_name.clear();
  version = {};
  signature_name.clear();
  for (NamedTensor& t : inputs) {
    ReleaseLargeBuffers(&t.tensor);
    spare_.push_back(std::move(t));
  }
  inputs.clear();
  output_filter.clear();
}

void PredictRequest::ReleaseLargeBuffers(Tensor* t) {
  if (t->bytes.capacity() > kMaxSpareBytes) std::vector<std::byte>().swap(t->bytes);
  if (t->strings.capacity() > kMaxSpareStrings) std::vector<std::string>().swap(t->strings);
}

NamedTensor* PredictRequest::AddInput(std::string_view name) {
  if (spare_.empty()) {
    inputs.emplace_back();
  } else {
    inputs.push_back(std::move(spare_.back()));
    spare_.pop_back();
  }
  inputs.back().name.assign(name.data(), name.size());
  return &inputs.back();
}

ServableRunner* DirectServableRunner() {
  static DirectRunner* runner = new DirectRunner();
  return runner;
}

PredictionService::PredictionService(const ServableManager* manager, const ServableRunner* runner)
    : manager_(manager), runner_(runner ? runner : DirectServableRunner()) {}

StatusOr<ServableHandle> PredictionService::Resolve(const std::string& model_name,
                                                    const VersionSelector& version) const {
  if (model_name.empty()) return InvalidArgumentError("model name is empty");
  return manager_->GetHandle(model_name, version);
}

Status PredictionService::CheckSignatureName(const std::string& name) {
  if (name.empty() || name == kDefaultSignature) return Status::Ok();
  return InvalidArgumentError(fmt::format(
      "Serving signature name: \"{}\" not found in signature def; an ONNX model has one signature, \"{}\"", name,
      kDefaultSignature));
}

StatusOr<const TensorInfo*> PredictionService::FindInput(const Servable& servable, std::string_view name) {
  const TensorInfo* info = FindInfo(servable.inputs(), name);
  if (!info) {
    return InvalidArgumentError(
        fmt::format("input '{}' is not an input of the model (expected: {})", name, Names(servable.inputs())));
  }
  return info;
}

Status PredictionService::Validate(const Servable& servable, const PredictRequest& request) const {
  RETURN_IF_ERROR(CheckSignatureName(request.signature_name));
  const std::vector<TensorInfo>& expected = servable.inputs();
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const NamedTensor& input = request.inputs[i];
    ASSIGN_OR_RETURN(const TensorInfo* info, FindInput(servable, input.name));
    for (size_t j = 0; j < i; ++j) {
      if (request.inputs[j].name == input.name) {
        return InvalidArgumentError(fmt::format("input '{}' is given more than once", input.name));
      }
    }
    const Tensor& t = input.tensor;
    if (t.dtype != info->dtype) {
      return InvalidArgumentError(fmt::format("input '{}' has dtype {} but the model expects {}", input.name,
                                              DataTypeName(t.dtype), DataTypeName(info->dtype)));
    }
    if (!info->unknown_rank) {
      if (t.shape.size() != info->shape.size()) {
        return InvalidArgumentError(fmt::format("input '{}' has rank {} (shape {}) but the model expects rank {} ({})",
                                                input.name, t.shape.size(), ShapeString(t.shape),
                                                info->shape.size(), ShapeString(info->shape)));
      }
      for (size_t d = 0; d < t.shape.size(); ++d) {
        if (info->shape[d] >= 0 && t.shape[d] != info->shape[d]) {
          return InvalidArgumentError(fmt::format("input '{}' has shape {} but the model expects {} (dimension {})",
                                                  input.name, ShapeString(t.shape), ShapeString(info->shape), d));
        }
      }
    }
    for (int64_t d : t.shape) {
      if (d < 0) return InvalidArgumentError(fmt::format("input '{}' has a negative dimension", input.name));
    }
  }
  if (request.inputs.size() != expected.size()) {
    for (const TensorInfo& info : expected) {
      bool found = false;
      for (const NamedTensor& input : request.inputs) found = found || input.name == info.name;
      if (!found) {
        return InvalidArgumentError(fmt::format("missing input '{}' (the model needs: {})", info.name,
                                                Names(expected)));
      }
    }
  }
  for (size_t i = 0; i < request.output_filter.size(); ++i) {
    const std::string& name = request.output_filter[i];
    if (!FindInfo(servable.outputs(), name)) {
      return InvalidArgumentError(fmt::format("output_filter names '{}', which is not an output of the model "
                                              "(outputs: {})", name, Names(servable.outputs())));
    }
    if (std::find(request.output_filter.begin(), request.output_filter.begin() + i, name) !=
        request.output_filter.begin() + i) {
      return InvalidArgumentError(fmt::format("output_filter names '{}' more than once", name));
    }
  }
  return Status::Ok();
}

Status PredictionService::Predict(const PredictRequest& request, PredictResponse* response) const {
  ASSIGN_OR_RETURN(ServableHandle handle, Resolve(request.model_name, request.version));
  return Predict(handle, request, response);
}

Status PredictionService::Predict(const ServableHandle& servable, const PredictRequest& request,
                                  PredictResponse* response) const {
  RETURN_IF_ERROR(Validate(*servable, request));
  response->model_name = servable.model();
  response->version = servable.version();
  response->signature_name = kDefaultSignature;
  if (!request.output_filter.empty()) {
    return runner_->Run(servable, request.inputs, request.output_filter, &response->outputs);
  }
  // All outputs in model order. The names vector is built per call; small (a few strings) and SSO-friendly.
  thread_local std::vector<std::string> all_outputs;
  all_outputs.clear();
  for (const TensorInfo& info : servable->outputs()) all_outputs.push_back(info.name);
  return runner_->Run(servable, request.inputs, all_outputs, &response->outputs);
}

}  // namespace reco::serving
