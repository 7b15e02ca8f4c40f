#include "serving/grpc/tensor_codec.h"

#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "tensorflow/core/framework/types.pb.h"

namespace reco::serving::grpc_api {
namespace {

// Fills `count` elements of `dst` (type T) from a repeated proto field of type V, broadcasting a single value.
template <typename T, typename Field>
void FillFrom(const Field& values, int64_t count, T* dst) {
  if (values.size() == 1) {
    const T v = static_cast<T>(values.Get(0));
    std::fill(dst, dst + count, v);
    return;
  }
  if constexpr (std::is_same_v<T, typename Field::value_type>) {
    if (count > 0) std::memcpy(dst, values.data(), static_cast<size_t>(count) * sizeof(T));
  } else {
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<T>(values.Get(static_cast<int>(i)));
  }
}

template <typename Field>
Status CheckCount(const Field& values, const char* field_name, int64_t count, std::string_view name,
                  const Tensor& out) {
  const int64_t n = values.size();
  if (n == count || (n == 1 && count > 0)) return Status::Ok();
  return InvalidArgumentError(fmt::format(
      "tensor '{}' ({}, shape {}): {} has {} values but the shape has {} elements; send {} values, one value to "
      "broadcast, or tensor_content",
      name, DataTypeName(out.dtype), ShapeString(out.shape), field_name, n, count, count));
}

template <typename Field, typename T>
void AppendAll(const T* src, int64_t count, Field* field) {
  field->Reserve(static_cast<int>(count));
  for (int64_t i = 0; i < count; ++i) field->Add(static_cast<typename Field::value_type>(src[i]));
}

}  // namespace

DataType FromTfDataType(int tf_dtype) {
  switch (tf_dtype) {
    case tensorflow::DT_FLOAT: return DataType::kFloat;
    case tensorflow::DT_DOUBLE: return DataType::kDouble;
    case tensorflow::DT_INT32: return DataType::kInt32;
    case tensorflow::DT_UINT8: return DataType::kUint8;
    case tensorflow::DT_INT8: return DataType::kInt8;
    case tensorflow::DT_STRING: return DataType::kString;
    case tensorflow::DT_INT64: return DataType::kInt64;
    case tensorflow::DT_BOOL: return DataType::kBool;
    case tensorflow::DT_HALF: return DataType::kHalf;
    default: return DataType::kInvalid;
  }
}

tensorflow::DataType ToTfDataType(DataType dtype) {
  // serving::DataType uses TensorFlow's numbers (see serving/tensor.h).
  return static_cast<tensorflow::DataType>(static_cast<int>(dtype));
}

std::string TfDataTypeName(int tf_dtype) {
  if (tensorflow::DataType_IsValid(tf_dtype)) return tensorflow::DataType_Name(static_cast<tensorflow::DataType>(tf_dtype));
  return fmt::format("DataType({})", tf_dtype);
}

// How many *_val entries `proto` carries for `dtype`.
int64_t ValueCount(const tensorflow::TensorProto& proto, DataType dtype) {
  switch (dtype) {
    case DataType::kFloat: return proto.float_val_size();
    case DataType::kDouble: return proto.double_val_size();
    case DataType::kInt32: case DataType::kInt8: case DataType::kUint8: return proto.int_val_size();
    case DataType::kInt64: return proto.int64_val_size();
    case DataType::kBool: return proto.bool_val_size();
    case DataType::kHalf: return proto.half_val_size();
    case DataType::kString: return proto.string_val_size();
    case DataType::kInvalid: break;
  }
  return 0;
}

const char* ValueFieldName(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat: return "float_val";
    case DataType::kDouble: return "double_val";
    case DataType::kInt32: case DataType::kInt8: case DataType::kUint8: return "int_val";
    case DataType::kInt64: return "int64_val";
    case DataType::kBool: return "bool_val";
    case DataType::kHalf: return "half_val";
    case DataType::kString: return "string_val";
    case DataType::kInvalid: break;
  }
  return "values";
}

