#include "onnx/torch_onnx_eval.h"

#include <stdexcept>
#include <vector>

namespace reco::onnx_export::testing {
namespace {

torch::Tensor FromInitializer(const onnx::TensorProto& t) {
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    return torch::from_blob(const_cast<char*>(t.raw_data().data()), dims, torch::kFloat).clone();
  }
  if (t.data_type() == onnx::TensorProto::INT64) {
    return torch::from_blob(const_cast<char*>(t.raw_data().data()), dims, torch::kLong).clone();
  }
  throw std::runtime_error("initializer " + t.name() + ": unsupported dtype");
}

const onnx::AttributeProto* FindAttr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t IntAttr(const onnx::NodeProto& n, const std::string& name, int64_t dflt) {
  const auto* a = FindAttr(n, name);
  return a ? a->i() : dflt;
}

std::vector<int64_t> IntsAttr(const onnx::NodeProto& n, const std::string& name, std::vector<int64_t> dflt) {
  const auto* a = FindAttr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : dflt;
}

}  // namespace

std::map<std::string, torch::Tensor> EvalWithTorch(const onnx::ModelProto& model,
                                                   const std::map<std::string, torch::Tensor>& inputs) {
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> v = inputs;
  for (const auto& init : model.graph().initializer()) v[init.name()] = FromInitializer(init);
  auto in = [&](const onnx::NodeProto& n, int i) {
    auto it = v.find(n.input(i));
    if (it == v.end()) throw std::runtime_error("node " + n.name() + ": unknown input " + n.input(i));
    return it->second;
  };
  for (const auto& n : model.graph().node()) {
    const std::string& op = n.op_type();
    torch::Tensor y;
    if (op == "Gemm") {
      torch::Tensor a = in(n, 0), b = in(n, 1);
      if (IntAttr(n, "transA", 0)) a = a.t();
      if (IntAttr(n, "transB", 0)) b = b.t();
      y = torch::matmul(a, b);
      if (n.input_size() > 2) y = y + in(n, 2);
    } else if (op == "MatMul") {
      y = torch::matmul(in(n, 0), in(n, 1));
    } else if (op == "Relu") {
      y = torch::relu(in(n, 0));
    } else if (op == "Sigmoid") {
      y = torch::sigmoid(in(n, 0));
    } else if (op == "Tanh") {
      y = torch::tanh(in(n, 0));
    } else if (op == "Softmax") {
      y = torch::softmax(in(n, 0), IntAttr(n, "axis", -1));
    } else if (op == "Identity" || op == "Dropout") {
      y = in(n, 0);
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      torch::Tensor a = in(n, 0), b = in(n, 1);
      y = op == "Add" ? a + b : op == "Sub" ? a - b : op == "Mul" ? a * b : a / b;
    } else if (op == "Flatten") {
      const int64_t axis = IntAttr(n, "axis", 1);
      torch::Tensor x = in(n, 0);
      int64_t outer = 1;
      for (int64_t i = 0; i < axis; ++i) outer *= x.size(i);
      y = x.reshape({outer, -1});
    } else if (op == "Conv") {
      auto pads = IntsAttr(n, "pads", {0, 0, 0, 0});
      torch::Tensor x = torch::constant_pad_nd(in(n, 0), {pads[1], pads[3], pads[0], pads[2]});
      y = torch::conv2d(x, in(n, 1), n.input_size() > 2 ? in(n, 2) : torch::Tensor(), IntsAttr(n, "strides", {1, 1}),
                        /*padding=*/std::vector<int64_t>{0, 0}, IntsAttr(n, "dilations", {1, 1}), IntAttr(n, "group", 1));
    } else if (op == "MaxPool") {
      auto pads = IntsAttr(n, "pads", {0, 0, 0, 0});
      if (pads[0] != pads[2] || pads[1] != pads[3]) throw std::runtime_error("asymmetric MaxPool pads");
      y = torch::max_pool2d(in(n, 0), IntsAttr(n, "kernel_shape", {}), IntsAttr(n, "strides", {1, 1}),
                            {pads[0], pads[1]});
    } else {
      throw std::runtime_error("EvalWithTorch: op " + op + " (node " + n.name() + ") not supported");
    }
    v[n.output(0)] = y;
  }
  std::map<std::string, torch::Tensor> out;
  for (const auto& o : model.graph().output()) out[o.name()] = v.at(o.name());
  return out;
}

}  // namespace reco::onnx_export::testing
