// Keras-style layer specifications: Dense, Flatten, Conv2D, MaxPool2D, Dropout and Input.
//
// A layer function (`Dense(128, "relu")`) returns a plain LayerConfig value; nothing touches LibTorch until a
// Sequential builds it for a concrete input shape. Configs are validated when the Sequential is constructed
// (unknown activation, non-positive sizes), so a typo is a Status, not an exception from a constructor.
//
// Layout: tensors are channels-first (NCHW), as LibTorch and our IDX loader produce them, so Conv2D/MaxPool2D
// take [C, H, W] per sample and Flatten flattens in C, H, W order. Shapes in this API never include the batch.
// Thread-safety: LayerConfig is a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reco::keras {

enum class LayerType { kInput, kDense, kFlatten, kConv2D, kMaxPool2D, kDropout };

// "InputLayer", "Dense", "Flatten", "Conv2D", "MaxPool2D", "Dropout" (Keras class names).
std::string_view LayerTypeName(LayerType type);

// A (height, width) pair; `3` means 3x3, `{3, 5}` means 3x5.
struct Size2 {
  int64_t h = 1, w = 1;
  Size2() = default;
  Size2(int64_t s) : h(s), w(s) {}  // NOLINT: implicit, as Keras accepts an int for a square window
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
  friend bool operator==(const Size2&, const Size2&) = default;
};

struct LayerConfig {
  LayerType type = LayerType::kDense;
  std::string name;              // empty: Sequential assigns "dense", "dense_1", ... as Keras does
  std::string activation;        // Dense, Conv2D: "" (= "linear"), "relu", "sigmoid", "tanh", "softmax"
  int64_t units = 0;             // Dense
  int64_t filters = 0;           // Conv2D
  Size2 kernel_size{1};          // Conv2D
  Size2 pool_size{2};            // MaxPool2D
  Size2 strides{1};              // Conv2D, MaxPool2D (MaxPool2D: {0} means pool_size, Keras's default)
  std::string padding = "valid"; // Conv2D: "valid" or "same" (TensorFlow rule, may pad asymmetrically)
  double rate = 0.0;             // Dropout: fraction of inputs zeroed during training
  std::vector<int64_t> shape;    // Input: per-sample shape, e.g. {1, 28, 28}

  // Returns a copy with an explicit layer name (`Dense(10).named("logits")`).
  LayerConfig named(std::string layer_name) const;
};

struct Conv2DOptions {
  Size2 strides{1};
  std::string padding = "valid";
  std::string activation;
};

LayerConfig Input(std::vector<int64_t> shape);
LayerConfig Dense(int64_t units, std::string activation = "");
LayerConfig Flatten();
LayerConfig Conv2D(int64_t filters, Size2 kernel_size, Conv2DOptions options = {});
LayerConfig Conv2D(int64_t filters, Size2 kernel_size, const char* activation);
LayerConfig MaxPool2D(Size2 pool_size = 2, Size2 strides = 0);
LayerConfig Dropout(double rate);

// The activation names a layer accepts ("" and "linear" mean none).
bool IsKnownActivation(std::string_view name);

}  // namespace reco::keras
