// Torch modules and shape inference for the Keras layers.
#include <torch/torch.h>

#include <sstream>

#include "nn/keras/internal.h"

namespace reco::keras::internal {
namespace {

std::string LayerLabel(const LayerConfig& c) {
  return "layer '" + c.name + "' (" + std::string(LayerTypeName(c.type)) + ")";
}

torch::Tensor Activate(const std::string& activation, torch::Tensor x) {
  if (activation == "relu") return torch::relu(x);
  if (activation == "sigmoid") return torch::sigmoid(x);
  if (activation == "tanh") return torch::tanh(x);
  if (activation == "softmax") return torch::softmax(x, /*dim=*/-1);
  return x;  // "" / "linear" (validated earlier)
}

struct DenseModule : LayerModule {
  DenseModule(int64_t in, int64_t units, std::string act) : activation(std::move(act)) {
    weight = register_parameter("weight", torch::empty({units, in}));
    bias = register_parameter("bias", torch::zeros({units}));
    torch::NoGradGuard no_grad;
    torch::nn::init::xavier_uniform_(weight);
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    return Activate(activation, torch::nn::functional::linear(x, weight, bias));
  }
  torch::Tensor weight, bias;
  std::string activation;
};

struct Conv2DModule : LayerModule {
  Conv2DModule(const LayerInfo& info) : activation(info.config.activation), strides(info.config.strides) {
    const auto& c = info.config;
    weight = register_parameter("weight", torch::empty({c.filters, info.input_shape[0], c.kernel_size.h,
                                                        c.kernel_size.w}));
    bias = register_parameter("bias", torch::zeros({c.filters}));
    torch::NoGradGuard no_grad;
    torch::nn::init::xavier_uniform_(weight);
    const auto& p = info.pads;  // top, left, bottom, right
    if (p[0] == p[2] && p[1] == p[3]) {
      sym_pad = {p[0], p[1]};
    } else {
      // TensorFlow's "same" with even windows or strides pads more at the bottom/right; torch's conv only pads
      // symmetrically, so pad explicitly first.
      explicit_pad = {p[1], p[3], p[0], p[2]};  // constant_pad_nd order: last dim first
    }
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor in = explicit_pad.empty() ? x : torch::constant_pad_nd(x, explicit_pad, 0);
    return Activate(activation, torch::conv2d(in, weight, bias, {strides.h, strides.w}, sym_pad));
  }
  torch::Tensor weight, bias;
  std::string activation;
  Size2 strides;
  std::vector<int64_t> sym_pad{0, 0};
  std::vector<int64_t> explicit_pad;
};

struct MaxPool2DModule : LayerModule {
  MaxPool2DModule(Size2 pool, Size2 strides) : pool(pool), strides(strides) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return torch::max_pool2d(x, {pool.h, pool.w}, {strides.h, strides.w});
  }
  Size2 pool, strides;
};

struct FlattenModule : LayerModule {
  torch::Tensor forward(const torch::Tensor& x) override { return x.flatten(1); }
};

struct DropoutModule : LayerModule {
  explicit DropoutModule(double rate) : rate(rate) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return rate > 0 ? torch::dropout(x, rate, is_training()) : x;
  }
  double rate;
};

// Output length and padding of one spatial dimension under Keras/TensorFlow rules.
struct Dim {
  int64_t out, pad_before, pad_after;
};
Dim SpatialDim(int64_t in, int64_t window, int64_t stride, bool same) {
  if (same) {
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((out - 1) * stride + window - in, 0);
    return {out, total / 2, total - total / 2};
  }
  return {in < window ? 0 : (in - window) / stride + 1, 0, 0};
}

}  // namespace

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << "]";
  return s.str();
}

