#include "nn/keras/layers.h"

#include <utility>

namespace reco::keras {

std::string_view LayerTypeName(LayerType type) {
  switch (type) {
    case LayerType::kInput: return "InputLayer";
    case LayerType::kDense: return "Dense";
    case LayerType::kFlatten: return "Flatten";
    case LayerType::kConv2D: return "Conv2D";
    case LayerType::kMaxPool2D: return "MaxPool2D";
    case LayerType::kDropout: return "Dropout";
  }
  return "Unknown";
}

bool IsKnownActivation(std::string_view name) {
  return name.empty() || name == "linear" || name == "relu" || name == "sigmoid" || name == "tanh" ||
         name == "softmax";
}

LayerConfig LayerConfig::named(std::string layer_name) const {
  LayerConfig copy = *this;
  copy.name = std::move(layer_name);
  return copy;
}

LayerConfig Input(std::vector<int64_t> shape) {
  LayerConfig c;
  c.type = LayerType::kInput;
  c.shape = std::move(shape);
  return c;
}

LayerConfig Dense(int64_t units, std::string activation) {
  LayerConfig c;
  c.type = LayerType::kDense;
  c.units = units;
  c.activation = std::move(activation);
  return c;
}

LayerConfig Flatten() {
  LayerConfig c;
  c.type = LayerType::kFlatten;
  return c;
}

LayerConfig Conv2D(int64_t filters, Size2 kernel_size, Conv2DOptions options) {
  LayerConfig c;
  c.type = LayerType::kConv2D;
  c.filters = filters;
  c.kernel_size = kernel_size;
  c.strides = options.strides;
  c.padding = std::move(options.padding);
  c.activation = std::move(options.activation);
  return c;
}

LayerConfig Conv2D(int64_t filters, Size2 kernel_size, const char* activation) {
  return Conv2D(filters, kernel_size, Conv2DOptions{.activation = activation ? activation : ""});
}

LayerConfig MaxPool2D(Size2 pool_size, Size2 strides) {
  LayerConfig c;
  c.type = LayerType::kMaxPool2D;
  c.pool_size = pool_size;
  c.strides = strides;
  return c;
}

LayerConfig Dropout(double rate) {
  LayerConfig c;
  c.type = LayerType::kDropout;
  c.rate = rate;
  return c;
}

}  // namespace reco::keras
