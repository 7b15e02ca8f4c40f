#include "nn/simple_nn.h"

#include <torch/torch.h>

namespace reco::nn {

SimpleNNImpl::SimpleNNImpl()
    : fc1(register_module("fc1", torch::nn::Linear(kInputSize, kHidden1))),
      fc2(register_module("fc2", torch::nn::Linear(kHidden1, kHidden2))),
      fc3(register_module("fc3", torch::nn::Linear(kHidden2, kNumClasses))),
      input_mean(register_buffer("input_mean", torch::zeros({1}))),
      input_std(register_buffer("input_std", torch::ones({1}))) {}

torch::Tensor SimpleNNImpl::forward(torch::Tensor x) {
  x = (x.reshape({x.size(0), kInputSize}) - input_mean) / input_std;
  x = torch::relu(fc1->forward(x));
  x = torch::relu(fc2->forward(x));
  return fc3->forward(x);
}

}  // namespace reco::nn
