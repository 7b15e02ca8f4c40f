// SmallCNN: a compact Fashion-MNIST CNN (reaches >= 0.90 test accuracy in 5 epochs).
// conv3x3(1->32) ReLU maxpool2 -> conv3x3(32->64) ReLU maxpool2 -> flatten(64*5*5) -> 128 ReLU -> 10 logits.
// Input: [B, 1, 28, 28] in [0, 1] (or [B, 784], reshaped in forward). Output: [B, 10] logits.
// Standardised inside the model with the scalar buffers `input_mean` / `input_std`, as SimpleNN.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace reco::nn {

struct SmallCNNImpl : torch::nn::Module {
  static constexpr int64_t kNumClasses = 10;

  SmallCNNImpl();
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::Tensor input_mean, input_std;  // shape [1]
};
TORCH_MODULE(SmallCNN);

}  // namespace reco::nn
