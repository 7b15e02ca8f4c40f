// The Fashion-MNIST classifier, Keras style: Sequential -> compile -> fit -> evaluate -> predict.
//
//   example_classifier_keras [DATA_DIR] [EPOCHS]     (defaults: Debian's Fashion-MNIST, 5 epochs)
//
// A small CNN (two 3x3 conv + 2x2 max-pool blocks, then 128 -> 10) in a few lines; it reaches ~0.90 test
// accuracy in 5 epochs. Data comes as whole tensors: images [N, 1, 28, 28] in [0, 1], labels int64 [N].
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "data/mnist.h"
#include "nn/keras/sequential.h"
#include "train/threads.h"

namespace {

int Fail(const reco::Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace reco::keras;
  const std::string dir = argc > 1 ? argv[1] : reco::data::kDefaultFashionMnistDir;
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 5;
  reco::train::SetTrainingThreads(1);  // fastest here for models this small (OpenMP/BLAS pools only spin)
  torch::manual_seed(0);

  auto train = reco::data::LoadMnist(dir, reco::data::MnistSplit::kTrain);
  if (!train.ok()) return Fail(train.status());
  auto test = reco::data::LoadMnist(dir, reco::data::MnistSplit::kTest);
  if (!test.ok()) return Fail(test.status());

  Sequential model({Input({1, 28, 28}),
                    Conv2D(32, 3, "relu"), MaxPool2D(2),
                    Conv2D(64, 3, "relu"), MaxPool2D(2),
                    Flatten(), Dense(128, "relu"), Dense(10)});
  std::printf("%s", model.summary().c_str());
  if (auto s = model.compile(Adam(1e-3), SparseCategoricalCrossentropy(/*from_logits=*/true), {"accuracy"}); !s.ok()) {
    return Fail(s);
  }

  auto history = model.fit(train->images, train->labels,
                           {.epochs = epochs, .batch_size = 64, .validation_split = 0.1});
  if (!history.ok()) return Fail(history.status());

  auto result = model.evaluate(test->images, test->labels, /*batch_size=*/256);
  if (!result.ok()) return Fail(result.status());
  std::printf("test loss %.4f, test accuracy %.4f\nepoch seconds:", result->loss, result->metrics.at("accuracy"));
  for (double s : history->epoch_seconds) std::printf(" %.1f", s);
  std::printf("\n");

  // One image: the logits become probabilities with a softmax.
  auto logits = model.predict(test->images.narrow(0, 0, 1));
  if (!logits.ok()) return Fail(logits.status());
  const torch::Tensor probs = torch::softmax(*logits, /*dim=*/1)[0];
  const int64_t predicted = probs.argmax().item<int64_t>(), truth = test->labels[0].item<int64_t>();
  std::printf("test image 0: predicted %s (p=%.3f), true %s\n", test->class_names[predicted].c_str(),
              probs[predicted].item<double>(), test->class_names[truth].c_str());
  return 0;
}
