// MnistTorchDataset: the same data behind LibTorch's torch::data::Dataset interface, for users who want
// torch::data's samplers and DataLoader. reco's own trainers use ShuffledBatches instead (whole-tensor slices,
// ~1.7x faster per epoch than the per-sample DataLoader path).
// Thread-safety: get() only reads; safe from DataLoader worker threads.
#pragma once

#include <torch/data/datasets/base.h>
#include <torch/data/example.h>

#include "data/mnist.h"

namespace reco::data {

class MnistTorchDataset : public torch::data::datasets::Dataset<MnistTorchDataset> {
 public:
  explicit MnistTorchDataset(ImageDataset data) : data_(std::move(data)) {}

  torch::data::Example<> get(size_t index) override {
    const auto i = static_cast<int64_t>(index);
    return {data_.images[i], data_.labels[i]};
  }
  torch::optional<size_t> size() const override { return static_cast<size_t>(data_.size()); }

  const ImageDataset& data() const { return data_; }

 private:
  ImageDataset data_;
};

}  // namespace reco::data