Status DecodeTensorProto(const tensorflow::TensorProto& proto, std::string_view name, Tensor* out,
                         size_t* broadcast_budget) {
  const DataType dtype = FromTfDataType(proto.dtype());
  if (dtype == DataType::kInvalid) {
    return InvalidArgumentError(fmt::format("tensor '{}': dtype {} is not supported (use DT_FLOAT, DT_DOUBLE, "
                                            "DT_INT32, DT_INT64, DT_INT8, DT_UINT8, DT_BOOL, DT_HALF or DT_STRING)",
                                            name, TfDataTypeName(proto.dtype())));
  }
  if (proto.tensor_shape().unknown_rank()) {
    return InvalidArgumentError(fmt::format("tensor '{}': tensor_shape.unknown_rank is set; a request tensor needs "
                                            "a known shape", name));
  }
  // Size the tensor, guarding against negative dims and element counts that overflow or exceed the cap.
  thread_local std::vector<int64_t> dims;
  dims.clear();
  const size_t elem_size = dtype == DataType::kString ? sizeof(std::string) : DataTypeSize(dtype);
  int64_t count = 1;
  for (const auto& dim : proto.tensor_shape().dim()) {
    if (dim.size() < 0) {
      return InvalidArgumentError(fmt::format("tensor '{}': dimension {} is {}; request shapes must be known "
                                              "(>= 0)", name, dims.size(), dim.size()));
    }
    if (__builtin_mul_overflow(count, dim.size(), &count) || count > (int64_t{1} << 40)) {
      return InvalidArgumentError(fmt::format("tensor '{}': shape is too large", name));
    }
    dims.push_back(dim.size());
  }
  out->dtype = dtype;
  out->shape = dims;
  // Sizes are checked before the tensor is sized: either the request holds every value (tensor_content of the
  // exact size, or one *_val per element), or one value is broadcast, which is charged to the request's budget.
  if (proto.tensor_content().empty()) {
    const int64_t values = ValueCount(proto, dtype);
    if (values != count && !(values == 1 && count > 0)) {
      return InvalidArgumentError(fmt::format(
          "tensor '{}' ({}, shape {}): {} has {} values but the shape has {} elements; send {} values, one value "
          "to broadcast, or tensor_content", name, DataTypeName(dtype), ShapeString(dims), ValueFieldName(dtype),
          values, count, count));
    }
    if (values == 1 && count > 1) {
      const size_t per_element = elem_size + (dtype == DataType::kString ? proto.string_val(0).size() : 0);
      size_t local_budget = kMaxBroadcastBytes;
      size_t* budget = broadcast_budget != nullptr ? broadcast_budget : &local_budget;
      if (static_cast<uint64_t>(count) > *budget / per_element) {
        return InvalidArgumentError(fmt::format(
            "tensor '{}': broadcasting one value to shape {} would take more than the {} bytes a request may "
            "expand to", name, ShapeString(dims), kMaxBroadcastBytes));
      }
      *budget -= static_cast<size_t>(count) * per_element;
    }
  }

  if (!proto.tensor_content().empty()) {
    if (dtype == DataType::kString) {
      return InvalidArgumentError(fmt::format("tensor '{}': DT_STRING values must be sent in string_val, not "
                                              "tensor_content", name));
    }
    const size_t expected = static_cast<size_t>(count) * elem_size;
    if (proto.tensor_content().size() != expected) {
      return InvalidArgumentError(fmt::format(
          "tensor '{}' ({}, shape {}): tensor_content has {} bytes, expected {} ({} elements of {} bytes)", name,
          DataTypeName(dtype), ShapeString(dims), proto.tensor_content().size(), expected, count, elem_size));
    }
    out->Reset(dtype, dims);
    if (expected > 0) std::memcpy(out->bytes.data(), proto.tensor_content().data(), expected);
    return Status::Ok();
  }

  out->Reset(dtype, dims);
  switch (dtype) {
    case DataType::kFloat:
      RETURN_IF_ERROR(CheckCount(proto.float_val(), "float_val", count, name, *out));
      FillFrom(proto.float_val(), count, out->data<float>());
      break;
    case DataType::kDouble:
      RETURN_IF_ERROR(CheckCount(proto.double_val(), "double_val", count, name, *out));
      FillFrom(proto.double_val(), count, out->data<double>());
      break;
    case DataType::kInt32:
      RETURN_IF_ERROR(CheckCount(proto.int_val(), "int_val", count, name, *out));
      FillFrom(proto.int_val(), count, out->data<int32_t>());
      break;
    case DataType::kInt8:
      RETURN_IF_ERROR(CheckCount(proto.int_val(), "int_val", count, name, *out));
      FillFrom(proto.int_val(), count, out->data<int8_t>());
      break;
    case DataType::kUint8:
      RETURN_IF_ERROR(CheckCount(proto.int_val(), "int_val", count, name, *out));
      FillFrom(proto.int_val(), count, out->data<uint8_t>());
      break;
    case DataType::kInt64:
      RETURN_IF_ERROR(CheckCount(proto.int64_val(), "int64_val", count, name, *out));
      FillFrom(proto.int64_val(), count, out->data<int64_t>());
      break;
    case DataType::kBool:
      RETURN_IF_ERROR(CheckCount(proto.bool_val(), "bool_val", count, name, *out));
      FillFrom(proto.bool_val(), count, out->data<bool>());
      break;
    case DataType::kHalf:  // half_val carries the 16-bit patterns in int32s
      RETURN_IF_ERROR(CheckCount(proto.half_val(), "half_val", count, name, *out));
      FillFrom(proto.half_val(), count, out->data<uint16_t>());
      break;
    case DataType::kString: {
      const auto& values = proto.string_val();
      RETURN_IF_ERROR(CheckCount(values, "string_val", count, name, *out));
      for (int64_t i = 0; i < count; ++i) out->strings[i] = values.Get(values.size() == 1 ? 0 : static_cast<int>(i));
      break;
    }
    case DataType::kInvalid: break;
  }
  return Status::Ok();
}

