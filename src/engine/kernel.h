// The kernel interface of the engine (ONNX Runtime style).
//
// Contract: one small `final` class per op (per op family member), derived from OpKernel.
//  - The constructor reads the node's attributes ONCE from a KernelInfo and validates them; a bad attribute is
//    reported with SetInitError(...) (the factory turns it into the load-time Status naming the node).
//  - InferOutputs() runs at PLAN time (once per input-shape signature): given input dtypes and shapes (and the
//    values of inputs that are known at plan time: initializers, Constants, and anything computed from Shape/
//    Size of the planned inputs) it sets each output's dtype and shape, may request per-call scratch bytes and
//    may attach immutable per-plan state (e.g. a oneDNN primitive for these shapes).
//  - Compute() runs at RUN time. It is const and must be reentrant: many threads call it concurrently on the
//    same kernel with different KernelContexts. It must not allocate on the heap (use scratch()), must not read
//    out of bounds on any input (indices are data: validate them and return a Status), and lets NaN/Inf flow.
// Inputs that the model leaves out (optional inputs with an empty name) are null in both contexts.
// Thread-safety: kernels are immutable after construction; contexts are single-threaded.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/tensor.h"

namespace reco::engine {

struct EpilogueProgram;  // engine/epilogue.h

// An activation the planner may fuse into the producing kernel (Gemm/MatMul/Conv + Relu/Sigmoid/...), see
// KernelDef::kFusableActivation. Kernels that accept it apply it to every output element.
struct Activation {
  enum class Kind { kNone, kRelu, kSigmoid, kTanh, kLeakyRelu, kClip };
  Kind kind = Kind::kNone;
  float alpha = 0.01f;  // LeakyRelu slope
  float min = 0.0f;     // Clip bounds
  float max = 0.0f;
};
// Applies `act` in place to n floats (vectorisable loops). kNone is a no-op.
void ApplyActivation(const Activation& act, float* data, int64_t n);
std::string_view ActivationName(Activation::Kind kind);

// What a kernel's constructor sees: the node, its attributes and its opset. Not owned: lives for the duration
// of the factory call only; do not keep pointers into it (copy what you need).
class KernelInfo {
 public:
  KernelInfo(const onnx::NodeProto& node, int opset, std::vector<const TensorView*> constant_inputs,
             Activation fused_activation = {}, bool fused_bias = false,
             std::shared_ptr<const EpilogueProgram> fused_epilogue = nullptr);

  // The node's name, or "<Op>#<index>" when the model leaves it empty.
  const std::string& node_name() const { return display_name_; }
  void set_display_name(std::string name) { display_name_ = std::move(name); }
  const std::string& op_type() const { return node_.op_type(); }
  const std::string& domain() const { return node_.domain(); }
  // The opset version of this node's domain imported by the model.
  int opset() const { return opset_; }
  const onnx::NodeProto& node() const { return node_; }

  int num_inputs() const { return node_.input_size(); }
  int num_outputs() const { return node_.output_size(); }
  // False for an omitted optional input (empty name) or an index past the end.
  bool input_exists(int i) const;
  // Value of input i if it is a constant initializer (or a folded constant) at load time, else nullptr.
  const TensorView* constant_input(int i) const;

  // Attribute access. Getters return `def` when the attribute is absent.
  bool HasAttr(std::string_view name) const;
  int64_t GetInt(std::string_view name, int64_t def) const;
  float GetFloat(std::string_view name, float def) const;
  std::string GetString(std::string_view name, std::string_view def) const;
  std::vector<int64_t> GetInts(std::string_view name) const;  // empty when absent
  std::vector<float> GetFloats(std::string_view name) const;
  // Tensor-valued attribute (Constant's value, ConstantOfShape's value); nullptr when absent.
  const onnx::TensorProto* GetTensorAttr(std::string_view name) const;
  const onnx::AttributeProto* FindAttr(std::string_view name) const;

  // Set by the planner when it fused a following activation / MatMul+Add bias into this node. A kernel that
  // declares kFusableBias receives the bias as an extra LAST input (index num_inputs() in the original node,
  // i.e. input(NumInputs()-1) in the context), a 1-D tensor broadcast over the last output dim.
  const Activation& fused_activation() const { return fused_activation_; }
  bool fused_bias() const { return fused_bias_; }
  // Set by the planner when it fused an elementwise chain behind this node (KernelDef::kFusableEpilogue): the
  // chain's side inputs follow the original inputs (and the fused bias, if any), in program order, and output 0
  // becomes the chain's result.
  const std::shared_ptr<const EpilogueProgram>& fused_epilogue() const { return fused_epilogue_; }

