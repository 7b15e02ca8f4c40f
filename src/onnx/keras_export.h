// Exporter for reco::keras::Sequential (Dense, Flatten, Conv2D, MaxPool2D, Dropout; activations relu, sigmoid,
// tanh, softmax).
//
// Contract: the model must be built. The graph input is "input" [batch_size, <per-sample input shape>] (NCHW for
// convolutional models, as the Keras API here is channels-first) and the output "output" [batch_size,
// <per-sample output shape>]; both equal Sequential::predict on the same data. Dense on a rank-1 sample is one
// Gemm(transB=1); on higher ranks (Keras applies it to the last axis) a MatMul with the transposed kernel plus an
// Add. Conv2D "same" padding (possibly asymmetric, TensorFlow's rule) becomes explicit ONNX pads. Dropout is the
// identity at inference and emits nothing. Node names start with the Keras layer name ("dense_1/Gemm").
// Metadata: reco.model_kind = "keras_sequential", reco.input_layout, reco.input_semantics, reco.keras_layers.
// Thread-safety: reads the model's weights; the caller must not train it concurrently.
#pragma once

#include <onnx/onnx_pb.h>

#include "core/status.h"
#include "onnx/classifier_export.h"

namespace reco::keras {
class Sequential;
}

namespace reco::onnx_export {

inline constexpr const char* kKerasModelKind = "keras_sequential";

StatusOr<onnx::ModelProto> ExportSequential(const keras::Sequential& model, const ExportOptions& options);

}  // namespace reco::onnx_export
