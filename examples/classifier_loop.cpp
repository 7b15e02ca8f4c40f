// The tutorial classifier, PyTorch style: an explicit zero_grad -> forward -> loss -> backward -> step loop.
// Build: make build   Run: build/bin/example_classifier_loop [data_dir]
#include <torch/torch.h>

#include <cstdio>

#include "data/mnist.h"
#include "nn/simple_nn.h"

using reco::data::ImageDataset;

// Fraction of correctly classified samples; no autograd bookkeeping needed.
double check_accuracy(reco::nn::SimpleNN& model, const ImageDataset& data) {
  torch::NoGradGuard no_grad;
  model->eval();
  auto predicted = model->forward(data.images).argmax(1);
  return predicted.eq(data.labels).to(torch::kFloat32).mean().item<double>();
}

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : reco::data::kDefaultFashionMnistDir;
  constexpr int kEpochs = 5;
  constexpr int64_t kBatchSize = 64;
  torch::set_num_threads(1);  // small MLP: one thread beats two (OpenMP overhead)
  torch::manual_seed(42);

  auto train = reco::data::LoadMnist(dir, reco::data::MnistSplit::kTrain);
  auto test = reco::data::LoadMnist(dir, reco::data::MnistSplit::kTest);
  if (!train.ok() || !test.ok()) {
    std::fprintf(stderr, "%s\n", (!train.ok() ? train.status() : test.status()).ToString().c_str());
    return 1;
  }

  reco::nn::SimpleNN model;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(/*lr=*/1e-3));
  reco::data::ShuffledBatches batches(train->images, train->labels, kBatchSize, /*seed=*/42);

  for (int epoch = 1; epoch <= kEpochs; ++epoch) {
    model->train();
    batches.StartEpoch();
    double total_loss = 0;
    for (int64_t b = 0; b < batches.num_batches(); ++b) {
      auto [images, labels] = batches.Batch(b);
      optimizer.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model->forward(images), labels);
      loss.backward();
      optimizer.step();
      total_loss += loss.item<double>();
    }
    std::printf("epoch %d/%d  loss %.4f  test accuracy %.4f\n", epoch, kEpochs, total_loss / batches.num_batches(),
                check_accuracy(model, *test));
  }

  // Predict a single image.
  torch::NoGradGuard no_grad;
  auto probs = torch::softmax(model->forward(test->images[0].unsqueeze(0)), /*dim=*/1)[0];
  const int64_t label = probs.argmax().item<int64_t>();
  std::printf("image 0: %s (p=%.3f), true: %s\n", test->class_names[label].c_str(), probs[label].item<double>(),
              test->class_names[test->labels[0].item<int64_t>()].c_str());
}
