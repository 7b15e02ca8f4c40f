#include "engine/tensor_proto.h"

#include <cstring>

namespace reco::engine {
namespace {

template <typename Dst, typename Field>
void CopyField(const Field& field, Tensor* t) {
  Dst* out = t->data<Dst>();
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Dst>(field.Get(i));
}

}  // namespace

StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& model_dir) {
  const std::string what = "tensor '" + proto.name() + "'";
  DType dtype = DTypeFromOnnx(proto.data_type());
  if (dtype == DType::kUndefined) {
    return UnimplementedError(what + ": unsupported element type " + std::to_string(proto.data_type()));
  }
  if (proto.dims_size() > Shape::kMaxRank) return InvalidArgumentError(what + ": rank exceeds " + std::to_string(Shape::kMaxRank));
  Shape shape;
  for (int64_t d : proto.dims()) {
    if (d < 0) return InvalidArgumentError(what + ": negative dimension");
    shape.push_back(d);
  }
  const int64_t elements = shape.CheckedNumElements();
  if (elements < 0 || elements > (int64_t{1} << 34)) {
    return InvalidArgumentError(what + ": implausibly large shape " + shape.ToString());
  }
  const size_t n = static_cast<size_t>(elements);
  const size_t bytes = n * DTypeSize(dtype);
  // Every size check comes before the allocation: the declared dims are only a claim until the file's data
  // backs them (a 100-byte model must not make the loader allocate 64 GB).
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    ASSIGN_OR_RETURN(std::string data, ReadExternalData(proto, model_dir));
    if (data.size() != bytes) {
      return DataLossError(what + ": external data has " + std::to_string(data.size()) + " bytes, expected " +
                           std::to_string(bytes));
    }
    Tensor t(dtype, shape);
    if (bytes) std::memcpy(t.raw_data(), data.data(), bytes);
    return t;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes) {
      return DataLossError(what + ": raw_data has " + std::to_string(proto.raw_data().size()) + " bytes, expected " +
                           std::to_string(bytes) + " for shape " + shape.ToString());
    }
    Tensor t(dtype, shape);
    if (bytes) std::memcpy(t.raw_data(), proto.raw_data().data(), bytes);
    return t;
  }
  int values = 0;
  switch (dtype) {
    case DType::kFloat32: values = proto.float_data_size(); break;
    case DType::kFloat64: values = proto.double_data_size(); break;
    case DType::kInt64: values = proto.int64_data_size(); break;
    default: values = proto.int32_data_size(); break;  // int32, bool, uint8, int8, float16 (as bits)
  }
  if (static_cast<size_t>(values) != n) {
    return DataLossError(what + ": has " + std::to_string(values) + " values, expected " + std::to_string(n));
  }
  Tensor t(dtype, shape);
  switch (dtype) {
    case DType::kFloat32: CopyField<float>(proto.float_data(), &t); break;
    case DType::kFloat64: CopyField<double>(proto.double_data(), &t); break;
    case DType::kInt64: CopyField<int64_t>(proto.int64_data(), &t); break;
    case DType::kInt32: CopyField<int32_t>(proto.int32_data(), &t); break;
    case DType::kBool: CopyField<bool>(proto.int32_data(), &t); break;
    case DType::kUint8: CopyField<uint8_t>(proto.int32_data(), &t); break;
    case DType::kInt8: CopyField<int8_t>(proto.int32_data(), &t); break;
    case DType::kFloat16: CopyField<uint16_t>(proto.int32_data(), &t); break;
    case DType::kUndefined: break;
  }
  return t;
}

}  // namespace reco::engine
