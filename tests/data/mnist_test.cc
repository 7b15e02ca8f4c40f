#include "data/mnist.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/idx.h"
#include "testutil/idx_writer.h"

namespace reco::data {
namespace {

using testutil::TempDir;

TEST(MnistTest, LoadsToyFolderAsTensors) {
  TempDir dir("reco-fashion");
  testutil::WriteToyMnist(dir.path(), "train", 50, 1);
  testutil::WriteToyMnist(dir.path(), "t10k", 20, 2, /*gzip=*/false);
  auto train = LoadMnist(dir.path(), MnistSplit::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  EXPECT_EQ(train->images.sizes(), (std::vector<int64_t>{50, 1, 28, 28}));
  EXPECT_EQ(train->labels.sizes(), (std::vector<int64_t>{50}));
  EXPECT_EQ(train->images.scalar_type(), torch::kFloat32);
  EXPECT_LE(train->images.max().item<float>(), 1.0f);
  EXPECT_EQ(train->class_names.at(9), "Ankle boot");  // folder name contains "fashion"
  auto test = LoadMnist(dir.path(), MnistSplit::kTest, /*limit=*/5);
  ASSERT_TRUE(test.ok());
  EXPECT_EQ(test->size(), 5);
}

TEST(MnistTest, MissingFolderIsNotFound) {
  auto r = LoadMnist("/no/such/folder", MnistSplit::kTrain);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/no/such/folder"), std::string::npos);
}

TEST(MnistTest, CountMismatchNamesBothFiles) {
  TempDir dir;
  testutil::WriteToyMnist(dir.path(), "train", 30, 1);
  testutil::TempDir other;
  testutil::WriteToyMnist(other.path(), "train", 31, 1);
  std::filesystem::copy_file(other.file("train-labels-idx1-ubyte.gz"), dir.file("train-labels-idx1-ubyte.gz"),
                             std::filesystem::copy_options::overwrite_existing);
  auto r = LoadMnist(dir.path(), MnistSplit::kTrain);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("count mismatch"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("30 images"), std::string::npos);
  EXPECT_NE(r.status().message().find("31 labels"), std::string::npos);
}

TEST(MnistTest, LabelOutOfRange) {
  IdxArray images{{2, 28, 28}, std::vector<uint8_t>(2 * 784)};
  IdxArray labels{{2}, {3, 12}};
  auto r = MakeImageDataset(images, labels, "img", "lbl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("label 12"), std::string::npos);
}

TEST(MnistTest, ImagesThatAreNot28x28NameTheFile) {
  IdxArray images{{2, 2, 2}, std::vector<uint8_t>(8)};
  IdxArray labels{{2}, {3, 1}};
  auto r = MakeImageDataset(images, labels, "train-images-idx3-ubyte", "lbl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("train-images-idx3-ubyte: images are 2x2, expected 28x28"), std::string::npos)
      << r.status().message();
}

TEST(ShuffledBatchesTest, EveryEpochVisitsEachSampleOnceInANewOrder) {
  auto x = torch::arange(10, torch::kFloat32).reshape({10, 1});
  auto y = torch::arange(10, torch::kInt64);
  ShuffledBatches batches(x, y, /*batch_size=*/4, /*seed=*/7);
  EXPECT_EQ(batches.num_batches(), 3);
  std::vector<int64_t> first;
  for (int epoch = 0; epoch < 2; ++epoch) {
    batches.StartEpoch();
    std::vector<int64_t> seen;
    for (int64_t b = 0; b < batches.num_batches(); ++b) {
      auto [xb, yb] = batches.Batch(b);
      ASSERT_EQ(xb.size(0), yb.size(0));
      for (int64_t i = 0; i < yb.size(0); ++i) {
        EXPECT_EQ(static_cast<int64_t>(xb[i][0].item<float>()), yb[i].item<int64_t>());  // rows stay paired
        seen.push_back(yb[i].item<int64_t>());
      }
    }
    auto sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(sorted[i], i);
    if (epoch == 0) first = seen;
    else EXPECT_NE(seen, first);
  }
}

}  // namespace
}  // namespace reco::data

#include "data/mnist_torch_dataset.h"

namespace reco::data {
namespace {

TEST(MnistTorchDatasetTest, WorksWithTorchDataLoader) {
  testutil::TempDir dir;
  testutil::WriteToyMnist(dir.path(), "train", 40, 3);
  auto train = LoadMnist(dir.path(), MnistSplit::kTrain);
  ASSERT_TRUE(train.ok());
  auto dataset = MnistTorchDataset(*train).map(torch::data::transforms::Stack<>());
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(std::move(dataset), 16);
  int64_t seen = 0;
  for (auto& batch : *loader) {
    EXPECT_EQ(batch.data.size(1), 1);
    EXPECT_EQ(batch.data.size(0), batch.target.size(0));
    EXPECT_TRUE(torch::equal(batch.data[0], train->images[seen]));
    seen += batch.target.size(0);
  }
  EXPECT_EQ(seen, 40);
}

}  // namespace
}  // namespace reco::data