void EncodeTensorProto(const Tensor& tensor, tensorflow::TensorProto* proto, const EncodeOptions& options) {
  proto->Clear();
  proto->set_dtype(ToTfDataType(tensor.dtype));
  for (int64_t d : tensor.shape) proto->mutable_tensor_shape()->add_dim()->set_size(d);
  const int64_t n = tensor.num_elements();
  if (options.use_tensor_content && tensor.dtype != DataType::kString) {
    proto->set_tensor_content(reinterpret_cast<const char*>(tensor.bytes.data()), tensor.bytes.size());
    return;
  }
  switch (tensor.dtype) {
    case DataType::kFloat: {
      auto* f = proto->mutable_float_val();
      f->Resize(static_cast<int>(n), 0.f);
      if (n > 0) std::memcpy(f->mutable_data(), tensor.bytes.data(), n * sizeof(float));
      break;
    }
    case DataType::kDouble: AppendAll(tensor.data<double>(), n, proto->mutable_double_val()); break;
    case DataType::kInt32: AppendAll(tensor.data<int32_t>(), n, proto->mutable_int_val()); break;
    case DataType::kInt8: AppendAll(tensor.data<int8_t>(), n, proto->mutable_int_val()); break;
    case DataType::kUint8: AppendAll(tensor.data<uint8_t>(), n, proto->mutable_int_val()); break;
    case DataType::kInt64: AppendAll(tensor.data<int64_t>(), n, proto->mutable_int64_val()); break;
    case DataType::kBool: AppendAll(tensor.data<bool>(), n, proto->mutable_bool_val()); break;
    case DataType::kHalf: AppendAll(tensor.data<uint16_t>(), n, proto->mutable_half_val()); break;
    case DataType::kString:
      for (const std::string& s : tensor.strings) proto->add_string_val(s);
      break;
    case DataType::kInvalid: break;
  }
}

void MakeSignatureDef(const Servable& servable, tensorflow::SignatureDef* signature) {
  signature->Clear();
  signature->set_method_name("tensorflow/serving/predict");
  auto fill = [](const TensorInfo& info, tensorflow::TensorInfo* out) {
    out->set_name(info.name);
    out->set_dtype(ToTfDataType(info.dtype));
    if (info.unknown_rank) {
      out->mutable_tensor_shape()->set_unknown_rank(true);
    } else {
      out->mutable_tensor_shape();  // a scalar has an empty but present shape
      for (int64_t d : info.shape) out->mutable_tensor_shape()->add_dim()->set_size(d);
    }
  };
  for (const TensorInfo& info : servable.inputs()) fill(info, &(*signature->mutable_inputs())[info.name]);
  for (const TensorInfo& info : servable.outputs()) fill(info, &(*signature->mutable_outputs())[info.name]);
}

}  // namespace reco::serving::grpc_api
