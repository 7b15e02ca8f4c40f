// KServe v2 / Open Inference Protocol REST JSON (https://kserve.github.io/website/ "V2 protocol"): model
// metadata and `infer` requests/responses with tensors as {name, shape, datatype, data}.
// Thread-safety: pure functions over caller-owned objects.
#pragma once

#include <span>

#include "core/status.h"
#include "serving/prediction_service.h"
#include "serving/rest/json_tensor.h"

namespace reco::serving::rest {

// Decodes {"id"?, "inputs": [...], "outputs"?: [{"name"}]} into `request` (inputs and output_filter) and the id.
Status DecodeKServeInferRequest(const JsonValue& body, const Servable& servable, PredictRequest* request,
                                std::string* id);

// {"model_name", "model_version", "id"?, "outputs": [{"name", "datatype", "shape", "data"}]}
void WriteKServeInferResponse(const PredictResponse& response, const std::string& id, JsonWriter* writer);

// {"name", "versions": [...], "platform": "onnxruntime_onnx", "inputs": [...], "outputs": [...]}
void WriteKServeModelMetadata(const ServableHandle& servable, std::span<const int64_t> versions, JsonWriter* writer);

}  // namespace reco::serving::rest
