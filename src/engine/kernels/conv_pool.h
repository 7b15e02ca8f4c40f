// A 2x2 / stride-2 max pool fused into the Conv that feeds it (fuse_conv_pool.h rewrites Conv[+Relu] -> MaxPool
// into one Conv node carrying kFusedMaxPoolAttr). The conv computes one image's output into cache-sized scratch
// (or, in the Winograd path, one 2x2 output tile in registers) and only the pooled quarter is written to Y: the
// CNN's separate MaxPool pass re-read conv1's whole output from memory (21% of the model's time at batch 100).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "engine/kernel.h"

namespace reco::engine {

// Attribute set on the synthesised Conv node (engine-internal: the ONNX checker rejects unknown Conv attributes,
// so no user model can carry it). Value 1: Y is MaxPool(kernel 2x2, stride 2, no pads, floor) of the conv output.
inline constexpr const char* kFusedMaxPoolAttr = "reco_fused_maxpool_2x2";

// y[PH][PW] = act(max of each 2x2 window of src[OH][OW]) with PH = OH / 2, PW = OW / 2 (floor: an odd last row
// or column is dropped, as MaxPool does); src rows are `lds` floats apart. NaN propagates (as the MaxPool
// kernel). `act` must be kNone or kRelu, which commute with max.
void MaxPool2x2Plane(const float* src, int64_t lds, int64_t oh, int64_t ow, float* y, const Activation& act);

}  // namespace reco::engine
