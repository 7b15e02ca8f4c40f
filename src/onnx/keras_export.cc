#include "onnx/keras_export.h"

#include <torch/torch.h>

#include "nn/keras/sequential.h"
#include "onnx/torch_adapter.h"

namespace reco::onnx_export {
namespace {

constexpr const char* kInput = "input";
constexpr const char* kOutput = "output";

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<Dim> BatchedDims(const std::vector<int64_t>& per_sample) {
  std::vector<Dim> dims = {Dim::Batch()};
  for (int64_t d : per_sample) dims.push_back(Dim::Fixed(d));
  return dims;
}

StatusOr<at::Tensor> Param(const keras::LayerInfo& layer, const std::string& name) {
  for (const auto& [key, tensor] : layer.params) {
    if (key == name) return tensor;
  }
  return InternalError("layer '" + layer.config.name + "' has no parameter '" + name + "'");
}

// Emits one layer. `out` is the name its last node must produce (the graph output for the last layer, else a
// fresh name); returns the tensor holding the layer's result.
class LayerEmitter {
 public:
  explicit LayerEmitter(GraphBuilder& b) : b_(b) {}

  StatusOr<std::string> Emit(const keras::LayerInfo& layer, const std::string& x, const std::string& out) {
    const auto& c = layer.config;
    switch (c.type) {
      case keras::LayerType::kDense: return Dense(layer, x, out);
      case keras::LayerType::kConv2D: return Conv(layer, x, out);
      case keras::LayerType::kFlatten:
        b_.AddNode("Flatten", {x}, {out}, {{"axis", int64_t{1}}}, c.name + "/Flatten");
        return out;
      case keras::LayerType::kMaxPool2D:
        b_.AddNode("MaxPool", {x}, {out},
                   {{"kernel_shape", std::vector<int64_t>{c.pool_size.h, c.pool_size.w}},
                    {"strides", std::vector<int64_t>{c.strides.h, c.strides.w}}},
                   c.name + "/MaxPool");
        return out;
      case keras::LayerType::kDropout:
      case keras::LayerType::kInput:
        return x;  // identity at inference; the caller never asks these to produce the graph output
    }
    return UnimplementedError("layer '" + c.name + "': unknown layer type");
  }

 private:
  // Adds the activation node (if any) after `pre`; `out` names the final tensor.
  StatusOr<std::string> Activation(const keras::LayerInfo& layer, const std::string& pre, const std::string& out) {
    const std::string& a = layer.config.activation;
    const std::string& name = layer.config.name;
    if (a.empty() || a == "linear") return pre;
    if (a == "relu") return b_.AddNode("Relu", {pre}, {out}, {}, name + "/Relu");
    if (a == "sigmoid") return b_.AddNode("Sigmoid", {pre}, {out}, {}, name + "/Sigmoid");
    if (a == "tanh") return b_.AddNode("Tanh", {pre}, {out}, {}, name + "/Tanh");
    if (a == "softmax") return b_.AddNode("Softmax", {pre}, {out}, {{"axis", int64_t{-1}}}, name + "/Softmax");
    return UnimplementedError("layer '" + name + "': activation '" + a + "' cannot be exported");
  }

  bool HasActivation(const keras::LayerInfo& layer) const {
    return !layer.config.activation.empty() && layer.config.activation != "linear";
  }

  StatusOr<std::string> Dense(const keras::LayerInfo& layer, const std::string& x, const std::string& out) {
    const std::string& name = layer.config.name;
    ASSIGN_OR_RETURN(at::Tensor weight, Param(layer, "weight"));
    ASSIGN_OR_RETURN(at::Tensor bias, Param(layer, "bias"));
    const std::string pre = HasActivation(layer) ? b_.UniqueName(name) : out;
    if (layer.input_shape.size() == 1) {
      RETURN_IF_ERROR(AddTensorInitializer(b_, name + ".weight", weight));
      RETURN_IF_ERROR(AddTensorInitializer(b_, name + ".bias", bias));
      b_.AddNode("Gemm", {x, name + ".weight", name + ".bias"}, {pre}, {{"transB", int64_t{1}}}, name + "/Gemm");
    } else {
      // Keras applies Dense to the last axis; Gemm is 2-D only, so use MatMul on the kernel stored as [in, units].
      RETURN_IF_ERROR(AddTensorInitializer(b_, name + ".kernel", weight.t()));
      RETURN_IF_ERROR(AddTensorInitializer(b_, name + ".bias", bias));
      const std::string mm = b_.UniqueName(name + "/matmul");
      b_.AddNode("MatMul", {x, name + ".kernel"}, {mm}, {}, name + "/MatMul");
      b_.AddNode("Add", {mm, name + ".bias"}, {pre}, {}, name + "/Add");
    }
    return Activation(layer, pre, out);
  }

