// Thin LibTorch -> GraphBuilder adapter: tensors become initializers, common layers become ONNX nodes.
//
// Contract: every Emit* function reads the layer's current parameters (copied, made contiguous, moved to CPU
// float32), adds them as initializers named "<prefix>.weight"/"<prefix>.bias" and appends the node(s) computing
// the layer, returning the name of the output tensor. Layers whose options ONNX cannot express (e.g. non-zero
// padding modes other than "zeros") return an error naming the layer.
// LibTorch types are only forward-declared here, so including this header stays cheap.
// Thread-safety: read-only on the modules; the caller must not train them concurrently.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "onnx/graph_builder.h"

namespace at {
class Tensor;
}
namespace torch::nn {
class LinearImpl;
class Conv2dImpl;
class EmbeddingImpl;
class PReLUImpl;
}  // namespace torch::nn

namespace reco::onnx_export {

// Adds `tensor` (float or int64; any device/layout) as an initializer with its own shape.
Status AddTensorInitializer(GraphBuilder& b, const std::string& name, const at::Tensor& tensor);

// y = x W^T + b as a single Gemm(transB=1); `input` must be 2-D [batch, in_features]. The output is named
// `output` if given (e.g. a graph output), else a fresh name from `prefix`.
StatusOr<std::string> EmitLinear(GraphBuilder& b, const std::string& input, const torch::nn::LinearImpl& linear,
                                 const std::string& prefix, const std::string& output = "");

// Conv (NCHW) with the layer's kernel, stride, padding, dilation and groups.
StatusOr<std::string> EmitConv2d(GraphBuilder& b, const std::string& input, const torch::nn::Conv2dImpl& conv,
                                 const std::string& prefix);

// Embedding lookup as Gather(weight [num, dim], ids) along axis 0: ids [B, ...] int64 -> [B, ..., dim].
// The engine (and ONNX) report out-of-range ids as errors rather than reading out of bounds.
StatusOr<std::string> EmitEmbedding(GraphBuilder& b, const std::string& ids, const torch::nn::EmbeddingImpl& emb,
                                    const std::string& prefix);

// Gather(table, ids) along axis 0 for a table already added as an initializer (one table, several lookups).
std::string EmitGather(GraphBuilder& b, const std::string& table, const std::string& ids, const std::string& prefix);

// y = x · weightᵀ (+ bias) for an input of any rank >= 2 ([..., in] -> [..., out]): MatMul with the transposed
// weight stored as "<prefix>.weight_t" [in, out], then Add of "<prefix>.bias" [out] when `bias` is defined.
// (Gemm only takes 2-D inputs; this is the form for per-history-entry layers on [B, L, in].)
StatusOr<std::string> EmitMatMulLinear(GraphBuilder& b, const std::string& input, const at::Tensor& weight,
                                       const at::Tensor& bias, const std::string& prefix);

// PRelu with the module's slope ([num_parameters], broadcast over the last axis; a single slope as a scalar).
StatusOr<std::string> EmitPRelu(GraphBuilder& b, const std::string& input, const torch::nn::PReLUImpl& prelu,
                                const std::string& prefix);

// A 1-D int64 initializer (axes of Unsqueeze/Squeeze/ReduceSum, shapes) under a fresh name from `prefix`.
std::string AddInt64Constant(GraphBuilder& b, const std::string& prefix, const std::vector<int64_t>& values);
// A float scalar initializer (rank 0) under a fresh name from `prefix`.
std::string AddFloatScalar(GraphBuilder& b, const std::string& prefix, float value);

// Single-input, single-output nodes ("Relu", "Sigmoid", "Flatten" with axis, ...): output named "<prefix>".
std::string EmitUnary(GraphBuilder& b, const std::string& op, const std::string& input, const std::string& prefix,
                      const Attrs& attrs = {});

// MaxPool with a square kernel and stride (stride defaults to the kernel size, as in torch).
std::string EmitMaxPool2d(GraphBuilder& b, const std::string& input, int64_t kernel, int64_t stride,
                          const std::string& prefix);

}  // namespace reco::onnx_export
