#include "serving/rest/json_tensor.h"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace reco::serving::rest {
namespace {

bool IsB64Object(const JsonValue& v) {
  return v.IsObject() && v.MemberCount() == 1 && v.MemberBegin()->name == "b64";
}

std::string_view Kind(const JsonValue& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsString()) return "a string";
  if (v.IsNumber()) return "a number";
  if (v.IsArray()) return "a list";
  return "an object";
}

template <typename T>
bool IntegerFrom(const JsonValue& v, T* out) {
  if (v.IsInt64()) {
    const int64_t x = v.GetInt64();
    if (x < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        x > static_cast<int64_t>(std::numeric_limits<T>::max())) {
      return false;
    }
    *out = static_cast<T>(x);
    return true;
  }
  return false;
}

// Writes one leaf; `index` is the flat element index (for messages).
Status FillLeaf(const JsonValue& v, DataType dtype, std::string_view what, Tensor* out, int64_t index) {
  auto bad = [&](std::string_view expected) {
    return InvalidArgumentError(fmt::format("input '{}': element {} is {} but the model expects {} ({})", what, index,
                                            Kind(v), expected, DataTypeName(dtype)));
  };
  switch (dtype) {
    case DataType::kFloat: {
      if (!v.IsNumber()) return bad("a number");
      const double d = v.GetDouble();
      if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {  // would become +-Infinity
        return InvalidArgumentError(fmt::format("input '{}': element {} is {} and does not fit a float (DT_FLOAT)",
                                                what, index, d));
      }
      out->data<float>()[index] = static_cast<float>(d);
      return Status::Ok();
    }
    case DataType::kDouble:
      if (!v.IsNumber()) return bad("a number");
      out->data<double>()[index] = v.GetDouble();
      return Status::Ok();
    case DataType::kInt64:
      if (!v.IsInt64()) return bad("an integer");
      out->data<int64_t>()[index] = v.GetInt64();
      return Status::Ok();
    case DataType::kInt32:
      if (!IntegerFrom(v, out->data<int32_t>() + index)) return bad("a 32-bit integer");
      return Status::Ok();
    case DataType::kUint8:
      if (!IntegerFrom(v, out->data<uint8_t>() + index)) return bad("an integer in [0, 255]");
      return Status::Ok();
    case DataType::kInt8:
      if (!IntegerFrom(v, out->data<int8_t>() + index)) return bad("an integer in [-128, 127]");
      return Status::Ok();
    case DataType::kBool:
      if (!v.IsBool()) return bad("true or false");
      out->data<uint8_t>()[index] = v.GetBool() ? 1 : 0;
      return Status::Ok();
    case DataType::kString:
      if (v.IsString()) {
        out->strings[index].assign(v.GetString(), v.GetStringLength());
        return Status::Ok();
      }
      if (IsB64Object(v) && v.MemberBegin()->value.IsString()) {
        const JsonValue& s = v.MemberBegin()->value;
        if (!Base64Decode(std::string_view(s.GetString(), s.GetStringLength()), &out->strings[index])) {
          return InvalidArgumentError(fmt::format("input '{}': element {} is not valid base64", what, index));
        }
        return Status::Ok();
      }
      return bad("a string or {\"b64\": ...}");
    case DataType::kHalf:
    case DataType::kInvalid:
      break;
  }
  return UnimplementedError(fmt::format("input '{}': dtype {} is not supported over REST", what, DataTypeName(dtype)));
}

// `v` is not the list of shape[depth] that a rectangular tensor of `shape` has at `depth`.
Status RaggedListError(const JsonValue& v, std::span<const int64_t> shape, size_t depth, std::string_view what) {
  return InvalidArgumentError(fmt::format(
      "input '{}': ragged list: expected a list of {} at depth {} (shape {}) but found {}{}", what, shape[depth], depth,
      ShapeString(shape), v.IsArray() ? "a list of " : std::string(Kind(v)),
      v.IsArray() ? std::to_string(v.Size()) : std::string()));
}

Status FillRecursive(const JsonValue& v, std::span<const int64_t> shape, size_t depth, std::string_view what,
                     Tensor* out, int64_t* index) {
  if (depth == shape.size()) {
    if (v.IsArray()) {
      return InvalidArgumentError(fmt::format("input '{}': ragged or too deeply nested list at element {} (expected shape {})",
                                              what, *index, ShapeString(shape)));
    }
    RETURN_IF_ERROR(FillLeaf(v, out->dtype, what, out, *index));
    ++*index;
    return Status::Ok();
  }
  if (!v.IsArray() || static_cast<int64_t>(v.Size()) != shape[depth]) return RaggedListError(v, shape, depth, what);
  for (const JsonValue& item : v.GetArray()) RETURN_IF_ERROR(FillRecursive(item, shape, depth + 1, what, out, index));
  return Status::Ok();
}

