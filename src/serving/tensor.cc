#include "serving/tensor.h"

#include <fmt/format.h>

namespace reco::serving {

std::string_view DataTypeName(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat: return "DT_FLOAT";
    case DataType::kDouble: return "DT_DOUBLE";
    case DataType::kInt32: return "DT_INT32";
    case DataType::kUint8: return "DT_UINT8";
    case DataType::kInt8: return "DT_INT8";
    case DataType::kString: return "DT_STRING";
    case DataType::kInt64: return "DT_INT64";
    case DataType::kBool: return "DT_BOOL";
    case DataType::kHalf: return "DT_HALF";
    case DataType::kInvalid: break;
  }
  return "DT_INVALID";
}

std::string_view KServeDataTypeName(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat: return "FP32";
    case DataType::kDouble: return "FP64";
    case DataType::kInt32: return "INT32";
    case DataType::kUint8: return "UINT8";
    case DataType::kInt8: return "INT8";
    case DataType::kString: return "BYTES";
    case DataType::kInt64: return "INT64";
    case DataType::kBool: return "BOOL";
    case DataType::kHalf: return "FP16";
    case DataType::kInvalid: break;
  }
  return "";
}

DataType DataTypeFromKServeName(std::string_view name) {
  for (DataType t : {DataType::kFloat, DataType::kDouble, DataType::kInt32, DataType::kUint8, DataType::kInt8,
                     DataType::kString, DataType::kInt64, DataType::kBool, DataType::kHalf}) {
    if (KServeDataTypeName(t) == name) return t;
  }
  return DataType::kInvalid;
}

size_t DataTypeSize(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat: case DataType::kInt32: return 4;
    case DataType::kDouble: case DataType::kInt64: return 8;
    case DataType::kUint8: case DataType::kInt8: case DataType::kBool: return 1;
    case DataType::kHalf: return 2;
    case DataType::kString: case DataType::kInvalid: break;
  }
  return 0;
}

int64_t Tensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void Tensor::Reset(DataType type, std::span<const int64_t> dims) {
  dtype = type;
  shape.assign(dims.begin(), dims.end());
  const int64_t n = num_elements();
  if (type == DataType::kString) {
    bytes.clear();
    strings.resize(static_cast<size_t>(n));
  } else {
    strings.clear();
    bytes.resize(static_cast<size_t>(n) * DataTypeSize(type));
  }
}

std::string ShapeString(std::span<const int64_t> shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

}  // namespace reco::serving
