// Test-only reference: evaluates an exported ONNX graph with LibTorch ops, reading the weights back from the
// ModelProto's initializers. It checks the *file* (node order, attributes, raw_data layout) independently of
// the module that produced it, before/alongside reco's own engine. Supports the ops reco's exporters emit.
#pragma once

#include <onnx/onnx_pb.h>
#include <torch/torch.h>

#include <map>
#include <string>

namespace reco::onnx_export::testing {

// Runs the graph on named inputs; returns every graph output by name. Throws std::runtime_error on an op it
// does not know (a test failure, not a product error path).
std::map<std::string, torch::Tensor> EvalWithTorch(const onnx::ModelProto& model,
                                                   const std::map<std::string, torch::Tensor>& inputs);

}  // namespace reco::onnx_export::testing
