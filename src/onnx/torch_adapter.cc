#include "onnx/torch_adapter.h"

#include <torch/torch.h>

#include <span>
#include <vector>

namespace reco::onnx_export {

Status AddTensorInitializer(GraphBuilder& b, const std::string& name, const at::Tensor& tensor) {
  if (!tensor.defined()) return InvalidArgumentError("initializer '" + name + "': tensor is undefined");
  std::vector<int64_t> shape(tensor.sizes().begin(), tensor.sizes().end());
  try {
    if (tensor.scalar_type() == torch::kLong || tensor.scalar_type() == torch::kInt) {
      at::Tensor t = tensor.detach().to(torch::kCPU, torch::kLong).contiguous();
      b.AddInitializer(name, std::span<const int64_t>(t.data_ptr<int64_t>(), t.numel()), shape);
    } else if (tensor.is_floating_point()) {
      at::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
      b.AddInitializer(name, std::span<const float>(t.data_ptr<float>(), t.numel()), shape);
    } else {
      return UnimplementedError("initializer '" + name + "': unsupported dtype " +
                                std::string(c10::toString(tensor.scalar_type())));
    }
  } catch (const c10::Error& e) {
    return InternalError("initializer '" + name + "': " + e.what_without_backtrace());
  }
  return Status::Ok();
}

StatusOr<std::string> EmitLinear(GraphBuilder& b, const std::string& input, const torch::nn::LinearImpl& linear,
                                 const std::string& prefix, const std::string& output) {
  std::vector<std::string> inputs = {input, prefix + ".weight"};
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".weight", linear.weight));
  if (linear.options.bias()) {
    RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".bias", linear.bias));
    inputs.push_back(prefix + ".bias");
  }
  const std::string out = output.empty() ? b.UniqueName(prefix) : output;
  b.AddNode("Gemm", inputs, {out}, {{"alpha", 1.0f}, {"beta", 1.0f}, {"transB", int64_t{1}}}, prefix + "/Gemm");
  return out;
}

StatusOr<std::string> EmitConv2d(GraphBuilder& b, const std::string& input, const torch::nn::Conv2dImpl& conv,
                                 const std::string& prefix) {
  const auto& o = conv.options;
  if (!c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode())) {
    return UnimplementedError("conv '" + prefix + "': only zero padding can be exported");
  }
  const auto* explicit_pad = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  if (explicit_pad == nullptr) {
    return UnimplementedError("conv '" + prefix + "': 'same'/'valid' string padding is not exported; use numbers");
  }
  const auto& k = o.kernel_size();
  const auto& s = o.stride();
  const auto& d = o.dilation();
  const auto& p = *explicit_pad;
  std::vector<std::string> inputs = {input, prefix + ".weight"};
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".weight", conv.weight));
  if (o.bias()) {
    RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".bias", conv.bias));
    inputs.push_back(prefix + ".bias");
  }
  const std::string out = b.UniqueName(prefix);
  b.AddNode("Conv", inputs, {out},
            {{"kernel_shape", std::vector<int64_t>{k->at(0), k->at(1)}},
             {"strides", std::vector<int64_t>{s->at(0), s->at(1)}},
             {"pads", std::vector<int64_t>{p->at(0), p->at(1), p->at(0), p->at(1)}},
             {"dilations", std::vector<int64_t>{d->at(0), d->at(1)}},
             {"group", static_cast<int64_t>(o.groups())}},
            prefix + "/Conv");
  return out;
}

StatusOr<std::string> EmitEmbedding(GraphBuilder& b, const std::string& ids, const torch::nn::EmbeddingImpl& emb,
                                    const std::string& prefix) {
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".weight", emb.weight));
  const std::string out = b.UniqueName(prefix);
  b.AddNode("Gather", {prefix + ".weight", ids}, {out}, {{"axis", int64_t{0}}}, prefix + "/Gather");
  return out;
}

std::string EmitGather(GraphBuilder& b, const std::string& table, const std::string& ids, const std::string& prefix) {
  const std::string out = b.UniqueName(prefix);
  b.AddNode("Gather", {table, ids}, {out}, {{"axis", int64_t{0}}}, b.UniqueName(prefix + "/Gather"));
  return out;
}

StatusOr<std::string> EmitMatMulLinear(GraphBuilder& b, const std::string& input, const at::Tensor& weight,
                                       const at::Tensor& bias, const std::string& prefix) {
  if (!weight.defined() || weight.dim() != 2) {
    return InvalidArgumentError("layer '" + prefix + "': weight must be a 2-D [out, in] tensor");
  }
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".weight_t", weight.detach().t()));
  std::string out = b.UniqueName(prefix + "_mm");
  b.AddNode("MatMul", {input, prefix + ".weight_t"}, {out}, {}, prefix + "/MatMul");
  if (!bias.defined()) return out;
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".bias", bias));
  const std::string sum = b.UniqueName(prefix);
  b.AddNode("Add", {out, prefix + ".bias"}, {sum}, {}, prefix + "/Add");
  return sum;
}

StatusOr<std::string> EmitPRelu(GraphBuilder& b, const std::string& input, const torch::nn::PReLUImpl& prelu,
                                const std::string& prefix) {
  const at::Tensor& w = prelu.weight;
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".slope", w.numel() == 1 ? w.reshape({}) : w));
  const std::string out = b.UniqueName(prefix);
  b.AddNode("PRelu", {input, prefix + ".slope"}, {out}, {}, prefix + "/PRelu");
  return out;
}

std::string AddInt64Constant(GraphBuilder& b, const std::string& prefix, const std::vector<int64_t>& values) {
  return b.AddInitializer(b.UniqueName(prefix), std::span<const int64_t>(values),
                          {static_cast<int64_t>(values.size())});
}

std::string AddFloatScalar(GraphBuilder& b, const std::string& prefix, float value) {
  return b.AddInitializer(b.UniqueName(prefix), std::span<const float>(&value, 1), {});
}

std::string EmitUnary(GraphBuilder& b, const std::string& op, const std::string& input, const std::string& prefix,
                      const Attrs& attrs) {
  const std::string out = b.UniqueName(prefix);
  b.AddNode(op, {input}, {out}, attrs, prefix + "/" + op);
  return out;
}

std::string EmitMaxPool2d(GraphBuilder& b, const std::string& input, int64_t kernel, int64_t stride,
                          const std::string& prefix) {
  const std::string out = b.UniqueName(prefix);
  b.AddNode("MaxPool", {input}, {out},
            {{"kernel_shape", std::vector<int64_t>{kernel, kernel}},
             {"strides", std::vector<int64_t>{stride, stride}},
             {"pads", std::vector<int64_t>{0, 0, 0, 0}}},
            prefix + "/MaxPool");
  return out;
}

}  // namespace reco::onnx_export