  // "node 'name' (Op, opset N)" for error messages.
  std::string Describe() const;

 private:
  const onnx::NodeProto& node_;
  std::string display_name_;
  int opset_;
  std::vector<const TensorView*> constant_inputs_;
  Activation fused_activation_;
  bool fused_bias_;
  std::shared_ptr<const EpilogueProgram> fused_epilogue_;
};

// Plan-time view of one node: input dtypes/shapes (and values when known), outputs to fill in.
class InferenceContext {
 public:
  virtual ~InferenceContext() = default;
  virtual int num_inputs() const = 0;
  virtual int num_outputs() const = 0;
  // Null when the input is omitted.
  virtual const TensorView* input_meta(int i) const = 0;   // dtype + shape; data is null unless value known
  // Input value if known at plan time (initializer, constant, or shape-derived), else nullptr.
  virtual const TensorView* input_value(int i) const = 0;
  virtual void set_output(int i, DType dtype, const Shape& shape) = 0;
  // Per-Compute scratch memory (64-byte aligned), planned into the run arena with this node's lifetime.
  virtual void request_scratch(size_t bytes) = 0;
  // Immutable per-plan state handed back in KernelContext::plan_state().
  virtual void set_plan_state(std::shared_ptr<const void> state) = 0;
  virtual const std::string& node_name() const = 0;
};

// Run-time view of one node.
class KernelContext {
 public:
  KernelContext(const TensorView* const* inputs, int num_inputs, TensorView* const* outputs, int num_outputs,
                void* scratch, size_t scratch_bytes, const void* plan_state, int intra_op_threads)
      : inputs_(inputs), num_inputs_(num_inputs), outputs_(outputs), num_outputs_(num_outputs),
        scratch_(scratch), scratch_bytes_(scratch_bytes), plan_state_(plan_state),
        intra_op_threads_(intra_op_threads) {}

  int num_inputs() const { return num_inputs_; }
  int num_outputs() const { return num_outputs_; }
  // Null for an omitted optional input.
  const TensorView* input(int i) const { return i < num_inputs_ ? inputs_[i] : nullptr; }
  // Output views arrive with dtype, shape and data already set by the planner.
  TensorView& output(int i) const { return *outputs_[i]; }
  // False for an output the model leaves out (empty name); output(i) must not be called then.
  bool output_exists(int i) const { return i < num_outputs_ && outputs_[i] != nullptr; }
  void* scratch() const { return scratch_; }
  size_t scratch_bytes() const { return scratch_bytes_; }
  template <typename T> const T* plan_state() const { return static_cast<const T*>(plan_state_); }
  int intra_op_threads() const { return intra_op_threads_; }

 private:
  const TensorView* const* inputs_;
  int num_inputs_;
  TensorView* const* outputs_;
  int num_outputs_;
  void* scratch_;
  size_t scratch_bytes_;
  const void* plan_state_;
  int intra_op_threads_;
};

class OpKernel {
 public:
  explicit OpKernel(const KernelInfo& info) : describe_(info.Describe()) {}
  virtual ~OpKernel() = default;
  OpKernel(const OpKernel&) = delete;
  OpKernel& operator=(const OpKernel&) = delete;

  // Plan time: set every output's dtype/shape (see the file comment). Errors name the node via describe().
  virtual Status InferOutputs(InferenceContext& ctx) const = 0;
  // Run time: fill the outputs. Const, reentrant, allocation-free.
  virtual Status Compute(const KernelContext& ctx) const = 0;

  const Status& init_status() const { return init_status_; }
  // "node 'x' (Op, opset N)".
  const std::string& describe() const { return describe_; }

 protected:
  // Records a constructor-time error (first one wins).
  void SetInitError(Status status) {
    if (init_status_.ok()) init_status_ = std::move(status);
  }
  // InvalidArgumentError("<describe>: <msg>").
  Status Error(std::string_view msg) const;
  // UnimplementedError("<describe>: <msg>"): a valid model using a variant (dtype, mode) the engine lacks.
  Status Unimplemented(std::string_view msg) const;

 private:
  std::string describe_;
  Status init_status_;
};

}  // namespace reco::engine