constexpr size_t kMaxNesting = 32;

Status TooDeep(std::string_view what) {
  return InvalidArgumentError(fmt::format("input '{}': list nested deeper than {}", what, kMaxNesting));
}

// The leaves of a (possibly nested) KServe `data` list, so the tensor is sized only once the body is known to
// hold that many values: a 90-byte request must not make the server allocate gigabytes.
Status CountLeaves(const JsonValue& v, size_t depth, std::string_view what, int64_t* count) {
  if (!v.IsArray()) {
    ++*count;
    return Status::Ok();
  }
  if (depth >= kMaxNesting) return TooDeep(what);
  for (const JsonValue& item : v.GetArray()) RETURN_IF_ERROR(CountLeaves(item, depth + 1, what, count));
  return Status::Ok();
}

Status FlattenRecursive(const JsonValue& v, std::string_view what, Tensor* out, int64_t* index, int64_t total) {
  if (v.IsArray()) {
    for (const JsonValue& item : v.GetArray()) RETURN_IF_ERROR(FlattenRecursive(item, what, out, index, total));
    return Status::Ok();
  }
  if (*index >= total) {
    return InvalidArgumentError(fmt::format("input '{}': data has more elements than shape {} holds", what,
                                            ShapeString(out->shape)));
  }
  RETURN_IF_ERROR(FillLeaf(v, out->dtype, what, out, *index));
  ++*index;
  return Status::Ok();
}

void WriteFloat(double x, bool is_float, JsonWriter* writer) {
  if (std::isnan(x)) {
    writer->RawValue("NaN", 3, rapidjson::kNumberType);
    return;
  }
  if (std::isinf(x)) {
    if (x > 0) writer->RawValue("Infinity", 8, rapidjson::kNumberType);
    else writer->RawValue("-Infinity", 9, rapidjson::kNumberType);
    return;
  }
  char buf[32];
  auto result = is_float ? std::to_chars(buf, buf + sizeof(buf), static_cast<float>(x))
                         : std::to_chars(buf, buf + sizeof(buf), x);
  // to_chars prints the shortest round trip ("1e+20", "0.5", "5"); a whole number gets ".0" as TF Serving writes
  // it, so clients with typed JSON decoders read a float, not an integer.
  size_t len = static_cast<size_t>(result.ptr - buf);
  if (std::string_view(buf, len).find_first_of(".e") == std::string_view::npos && len + 2 <= sizeof(buf)) {
    buf[len++] = '.';
    buf[len++] = '0';
  }
  writer->RawValue(buf, len, rapidjson::kNumberType);
}

void WriteElement(const Tensor& t, int64_t i, bool b64_strings, JsonWriter* writer) {
  switch (t.dtype) {
    case DataType::kFloat: WriteFloat(t.data<float>()[i], true, writer); break;
    case DataType::kDouble: WriteFloat(t.data<double>()[i], false, writer); break;
    case DataType::kInt64: writer->Int64(t.data<int64_t>()[i]); break;
    case DataType::kInt32: writer->Int(t.data<int32_t>()[i]); break;
    case DataType::kUint8: writer->Uint(t.data<uint8_t>()[i]); break;
    case DataType::kInt8: writer->Int(t.data<int8_t>()[i]); break;
    case DataType::kBool: writer->Bool(t.data<uint8_t>()[i] != 0); break;
    case DataType::kString: {
      const std::string& s = t.strings[i];
      if (b64_strings) {
        std::string encoded;
        Base64Encode(s, &encoded);
        writer->StartObject();
        writer->Key("b64");
        writer->String(encoded.data(), static_cast<rapidjson::SizeType>(encoded.size()));
        writer->EndObject();
      } else {
        writer->String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      }
      break;
    }
    case DataType::kHalf:
    case DataType::kInvalid: writer->Null(); break;
  }
}

void WriteRecursive(const Tensor& t, std::span<const int64_t> dims, size_t depth, int64_t* index, bool b64,
                    JsonWriter* writer) {
  if (depth == dims.size()) {
    WriteElement(t, (*index)++, b64, writer);
    return;
  }
  writer->StartArray();
  for (int64_t i = 0; i < dims[depth]; ++i) WriteRecursive(t, dims, depth + 1, index, b64, writer);
  writer->EndArray();
}

