// Model: the engine's internal form of a loaded ONNX graph (engine-internal; the public face is Session).
//
// Contract: BuildModel() takes a parsed, validated ModelProto and produces a graph whose nodes are in
// topological order, every value defined exactly once (graph input, constant or node output), every node
// resolved to a kernel, initializer-only subgraphs folded into constants (if enabled) and fusions applied.
// After that the Model is immutable.
// Thread-safety: immutable after BuildModel; shared read-only by concurrent Runs.
#pragma once

#include <onnx/onnx_pb.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "engine/epilogue.h"
#include "engine/kernel.h"
#include "engine/kernels/registry.h"
#include "engine/session.h"
#include "engine/tensor.h"

namespace reco::engine {

struct Value {
  std::string name;
  int graph_input = -1;               // index into Model::inputs, or -1
  const TensorView* constant = nullptr;  // set for initializers and folded values
};

struct Node {
  const onnx::NodeProto* proto = nullptr;  // owned by Model::proto (or Model::extra_nodes)
  std::string name;                        // node name, or "<op>#<index>" when the model leaves it empty
  int opset = 0;
  std::vector<int> inputs;   // value ids; -1 for an omitted optional input
  std::vector<int> outputs;  // value ids; -1 for an omitted optional output
  std::unique_ptr<OpKernel> kernel;
  Activation fused_activation;
  bool fused_bias = false;
  // Elementwise chain fused behind a Gemm/MatMul (its side inputs are appended to `inputs`).
  std::shared_ptr<const EpilogueProgram> epilogue;
  uint32_t def_flags = 0;  // KernelDef::flags of the resolved kernel
};

class Model {
 public:
  onnx::ModelProto proto;
  std::string model_dir;
  std::vector<Value> values;
  std::unordered_map<std::string, int> value_ids;
  std::vector<Node> nodes;           // topological order
  std::vector<int> input_values;     // value id per graph input (model order)
  std::vector<int> output_values;    // value id per graph output
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  std::deque<Tensor> constants;      // stable addresses
  std::deque<TensorView> constant_views;
  std::deque<onnx::NodeProto> extra_nodes;  // nodes synthesised by fusions
  int default_opset = 0;
  std::map<std::string, int> opsets;  // domain -> version (canonical domain)
  std::map<std::string, std::string> metadata;
  // Graph inputs whose VALUES the planner needs (they reach a KernelDef::PlanTimeInput slot through int ops);
  // their values are part of the plan key.
  std::vector<int> value_keyed_inputs;
  int folded_nodes = 0;
  int fused_nodes = 0;

  const TensorView* AddConstant(Tensor t);
};

// "MatMul+Bias+[Mul,Add,Sigmoid]": the op and what was fused into it (plan dumps, profiles).
std::string StepLabel(const Node& node);

StatusOr<std::unique_ptr<Model>> BuildModel(onnx::ModelProto proto, const std::string& model_dir,
                                            const SessionOptions& options, const KernelRegistry& registry);

}  // namespace reco::engine
