// The tensor value that travels through the model server's predict path (REST/gRPC/KServe decoders fill it,
// a Servable consumes it, encoders read the outputs).
//
// Contract: a dense row-major tensor. Numeric payloads live in `bytes` (little-endian, element size of
// `dtype`); strings (DT_STRING) in `strings`. Element count = product of `shape` (1 for a scalar). The DataType
// numbers are TensorFlow's (tensorflow/core/framework/types.proto), so the gRPC edge maps them one to one.
// Buffers are plain vectors: reusing a Tensor object reuses its capacity, so a warm decoder does not allocate.
// Thread-safety: a value type; distinct objects may be used concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reco::serving {

enum class DataType : int {
  kInvalid = 0,
  kFloat = 1,
  kDouble = 2,
  kInt32 = 3,
  kUint8 = 4,
  kInt8 = 6,
  kString = 7,
  kInt64 = 9,
  kBool = 10,
  kHalf = 19,
};

// "DT_FLOAT", "DT_INT64", ... (TF's enum spelling, used in REST metadata).
std::string_view DataTypeName(DataType dtype);
// KServe v2 / Triton spelling: "FP32", "INT64", "BOOL", "BYTES", ...; "" for kInvalid.
std::string_view KServeDataTypeName(DataType dtype);
// Inverse of KServeDataTypeName; kInvalid if unknown.
DataType DataTypeFromKServeName(std::string_view name);
// Bytes per element; 0 for kString and kInvalid.
size_t DataTypeSize(DataType dtype);

struct Tensor {
  DataType dtype = DataType::kInvalid;
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;       // numeric payload
  std::vector<std::string> strings;   // DT_STRING payload

  int64_t num_elements() const;
  // Sets dtype and shape and sizes the payload for them (contents unspecified). Keeps capacity.
  void Reset(DataType type, std::span<const int64_t> dims);

  template <typename T>
  T* data() { return reinterpret_cast<T*>(bytes.data()); }
  template <typename T>
  const T* data() const { return reinterpret_cast<const T*>(bytes.data()); }
};

// "[2,8]" for messages.
std::string ShapeString(std::span<const int64_t> shape);

// A named input or output.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

}  // namespace reco::serving