constexpr char kB64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

Status JsonShape(const JsonValue& value, std::string_view what, std::vector<int64_t>* shape) {
  shape->clear();
  const JsonValue* v = &value;
  while (v->IsArray()) {
    if (shape->size() == kMaxNesting) return TooDeep(what);
    shape->push_back(v->Size());
    if (v->Empty()) break;
    v = &(*v)[0];
  }
  return Status::Ok();
}

Status JsonCheckRectangular(const JsonValue& v, std::span<const int64_t> shape, std::string_view what, size_t depth) {
  if (depth == shape.size()) {
    if (v.IsArray()) {
      return InvalidArgumentError(
          fmt::format("input '{}': ragged or too deeply nested list (expected shape {})", what, ShapeString(shape)));
    }
    return Status::Ok();
  }
  if (!v.IsArray() || static_cast<int64_t>(v.Size()) != shape[depth]) return RaggedListError(v, shape, depth, what);
  if (depth + 1 == shape.size()) {  // a list of leaves: only nested lists would be wrong, FillRecursive says where
    return Status::Ok();
  }
  for (const JsonValue& item : v.GetArray()) RETURN_IF_ERROR(JsonCheckRectangular(item, shape, what, depth + 1));
  return Status::Ok();
}

Status JsonFill(const JsonValue& value, std::span<const int64_t> shape, std::string_view what, Tensor* out,
                int64_t offset) {
  int64_t index = offset;
  return FillRecursive(value, shape, 0, what, out, &index);
}

Status JsonToTensor(const JsonValue& value, DataType dtype, std::string_view what, Tensor* out) {
  thread_local std::vector<int64_t> shape;  // reused: no allocation per request once warm
  RETURN_IF_ERROR(JsonShape(value, what, &shape));
  // Sized only after the whole list is known to be rectangular: the shape comes from the first element at each
  // level, and a few bytes of nested lists could otherwise claim 2^64 elements.
  RETURN_IF_ERROR(JsonCheckRectangular(value, shape, what));
  out->Reset(dtype, shape);
  return JsonFill(value, shape, what, out, 0);
}

Status JsonFlatToTensor(const JsonValue& data, DataType dtype, std::span<const int64_t> shape, std::string_view what,
                        Tensor* out) {
  int64_t total = 1;
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgumentError(fmt::format("input '{}': shape {} has a negative dimension", what, ShapeString(shape)));
    if (__builtin_mul_overflow(total, d, &total)) {
      return InvalidArgumentError(fmt::format("input '{}': shape {} has too many elements", what, ShapeString(shape)));
    }
  }
  int64_t leaves = 0;
  RETURN_IF_ERROR(CountLeaves(data, 0, what, &leaves));
  if (leaves != total) {
    return InvalidArgumentError(fmt::format("input '{}': data has {} elements but shape {} needs {}", what, leaves,
                                            ShapeString(shape), total));
  }
  out->Reset(dtype, shape);
  int64_t index = 0;
  RETURN_IF_ERROR(FlattenRecursive(data, what, out, &index, total));
  if (index != total) {
    return InvalidArgumentError(fmt::format("input '{}': data has {} elements but shape {} needs {}", what, index,
                                            ShapeString(shape), total));
  }
  return Status::Ok();
}

void WriteTensorJson(const Tensor& t, std::span<const int64_t> dims, int64_t begin, bool b64_strings,
                     JsonWriter* writer) {
  int64_t index = begin;
  WriteRecursive(t, dims, 0, &index, b64_strings, writer);
}

void WriteTensorFlatJson(const Tensor& t, JsonWriter* writer) {
  writer->StartArray();
  const int64_t n = t.num_elements();
  for (int64_t i = 0; i < n; ++i) WriteElement(t, i, false, writer);
  writer->EndArray();
}

bool Base64Decode(std::string_view in, std::string* out) {
  out->clear();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  out->reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = B64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return bits < 6;  // a single leftover 6-bit group cannot encode a byte
}

void Base64Encode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out->push_back(kB64Chars[n >> 18]);
    out->push_back(kB64Chars[(n >> 12) & 63]);
    out->push_back(kB64Chars[(n >> 6) & 63]);
    out->push_back(kB64Chars[n & 63]);
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out->push_back(kB64Chars[n >> 18]);
    out->push_back(kB64Chars[(n >> 12) & 63]);
    out->push_back(i + 1 < in.size() ? kB64Chars[(n >> 6) & 63] : '=');
    out->push_back('=');
  }
}

}  // namespace reco::serving::rest
