#include "engine/kernel.h"

#include <cmath>

#include "engine/kernels/fast_math.h"

namespace reco::engine {

void ApplyActivation(const Activation& act, float* data, int64_t n) {
  switch (act.kind) {
    case Activation::Kind::kNone:
      return;
    case Activation::Kind::kRelu:
      for (int64_t i = 0; i < n; ++i) data[i] = data[i] > 0.f ? data[i] : (data[i] == data[i] ? 0.f : data[i]);
      return;
    case Activation::Kind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) data[i] = FastSigmoid(data[i]);
      return;
    case Activation::Kind::kTanh:
      for (int64_t i = 0; i < n; ++i) data[i] = std::tanh(data[i]);
      return;
    case Activation::Kind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) data[i] = data[i] >= 0.f ? data[i] : act.alpha * data[i];
      return;
    case Activation::Kind::kClip:
      for (int64_t i = 0; i < n; ++i) {
        float v = data[i];
        v = v < act.min ? act.min : v;  // then max: with min > max everything becomes max (ONNX)
        data[i] = v > act.max ? act.max : v;
      }
      return;
  }
}

std::string_view ActivationName(Activation::Kind kind) {
  switch (kind) {
    case Activation::Kind::kNone: return "none";
    case Activation::Kind::kRelu: return "Relu";
    case Activation::Kind::kSigmoid: return "Sigmoid";
    case Activation::Kind::kTanh: return "Tanh";
    case Activation::Kind::kLeakyRelu: return "LeakyRelu";
    case Activation::Kind::kClip: return "Clip";
  }
  return "?";
}

KernelInfo::KernelInfo(const onnx::NodeProto& node, int opset, std::vector<const TensorView*> constant_inputs,
                       Activation fused_activation, bool fused_bias,
                       std::shared_ptr<const EpilogueProgram> fused_epilogue)
    : node_(node), display_name_(node.name()), opset_(opset), constant_inputs_(std::move(constant_inputs)),
      fused_activation_(fused_activation), fused_bias_(fused_bias), fused_epilogue_(std::move(fused_epilogue)) {}

bool KernelInfo::input_exists(int i) const { return i >= 0 && i < node_.input_size() && !node_.input(i).empty(); }

const TensorView* KernelInfo::constant_input(int i) const {
  if (i < 0 || i >= static_cast<int>(constant_inputs_.size())) return nullptr;
  return constant_inputs_[i];
}

const onnx::AttributeProto* KernelInfo::FindAttr(std::string_view name) const {
  for (const auto& a : node_.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

bool KernelInfo::HasAttr(std::string_view name) const { return FindAttr(name) != nullptr; }

int64_t KernelInfo::GetInt(std::string_view name, int64_t def) const {
  const auto* a = FindAttr(name);
  return a ? a->i() : def;
}

float KernelInfo::GetFloat(std::string_view name, float def) const {
  const auto* a = FindAttr(name);
  return a ? a->f() : def;
}

std::string KernelInfo::GetString(std::string_view name, std::string_view def) const {
  const auto* a = FindAttr(name);
  return a ? a->s() : std::string(def);
}

std::vector<int64_t> KernelInfo::GetInts(std::string_view name) const {
  const auto* a = FindAttr(name);
  if (!a) return {};
  return {a->ints().begin(), a->ints().end()};
}

std::vector<float> KernelInfo::GetFloats(std::string_view name) const {
  const auto* a = FindAttr(name);
  if (!a) return {};
  return {a->floats().begin(), a->floats().end()};
}

const onnx::TensorProto* KernelInfo::GetTensorAttr(std::string_view name) const {
  const auto* a = FindAttr(name);
  return a && a->has_t() ? &a->t() : nullptr;
}

std::string KernelInfo::Describe() const {
  std::string d = "node '" + display_name_ + "' (";
  if (!node_.domain().empty()) d += node_.domain() + ".";
  return d + node_.op_type() + ", opset " + std::to_string(opset_) + ")";
}

Status OpKernel::Error(std::string_view msg) const {
  return InvalidArgumentError(describe_ + ": " + std::string(msg));
}

Status OpKernel::Unimplemented(std::string_view msg) const {
  return UnimplementedError(describe_ + ": " + std::string(msg));
}

}  // namespace reco::engine
