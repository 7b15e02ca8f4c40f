// TF Serving's REST JSON formats (https://www.tensorflow.org/tfx/serving/api_rest): predict requests in the row
// (`instances`) and columnar (`inputs`) formats and their responses (`predictions` / `outputs`), model status
// (GetModelStatusResponse JSON) and model metadata (GetModelMetadataResponse JSON with a synthesized
// `serving_default` SignatureDef).
// Thread-safety: pure functions over caller-owned objects.
#pragma once

#include <span>

#include "core/status.h"
#include "serving/prediction_service.h"
#include "serving/rest/json_tensor.h"
#include "serving/servable.h"
#include "serving/servable_manager.h"

namespace reco::serving::rest {

enum class RequestFormat { kRow, kColumnar };

// Decodes a parsed predict body into `request->inputs` (dtypes taken from `servable`) and signature_name.
Status DecodePredictRequest(const JsonValue& body, const Servable& servable, PredictRequest* request,
                            RequestFormat* format);

// {"predictions": ...} (row) or {"outputs": ...} (columnar). Row format needs every output to share dim 0.
Status WritePredictResponse(const PredictResponse& response, RequestFormat format, JsonWriter* writer);

// {"model_version_status": [{"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", ...}}]}
void WriteModelStatus(std::span<const VersionStatus> versions, JsonWriter* writer);

// {"model_spec": {...}, "metadata": {"signature_def": {"signature_def": {"serving_default": {...}}}}}
void WriteModelMetadata(const ServableHandle& servable, JsonWriter* writer);

}  // namespace reco::serving::rest
