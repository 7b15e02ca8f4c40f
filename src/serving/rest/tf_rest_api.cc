#include "serving/rest/tf_rest_api.h"

#include <string>

#include <fmt/format.h>

namespace reco::serving::rest {
namespace {

void Key(JsonWriter* w, std::string_view key) { w->Key(key.data(), static_cast<rapidjson::SizeType>(key.size())); }
void Str(JsonWriter* w, std::string_view s) { w->String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

NamedTensor* AddInput(PredictRequest* request, std::string_view name) { return request->AddInput(name); }

Status DecodeRow(const JsonValue& instances, const Servable& servable, PredictRequest* request) {
  if (!instances.IsArray()) return InvalidArgumentError("'instances' must be a list");
  const rapidjson::SizeType n = instances.Size();
  if (n == 0) return InvalidArgumentError("'instances' is an empty list; send at least one instance");
  const std::vector<TensorInfo>& infos = servable.inputs();
  const bool named = instances[0].IsObject() && !(instances[0].MemberCount() == 1 &&
                                                   instances[0].MemberBegin()->name == "b64");
  if (!named && infos.size() != 1) {
    return InvalidArgumentError(fmt::format(
        "'instances' elements must be objects keyed by input name: the model has {} inputs", infos.size()));
  }
  if (named) {
    for (rapidjson::SizeType k = 0; k < n; ++k) {
      const JsonValue& instance = instances[k];
      if (!instance.IsObject()) {
        return InvalidArgumentError(fmt::format("instance {} is {} but instance 0 is an object keyed by input name",
                                                k, instance.IsArray() ? "a list" : "not an object"));
      }
      for (const auto& member : instance.GetObject()) {
        std::string_view key(member.name.GetString(), member.name.GetStringLength());
        bool known = false;
        for (const TensorInfo& info : infos) known = known || info.name == key;
        if (!known) {
          return InvalidArgumentError(fmt::format("instance {} names input '{}', which is not an input of the model",
                                                  k, key));
        }
      }
    }
  }
  thread_local std::vector<int64_t> inner;  // reused across requests
  thread_local std::vector<int64_t> shape;
  for (const TensorInfo& info : infos) {
    const std::string_view what = info.name;
    auto value_of = [&](rapidjson::SizeType k) -> const JsonValue* {
      if (!named) return &instances[k];
      auto it = instances[k].FindMember(info.name.c_str());
      return it == instances[k].MemberEnd() ? nullptr : &it->value;
    };
    const JsonValue* first = value_of(0);
    if (!first) return InvalidArgumentError(fmt::format("instance 0 is missing input '{}'", info.name));
    RETURN_IF_ERROR(JsonShape(*first, what, &inner));
    // Every instance is checked against the first one's shape before the batch tensor is sized (see
    // JsonCheckRectangular): the allocation is then bounded by the values the body really holds.
    for (rapidjson::SizeType k = 0; k < n; ++k) {
      const JsonValue* value = value_of(k);
      if (!value) return InvalidArgumentError(fmt::format("instance {} is missing input '{}'", k, info.name));
      Status status = JsonCheckRectangular(*value, inner, what);
      if (!status.ok()) return status.WithContext(fmt::format("instance {}", k));
    }
    shape.assign(1, n);
    shape.insert(shape.end(), inner.begin(), inner.end());
    NamedTensor* input = AddInput(request, info.name);
    input->tensor.Reset(info.dtype, shape);
    int64_t per_instance = 1;
    for (int64_t d : inner) per_instance *= d;
    for (rapidjson::SizeType k = 0; k < n; ++k) {  // every value_of(k) exists: checked above
      Status status = JsonFill(*value_of(k), inner, what, &input->tensor, k * per_instance);
      if (!status.ok()) return status.WithContext(fmt::format("instance {}", k));
    }
  }
  return Status::Ok();
}

Status DecodeColumnar(const JsonValue& inputs, const Servable& servable, PredictRequest* request) {
  const std::vector<TensorInfo>& infos = servable.inputs();
  if (!inputs.IsObject()) {
    if (infos.size() != 1) {
      return InvalidArgumentError(fmt::format(
          "'inputs' must be an object keyed by input name: the model has {} inputs", infos.size()));
    }
    NamedTensor* input = AddInput(request, infos[0].name);
    return JsonToTensor(inputs, infos[0].dtype, infos[0].name, &input->tensor);
  }
  if (inputs.MemberCount() == 0) return InvalidArgumentError("'inputs' is an empty object");
  for (const auto& member : inputs.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    ASSIGN_OR_RETURN(const TensorInfo* info, PredictionService::FindInput(servable, name));
    NamedTensor* input = AddInput(request, name);
    RETURN_IF_ERROR(JsonToTensor(member.value, info->dtype, name, &input->tensor));
  }
  return Status::Ok();
}

void WriteTensorInfo(const TensorInfo& info, JsonWriter* w) {
  w->StartObject();
  Key(w, "dtype");
  Str(w, DataTypeName(info.dtype));
  Key(w, "tensor_shape");
  w->StartObject();
  if (info.unknown_rank) {
    Key(w, "unknown_rank");
    w->Bool(true);
  } else {
    Key(w, "dim");
    w->StartArray();
    for (int64_t d : info.shape) {
      w->StartObject();
      Key(w, "size");
      Str(w, std::to_string(d < 0 ? -1 : d));  // int64 fields are strings in proto3 JSON
      Key(w, "name");
      Str(w, "");
      w->EndObject();
    }
    w->EndArray();
    Key(w, "unknown_rank");
    w->Bool(false);
  }
  w->EndObject();
  Key(w, "name");
  Str(w, info.name);
  w->EndObject();
}

}  // namespace

Status DecodePredictRequest(const JsonValue& body, const Servable& servable, PredictRequest* request,
                            RequestFormat* format) {
  if (!body.IsObject()) return InvalidArgumentError("request body must be a JSON object");
  auto signature = body.FindMember("signature_name");
  if (signature != body.MemberEnd()) {
    if (!signature->value.IsString()) return InvalidArgumentError("'signature_name' must be a string");
    request->signature_name.assign(signature->value.GetString(), signature->value.GetStringLength());
  }
  auto instances = body.FindMember("instances");
  auto inputs = body.FindMember("inputs");
  const bool has_instances = instances != body.MemberEnd();
  const bool has_inputs = inputs != body.MemberEnd();
  if (has_instances && has_inputs) {
    return InvalidArgumentError("request has both 'instances' (row format) and 'inputs' (columnar format); "
                                "send exactly one");
  }
  if (!has_instances && !has_inputs) {
    return InvalidArgumentError("request has neither 'instances' (row format) nor 'inputs' (columnar format)");
  }
  // Other top-level keys are ignored, as TF Serving does (clients add their own metadata).
  if (has_instances) {
    *format = RequestFormat::kRow;
    return DecodeRow(instances->value, servable, request);
  }
  *format = RequestFormat::kColumnar;
  return DecodeColumnar(inputs->value, servable, request);
}

Status WritePredictResponse(const PredictResponse& response, RequestFormat format, JsonWriter* w) {
  const std::vector<NamedTensor>& outputs = response.outputs;
  w->StartObject();
  if (format == RequestFormat::kColumnar) {
    Key(w, "outputs");
    if (outputs.size() == 1) {
      WriteTensorJson(outputs[0].tensor, outputs[0].tensor.shape, 0, EndsWith(outputs[0].name, "_bytes"), w);
    } else {
      w->StartObject();
      for (const NamedTensor& out : outputs) {
        Key(w, out.name);
        WriteTensorJson(out.tensor, out.tensor.shape, 0, EndsWith(out.name, "_bytes"), w);
      }
      w->EndObject();
    }
    w->EndObject();
    return Status::Ok();
  }
  int64_t batch = -1;
  for (const NamedTensor& out : outputs) {
    if (out.tensor.shape.empty()) {
      return InvalidArgumentError(fmt::format("output '{}' is a scalar; the row format ('instances') needs a batch "
                                       "dimension; use the columnar format ('inputs')", out.name));
    }
    if (batch >= 0 && out.tensor.shape[0] != batch) {
      return InvalidArgumentError(fmt::format("outputs have different batch sizes ({} vs {}); use the columnar format",
                                       batch, out.tensor.shape[0]));
    }
    batch = out.tensor.shape[0];
  }
  Key(w, "predictions");
  w->StartArray();
  for (int64_t k = 0; k < batch; ++k) {
    if (outputs.size() == 1) {
      const Tensor& t = outputs[0].tensor;
      std::span<const int64_t> inner(t.shape.data() + 1, t.shape.size() - 1);
      WriteTensorJson(t, inner, k * (t.num_elements() / std::max<int64_t>(batch, 1)),
                      EndsWith(outputs[0].name, "_bytes"), w);
      continue;
    }
    w->StartObject();
    for (const NamedTensor& out : outputs) {
      const Tensor& t = out.tensor;
      std::span<const int64_t> inner(t.shape.data() + 1, t.shape.size() - 1);
      Key(w, out.name);
      WriteTensorJson(t, inner, k * (t.num_elements() / std::max<int64_t>(batch, 1)), EndsWith(out.name, "_bytes"),
                      w);
    }
    w->EndObject();
  }
  w->EndArray();
  w->EndObject();
  return Status::Ok();
}

void WriteModelStatus(std::span<const VersionStatus> versions, JsonWriter* w) {
  w->StartObject();
  Key(w, "model_version_status");
  w->StartArray();
  for (const VersionStatus& v : versions) {
    w->StartObject();
    Key(w, "version");
    Str(w, std::to_string(v.version));
    Key(w, "state");
    Str(w, VersionStateName(v.state));
    Key(w, "status");
    w->StartObject();
    Key(w, "error_code");
    Str(w, StatusCodeName(v.error.code()));
    Key(w, "error_message");
    Str(w, v.error.ok() ? std::string_view() : std::string_view(v.error.message()));
    w->EndObject();
    w->EndObject();
  }
  w->EndArray();
  w->EndObject();
}

void WriteModelMetadata(const ServableHandle& servable, JsonWriter* w) {
  w->StartObject();
  Key(w, "model_spec");
  w->StartObject();
  Key(w, "name");
  Str(w, servable.model());
  Key(w, "signature_name");
  Str(w, "");
  Key(w, "version");
  Str(w, std::to_string(servable.version()));
  w->EndObject();
  Key(w, "metadata");
  w->StartObject();
  Key(w, "signature_def");
  w->StartObject();
  Key(w, "signature_def");
  w->StartObject();
  Key(w, kDefaultSignature);
  w->StartObject();
  Key(w, "inputs");
  w->StartObject();
  for (const TensorInfo& info : servable->inputs()) {
    Key(w, info.name);
    WriteTensorInfo(info, w);
  }
  w->EndObject();
  Key(w, "outputs");
  w->StartObject();
  for (const TensorInfo& info : servable->outputs()) {
    Key(w, info.name);
    WriteTensorInfo(info, w);
  }
  w->EndObject();
  Key(w, "method_name");
  Str(w, "tensorflow/serving/predict");
  w->EndObject();
  w->EndObject();
  w->EndObject();
  w->EndObject();
  w->EndObject();
}

}  // namespace reco::serving::rest
