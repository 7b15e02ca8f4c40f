#include "nn/small_cnn.h"

#include <torch/torch.h>

namespace reco::nn {

SmallCNNImpl::SmallCNNImpl()
    : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, /*kernel_size=*/3)))),
      conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, /*kernel_size=*/3)))),
      fc1(register_module("fc1", torch::nn::Linear(64 * 5 * 5, 128))),
      fc2(register_module("fc2", torch::nn::Linear(128, kNumClasses))),
      input_mean(register_buffer("input_mean", torch::zeros({1}))),
      input_std(register_buffer("input_std", torch::ones({1}))) {}

torch::Tensor SmallCNNImpl::forward(torch::Tensor x) {
  x = (x.reshape({x.size(0), 1, 28, 28}) - input_mean) / input_std;
  x = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);  // 26x26 -> 13x13
  x = torch::max_pool2d(torch::relu(conv2->forward(x)), 2);  // 11x11 -> 5x5
  x = x.flatten(1);
  x = torch::relu(fc1->forward(x));
  return fc2->forward(x);
}

}  // namespace reco::nn