Status ValidateConfig(const LayerConfig& c) {
  const std::string label = LayerLabel(c);
  if (!IsKnownActivation(c.activation)) {
    return InvalidArgumentError(label + ": unknown activation '" + c.activation +
                                "' (expected one of linear, relu, sigmoid, tanh, softmax)");
  }
  switch (c.type) {
    case LayerType::kInput:
      if (c.shape.empty()) return InvalidArgumentError(label + ": shape must not be empty");
      for (int64_t d : c.shape) {
        if (d <= 0) return InvalidArgumentError(label + ": shape " + ShapeString(c.shape) + " must be positive");
      }
      break;
    case LayerType::kDense:
      if (c.units <= 0) return InvalidArgumentError(label + ": units must be positive, got " + std::to_string(c.units));
      break;
    case LayerType::kConv2D:
      if (c.filters <= 0) return InvalidArgumentError(label + ": filters must be positive");
      if (c.kernel_size.h <= 0 || c.kernel_size.w <= 0) return InvalidArgumentError(label + ": bad kernel_size");
      if (c.strides.h <= 0 || c.strides.w <= 0) return InvalidArgumentError(label + ": strides must be positive");
      if (c.padding != "valid" && c.padding != "same") {
        return InvalidArgumentError(label + ": unknown padding '" + c.padding + "' (expected valid or same)");
      }
      break;
    case LayerType::kMaxPool2D:
      if (c.pool_size.h <= 0 || c.pool_size.w <= 0) return InvalidArgumentError(label + ": bad pool_size");
      if (c.strides.h < 0 || c.strides.w < 0) return InvalidArgumentError(label + ": strides must be positive");
      break;
    case LayerType::kDropout:
      if (!(c.rate >= 0.0 && c.rate < 1.0)) {
        return InvalidArgumentError(label + ": rate must be in [0, 1), got " + std::to_string(c.rate));
      }
      break;
    case LayerType::kFlatten:
      break;
  }
  if (c.type != LayerType::kDense && c.type != LayerType::kConv2D && !c.activation.empty()) {
    return InvalidArgumentError(label + ": this layer takes no activation");
  }
  return Status::Ok();
}

StatusOr<LayerInfo> InferShape(const LayerConfig& c, const std::vector<int64_t>& in) {
  LayerInfo info;
  info.config = c;
  info.input_shape = in;
  const std::string label = LayerLabel(c);
  switch (c.type) {
    case LayerType::kInput:
      return InvalidArgumentError(label + ": Input may only be the first layer");
    case LayerType::kDense:
      if (in.empty()) return InvalidArgumentError(label + ": needs an input with at least one dimension");
      info.output_shape = in;
      info.output_shape.back() = c.units;
      break;
    case LayerType::kFlatten: {
      int64_t n = 1;
      for (int64_t d : in) n *= d;
      info.output_shape = {n};
      break;
    }
    case LayerType::kDropout:
      info.output_shape = in;
      break;
    case LayerType::kConv2D:
    case LayerType::kMaxPool2D: {
      if (in.size() != 3) {
        return InvalidArgumentError(label + ": expects a [channels, height, width] input per sample, got " +
                                    ShapeString(in) + " (add Input({1, 28, 28}) or reshape the data)");
      }
      const bool conv = c.type == LayerType::kConv2D;
      if (!conv && (c.strides.h == 0 || c.strides.w == 0)) info.config.strides = c.pool_size;
      const Size2 win = conv ? c.kernel_size : c.pool_size;
      const Size2 st = info.config.strides;
      const bool same = conv && c.padding == "same";
      const Dim h = SpatialDim(in[1], win.h, st.h, same), w = SpatialDim(in[2], win.w, st.w, same);
      if (h.out <= 0 || w.out <= 0) {
        return InvalidArgumentError(label + ": window " + std::to_string(win.h) + "x" + std::to_string(win.w) +
                                    " does not fit the input " + ShapeString(in));
      }
      info.pads = {h.pad_before, w.pad_before, h.pad_after, w.pad_after};
      info.output_shape = {conv ? c.filters : in[0], h.out, w.out};
      break;
    }
  }
  return info;
}

std::shared_ptr<LayerModule> MakeLayerModule(const LayerInfo& info) {
  const LayerConfig& c = info.config;
  switch (c.type) {
    case LayerType::kDense:
      return std::make_shared<DenseModule>(info.input_shape.back(), c.units, c.activation);
    case LayerType::kConv2D:
      return std::make_shared<Conv2DModule>(info);
    case LayerType::kMaxPool2D:
      return std::make_shared<MaxPool2DModule>(c.pool_size, c.strides);
    case LayerType::kDropout:
      return std::make_shared<DropoutModule>(c.rate);
    case LayerType::kFlatten:
    case LayerType::kInput:
      break;
  }
  return std::make_shared<FlattenModule>();
}

}  // namespace reco::keras::internal
