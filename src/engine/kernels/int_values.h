// Reading small integer tensors (shapes, axes, repeats, slice bounds) that kernels need at plan time.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "engine/tensor.h"

namespace reco::engine {

// Copies an int64 or int32 tensor's values into `out` (cleared first); any other dtype is InvalidArgument.
inline Status ReadInt64s(const TensorView* v, std::vector<int64_t>* out) {
  out->clear();
  if (v->dtype == DType::kInt64) {
    out->assign(v->data_as<int64_t>(), v->data_as<int64_t>() + v->num_elements());
  } else if (v->dtype == DType::kInt32) {
    for (int64_t i = 0; i < v->num_elements(); ++i) out->push_back(v->data_as<int32_t>()[i]);
  } else {
    return InvalidArgumentError("expected an int64 tensor");
  }
  return Status::Ok();
}

}  // namespace reco::engine