  StatusOr<std::string> Conv(const keras::LayerInfo& layer, const std::string& x, const std::string& out) {
    const auto& c = layer.config;
    ASSIGN_OR_RETURN(at::Tensor weight, Param(layer, "weight"));
    ASSIGN_OR_RETURN(at::Tensor bias, Param(layer, "bias"));
    RETURN_IF_ERROR(AddTensorInitializer(b_, c.name + ".weight", weight));
    RETURN_IF_ERROR(AddTensorInitializer(b_, c.name + ".bias", bias));
    const std::string pre = HasActivation(layer) ? b_.UniqueName(c.name) : out;
    // LayerInfo::pads is (top, left, bottom, right): exactly ONNX's (x1_begin, x2_begin, x1_end, x2_end).
    const auto& p = layer.pads;
    b_.AddNode("Conv", {x, c.name + ".weight", c.name + ".bias"}, {pre},
               {{"kernel_shape", std::vector<int64_t>{c.kernel_size.h, c.kernel_size.w}},
                {"strides", std::vector<int64_t>{c.strides.h, c.strides.w}},
                {"pads", std::vector<int64_t>{p[0], p[1], p[2], p[3]}}},
               c.name + "/Conv");
    return Activation(layer, pre, out);
  }

  GraphBuilder& b_;
};

}  // namespace

StatusOr<onnx::ModelProto> ExportSequential(const keras::Sequential& model, const ExportOptions& options) {
  RETURN_IF_ERROR(model.status());
  if (!model.built()) {
    return FailedPreconditionError("keras model '" + model.name() +
                                   "' is not built: call build(input_shape) or fit() before exporting");
  }
  const std::vector<keras::LayerInfo> layers = model.layers();
  GraphBuilder b(model.name(), options.opset);
  b.SetModelVersion(options.model_version);
  b.SetMetadata(kMetaModelKind, kKerasModelKind);
  b.SetMetadata(kMetaInputLayout, "[batch_size]+" + ShapeString(model.input_shape()) +
                                      (model.input_shape().size() == 3 ? " (NCHW)" : ""));
  b.SetMetadata(kMetaInputSemantics, "input: the per-sample tensor the Keras model was built for; output: " +
                                         ShapeString(model.output_shape()) + " per sample, as predict() returns");
  if (!options.class_names.empty()) {
    std::string names;
    for (size_t i = 0; i < options.class_names.size(); ++i) names += (i ? "\n" : "") + options.class_names[i];
    b.SetMetadata(kMetaClassNames, names);
  }
  std::string summary;
  for (const auto& l : layers) summary += (summary.empty() ? "" : ",") + l.config.name;
  b.SetMetadata("reco.keras_layers", summary);

  b.AddInput(kInput, ElemType::kFloat, BatchedDims(model.input_shape()));
  // The last layer that emits a node writes the graph output directly (no trailing Identity).
  int last_emitting = -1;
  for (int i = 0; i < static_cast<int>(layers.size()); ++i) {
    const auto t = layers[i].config.type;
    if (t != keras::LayerType::kDropout && t != keras::LayerType::kInput) last_emitting = i;
  }
  std::string x = kInput;
  try {
    LayerEmitter emitter(b);
    for (int i = 0; i < static_cast<int>(layers.size()); ++i) {
      const std::string out = i == last_emitting ? kOutput : b.UniqueName(layers[i].config.name);
      ASSIGN_OR_RETURN(x, emitter.Emit(layers[i], x, out));
    }
  } catch (const c10::Error& e) {
    return InternalError("exporting keras model '" + model.name() + "': " + e.what_without_backtrace());
  }
  if (x != kOutput) b.AddNode("Identity", {x}, {kOutput}, {}, "output/Identity");  // no layer emitted a node
  b.AddOutput(kOutput, ElemType::kFloat, BatchedDims(model.output_shape()));
  return b.Build();
}

}  // namespace reco::onnx_export
