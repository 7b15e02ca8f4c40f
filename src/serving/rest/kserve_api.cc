#include "serving/rest/kserve_api.h"

#include <string>

#include <fmt/format.h>

namespace reco::serving::rest {
namespace {

void Key(JsonWriter* w, std::string_view key) { w->Key(key.data(), static_cast<rapidjson::SizeType>(key.size())); }
void Str(JsonWriter* w, std::string_view s) { w->String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void WriteInfos(std::string_view key, const std::vector<TensorInfo>& infos, JsonWriter* w) {
  Key(w, key);
  w->StartArray();
  for (const TensorInfo& info : infos) {
    w->StartObject();
    Key(w, "name");
    Str(w, info.name);
    Key(w, "datatype");
    Str(w, KServeDataTypeName(info.dtype));
    Key(w, "shape");
    w->StartArray();
    for (int64_t d : info.shape) w->Int64(d < 0 ? -1 : d);
    w->EndArray();
    w->EndObject();
  }
  w->EndArray();
}

}  // namespace

Status DecodeKServeInferRequest(const JsonValue& body, const Servable& servable, PredictRequest* request,
                                std::string* id) {
  if (!body.IsObject()) return InvalidArgumentError("request body must be a JSON object");
  auto id_it = body.FindMember("id");
  if (id_it != body.MemberEnd()) {
    if (!id_it->value.IsString()) return InvalidArgumentError("'id' must be a string");
    id->assign(id_it->value.GetString(), id_it->value.GetStringLength());
  }
  auto inputs = body.FindMember("inputs");
  if (inputs == body.MemberEnd() || !inputs->value.IsArray()) {
    return InvalidArgumentError("'inputs' must be a list of {name, shape, datatype, data}");
  }
  if (inputs->value.Empty()) return InvalidArgumentError("'inputs' is an empty list");
  thread_local std::vector<int64_t> shape;  // reused across requests
  for (const JsonValue& input : inputs->value.GetArray()) {
    if (!input.IsObject()) return InvalidArgumentError("each element of 'inputs' must be an object");
    auto name = input.FindMember("name");
    auto shape_it = input.FindMember("shape");
    auto datatype = input.FindMember("datatype");
    auto data = input.FindMember("data");
    if (name == input.MemberEnd() || !name->value.IsString()) {
      return InvalidArgumentError("an input has no string 'name'");
    }
    std::string_view input_name(name->value.GetString(), name->value.GetStringLength());
    const std::string_view what = input_name;  // error messages only
    if (shape_it == input.MemberEnd() || !shape_it->value.IsArray()) {
      return InvalidArgumentError(fmt::format("input '{}': 'shape' must be a list of integers", what));
    }
    if (datatype == input.MemberEnd() || !datatype->value.IsString()) {
      return InvalidArgumentError(fmt::format("input '{}': 'datatype' must be a string such as \"FP32\"", what));
    }
    if (data == input.MemberEnd()) return InvalidArgumentError(fmt::format("input '{}': 'data' is missing", what));
    const TensorInfo* info = nullptr;
    for (const TensorInfo& candidate : servable.inputs()) {
      if (candidate.name == input_name) info = &candidate;
    }
    if (!info) return InvalidArgumentError(fmt::format("input '{}' is not an input of the model", what));
    std::string_view dt(datatype->value.GetString(), datatype->value.GetStringLength());
    if (DataTypeFromKServeName(dt) != info->dtype) {
      return InvalidArgumentError(fmt::format("input '{}': datatype \"{}\" does not match the model's \"{}\"", what, dt,
                                              KServeDataTypeName(info->dtype)));
    }
    shape.clear();
    for (const JsonValue& d : shape_it->value.GetArray()) {
      if (!d.IsInt64() || d.GetInt64() < 0) return InvalidArgumentError(fmt::format("input '{}': 'shape' must hold integers >= 0", what));
      shape.push_back(d.GetInt64());
    }
    NamedTensor* tensor = request->AddInput(input_name);
    RETURN_IF_ERROR(JsonFlatToTensor(data->value, info->dtype, shape, what, &tensor->tensor));
  }
  auto outputs = body.FindMember("outputs");
  if (outputs != body.MemberEnd()) {
    if (!outputs->value.IsArray()) return InvalidArgumentError("'outputs' must be a list of {\"name\": ...}");
    for (const JsonValue& out : outputs->value.GetArray()) {
      auto name = out.IsObject() ? out.FindMember("name") : out.MemberEnd();
      if (!out.IsObject() || name == out.MemberEnd() || !name->value.IsString()) {
        return InvalidArgumentError("each element of 'outputs' must be an object with a string 'name'");
      }
      request->output_filter.emplace_back(name->value.GetString(), name->value.GetStringLength());
    }
  }
  return Status::Ok();
}

void WriteKServeInferResponse(const PredictResponse& response, const std::string& id, JsonWriter* w) {
  w->StartObject();
  Key(w, "model_name");
  Str(w, response.model_name);
  Key(w, "model_version");
  Str(w, std::to_string(response.version));
  if (!id.empty()) {
    Key(w, "id");
    Str(w, id);
  }
  Key(w, "outputs");
  w->StartArray();
  for (const NamedTensor& out : response.outputs) {
    w->StartObject();
    Key(w, "name");
    Str(w, out.name);
    Key(w, "datatype");
    Str(w, KServeDataTypeName(out.tensor.dtype));
    Key(w, "shape");
    w->StartArray();
    for (int64_t d : out.tensor.shape) w->Int64(d);
    w->EndArray();
    Key(w, "data");
    WriteTensorFlatJson(out.tensor, w);
    w->EndObject();
  }
  w->EndArray();
  w->EndObject();
}

void WriteKServeModelMetadata(const ServableHandle& servable, std::span<const int64_t> versions, JsonWriter* w) {
  w->StartObject();
  Key(w, "name");
  Str(w, servable.model());
  Key(w, "versions");
  w->StartArray();
  for (int64_t v : versions) Str(w, std::to_string(v));
  w->EndArray();
  Key(w, "platform");
  Str(w, "onnxruntime_onnx");
  WriteInfos("inputs", servable->inputs(), w);
  WriteInfos("outputs", servable->outputs(), w);
  w->EndObject();
}

}  // namespace reco::serving::rest
