// Dtype dispatch helpers for kernels (engine-internal): call a generic lambda with a typed tag.
// Thread-safety: pure.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace reco::engine {

template <typename T>
struct TypeTag {
  using type = T;
};

// Calls f(TypeTag<T>{}) for float, double, int32, int64, int8, uint8; returns false for other dtypes.
template <typename F>
bool DispatchNumeric(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: f(TypeTag<float>{}); return true;
    case DType::kFloat64: f(TypeTag<double>{}); return true;
    case DType::kInt32: f(TypeTag<int32_t>{}); return true;
    case DType::kInt64: f(TypeTag<int64_t>{}); return true;
    case DType::kInt8: f(TypeTag<int8_t>{}); return true;
    case DType::kUint8: f(TypeTag<uint8_t>{}); return true;
    default: return false;
  }
}

// Numeric plus bool, int8, uint8 (for data movement ops, every dtype by element size is enough; see below).
template <typename F>
bool DispatchAll(DType t, F&& f) {
  switch (t) {
    case DType::kBool: f(TypeTag<bool>{}); return true;
    case DType::kFloat16: f(TypeTag<uint16_t>{}); return true;
    default: return DispatchNumeric(t, f);
  }
}

// Float types only.
template <typename F>
bool DispatchFloat(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: f(TypeTag<float>{}); return true;
    case DType::kFloat64: f(TypeTag<double>{}); return true;
    default: return false;
  }
}

}  // namespace reco::engine
