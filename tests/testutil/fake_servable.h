// Fake Servables and a LoaderFactory for model-server tests that must not depend on the engine.
//
// FakeSeedServable mimics the seed model's signature: user_input f32[-1,8], item_input f32[-1,8] ->
// output f32[-1,1], with output[b] = sum(user_input[b]) + sum(item_input[b]) + 1000 * version, so a response
// tells which version answered. FakeLoaderFactory loads a version by reading model.onnx from a FakeFileSystem:
// content "broken" fails the load, "multi" makes a servable with an int64 input and two outputs.
// Live servables are counted so tests can check that unloaded versions are freed.
// Thread-safety: servables are immutable; the counter is atomic.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "serving/servable.h"
#include "testutil/fake_file_system.h"

namespace reco::testutil {

inline std::atomic<int>& LiveFakeServables() {
  static std::atomic<int> count{0};
  return count;
}

class FakeSeedServable final : public serving::Servable {
 public:
  explicit FakeSeedServable(int64_t version, bool multi = false) : version_(version), multi_(multi) {
    using serving::DataType;
    if (multi) {
      inputs_ = {{"ids", DataType::kInt64, {-1, 3}}, {"weights", DataType::kFloat, {-1, 3}}};
      outputs_ = {{"score", DataType::kFloat, {-1}}, {"top_id", DataType::kInt64, {-1, 1}}};
    } else {
      inputs_ = {{"user_input", DataType::kFloat, {-1, 8}}, {"item_input", DataType::kFloat, {-1, 8}}};
      outputs_ = {{"output", DataType::kFloat, {-1, 1}}};
    }
    ++LiveFakeServables();
  }
  ~FakeSeedServable() override { --LiveFakeServables(); }

  const std::vector<serving::TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<serving::TensorInfo>& outputs() const override { return outputs_; }

  Status Run(std::span<const serving::NamedTensor> inputs, std::span<const std::string> output_names,
             std::vector<serving::NamedTensor>* outputs) const override {
    const serving::Tensor* a = nullptr;
    const serving::Tensor* b = nullptr;
    for (const auto& in : inputs) {
      if (in.name == inputs_[0].name) a = &in.tensor;
      if (in.name == inputs_[1].name) b = &in.tensor;
    }
    if (!a || !b) return InternalError("fake: inputs not validated");
    const int64_t batch = a->shape[0];
    if (b->shape[0] != batch) return InvalidArgumentError("fake: inputs have different batch sizes");
    outputs->resize(output_names.size());
    for (size_t i = 0; i < output_names.size(); ++i) {
      auto& out = (*outputs)[i];
      out.name = output_names[i];
      if (out.name == "output" || out.name == "score") {
        const std::vector<int64_t> shape = multi_ ? std::vector<int64_t>{batch} : std::vector<int64_t>{batch, 1};
        out.tensor.Reset(serving::DataType::kFloat, shape);
        const int64_t row = a->shape[1];
        for (int64_t r = 0; r < batch; ++r) {
          double sum = 1000.0 * version_;
          for (int64_t c = 0; c < row; ++c) {
            sum += multi_ ? static_cast<double>(a->data<int64_t>()[r * row + c]) * b->data<float>()[r * row + c]
                          : a->data<float>()[r * row + c] + b->data<float>()[r * row + c];
          }
          out.tensor.data<float>()[r] = static_cast<float>(sum);
        }
      } else {
        const std::vector<int64_t> shape{batch, 1};
        out.tensor.Reset(serving::DataType::kInt64, shape);
        for (int64_t r = 0; r < batch; ++r) out.tensor.data<int64_t>()[r] = a->data<int64_t>()[r * 3];
      }
    }
    return Status::Ok();
  }

 private:
  int64_t version_;
  bool multi_;
  std::vector<serving::TensorInfo> inputs_;
  std::vector<serving::TensorInfo> outputs_;
};

class FakeLoaderFactory final : public serving::LoaderFactory {
 public:
  explicit FakeLoaderFactory(const FakeFileSystem* fs) : fs_(fs) {}

  std::unique_ptr<serving::Loader> Create(const std::string& model_name, int64_t version,
                                          const std::string& version_path) override {
    ++created_;
    return std::make_unique<Loader>(fs_, version, version_path + "/model.onnx");
  }
  int created() const { return created_; }

 private:
  class Loader final : public serving::Loader {
   public:
    Loader(const FakeFileSystem* fs, int64_t version, std::string path)
        : fs_(fs), version_(version), path_(std::move(path)) {}
    StatusOr<std::shared_ptr<const serving::Servable>> Load() override {
      ASSIGN_OR_RETURN(std::string contents, fs_->ReadFile(path_));
      if (contents == "broken") return InvalidArgumentError(fmt::format("{}: not a valid ONNX model", path_));
      return std::shared_ptr<const serving::Servable>(
          std::make_shared<FakeSeedServable>(version_, contents == "multi"));
    }

   private:
    const FakeFileSystem* fs_;
    int64_t version_;
    std::string path_;
  };

  const FakeFileSystem* fs_;
  std::atomic<int> created_{0};
};

}  // namespace reco::testutil
