// Conversion of onnx::TensorProto (initializers, Constant attributes, backend-test .pb files) to engine Tensors.
//
// Contract: handles raw_data and the typed repeated fields for every DType of tensor.h; external data is read
// through ReadExternalData (only files inside `model_dir`; "" forbids external data). Sizes are checked against
// the declared dims, so a truncated or lying proto is a Status, never an out-of-bounds read.
// Thread-safety: pure functions.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "core/status.h"
#include "engine/tensor.h"

namespace reco::engine {

StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& model_dir = "");

// Reads the bytes of an external-data tensor. `location` must be a relative path that stays inside `model_dir`
// after resolving symlinks; `..` components and absolute paths are rejected.
StatusOr<std::string> ReadExternalData(const onnx::TensorProto& proto, const std::string& model_dir);

}  // namespace reco::engine
