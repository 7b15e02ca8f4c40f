// Fuses Conv[+Relu] -> MaxPool(2x2, stride 2) into the Conv (engine/kernels/conv_pool.h).
//
// Runs after Fuse() (so a following Relu is already the Conv's fused activation). A Conv node qualifies when its
// output is read only by one MaxPool whose kernel_shape and strides are [2, 2], pads 0 (auto_pad NOTSET or
// VALID), dilations 1, ceil_mode 0 and whose Indices output is absent; its fused activation must be none or Relu
// (they commute with max). The Conv's NodeProto is replaced by a copy in Model::extra_nodes carrying
// kFusedMaxPoolAttr, its output becomes the MaxPool's, the MaxPool node is dropped and `remake_kernel` rebuilds
// the Conv's kernel from the new proto.
// Thread-safety: runs once at load, on a Model nobody else sees yet.
#pragma once

#include <functional>

#include "core/status.h"
#include "engine/model.h"

namespace reco::engine {

Status FuseConvMaxPool(Model* m, const std::function<Status(Node*)>& remake_kernel);

}  // namespace reco::engine
