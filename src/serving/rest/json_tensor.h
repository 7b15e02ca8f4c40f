// JSON <-> Tensor for the REST transports: nested JSON arrays (TF Serving and KServe v2 `data`) decoded straight
// into a Tensor's buffer of the dtype the model expects, and tensors written back as nested arrays.
//
// Decoding rules (TF Serving's): numbers for numeric dtypes (integers must be integral and in range), true/false
// for bool, strings or {"b64": "..."} for DT_STRING; NaN/Infinity/-Infinity tokens are accepted for float and
// double (parse with kParseNanAndInfFlag). Arrays must be rectangular; errors name the tensor and the element.
// Encoding writes floats in their shortest round-trip form and NaN/Infinity as TF Serving does (bare tokens).
// Thread-safety: pure functions.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serving/tensor.h"

namespace reco::serving::rest {

using JsonValue = rapidjson::Value;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                     rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>;

// The shape of a nested array value (a scalar has shape []). `what` is the input's name, used in error messages
// ("input '<what>': ...") only, so callers pass it without formatting anything.
Status JsonShape(const JsonValue& value, std::string_view what, std::vector<int64_t>* shape);

// Checks that `value` is a rectangular nested list of `shape` (as JsonShape found it from the first elements),
// without reading the leaves. Call it before sizing a tensor from `shape`.
Status JsonCheckRectangular(const JsonValue& value, std::span<const int64_t> shape, std::string_view what,
                            size_t depth = 0);

// Writes the leaves of `value` (whose shape is `shape`, already checked by JsonShape) as `dtype` elements into
// `out` starting at element `offset`. `out` must be sized already.
Status JsonFill(const JsonValue& value, std::span<const int64_t> shape, std::string_view what, Tensor* out,
                int64_t offset);

// Decodes a whole tensor of dtype `dtype`: JsonShape + Reset + JsonFill.
Status JsonToTensor(const JsonValue& value, DataType dtype, std::string_view what, Tensor* out);

// Fills `out` from a flat array `data` (KServe v2) given the declared `shape`; nested arrays are flattened.
Status JsonFlatToTensor(const JsonValue& data, DataType dtype, std::span<const int64_t> shape, std::string_view what,
                        Tensor* out);

// Writes elements [begin, begin + count) of `t` as a nested array of shape `dims` (a scalar when dims is empty).
// Strings are written as {"b64": ...} when `b64_strings`.
void WriteTensorJson(const Tensor& t, std::span<const int64_t> dims, int64_t begin, bool b64_strings,
                     JsonWriter* writer);
// Writes the elements of `t` as one flat array.
void WriteTensorFlatJson(const Tensor& t, JsonWriter* writer);

bool Base64Decode(std::string_view in, std::string* out);
void Base64Encode(std::string_view in, std::string* out);

}  // namespace reco::serving::rest
