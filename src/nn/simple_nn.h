// SimpleNN: the tutorial MLP classifier, 784 -> 128 -> ReLU -> 64 -> ReLU -> 10 logits.
// Input: [B, 784] floats in [0, 1] (or [B, 1, 28, 28], flattened in forward). Output: [B, 10] logits.
// The input is standardised inside the model with the buffers `input_mean` / `input_std` (scalars, set by the
// trainer from the training set, saved with the weights), so exported models need no outside preprocessing.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace reco::nn {

struct SimpleNNImpl : torch::nn::Module {
  static constexpr int64_t kInputSize = 784;
  static constexpr int64_t kHidden1 = 128;
  static constexpr int64_t kHidden2 = 64;
  static constexpr int64_t kNumClasses = 10;

  SimpleNNImpl();
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  torch::Tensor input_mean, input_std;  // shape [1]; identity (0, 1) until the trainer sets them
};
TORCH_MODULE(SimpleNN);

}  // namespace reco::nn
