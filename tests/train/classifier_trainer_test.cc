#include "train/classifier_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>
#include <fstream>

#include "testutil/idx_writer.h"

namespace reco::train {
namespace {

class ClassifierTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testutil::WriteToyMnist(dir_.path(), "train", 600, 11);
    testutil::WriteToyMnist(dir_.path(), "t10k", 200, 12);
  }
  ClassifierTrainConfig Config(int epochs) {
    ClassifierTrainConfig c;
    c.data_dir = dir_.path();
    c.epochs = epochs;
    c.batch_size = 32;
    c.out = dir_.file("m.pt");
    c.progress = false;
    return c;
  }
  testutil::TempDir dir_;
};

TEST_F(ClassifierTrainerTest, LearnsToyDataAndWritesArtifacts) {
  auto r = TrainClassifier(Config(3));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->epochs.size(), 3u);
  EXPECT_LT(r->epochs.back().train_loss, r->epochs.front().train_loss);
  EXPECT_GT(r->test_accuracy, 0.9);  // chance is 0.1
  EXPECT_TRUE(std::filesystem::exists(r->checkpoint));
  std::ifstream csv(r->curves_csv);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "epoch,train_loss,test_loss,train_accuracy,test_accuracy");
  std::ifstream svg(r->curves_svg);
  std::string svg_text((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_NE(svg_text.find("<svg"), std::string::npos);
  EXPECT_NE(svg_text.find("polyline"), std::string::npos);

  auto ev = EvaluateClassifier(r->checkpoint, dir_.path());
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_DOUBLE_EQ(ev->accuracy, r->test_accuracy);
  auto p = PredictClassifier(r->checkpoint, dir_.path(), 3);
  ASSERT_TRUE(p.ok());
  EXPECT_GT(p->probability, 0.0);
  EXPECT_LE(p->probability, 1.0);
  EXPECT_EQ(PredictClassifier(r->checkpoint, dir_.path(), 200).status().code(), StatusCode::kOutOfRange);
}

TEST_F(ClassifierTrainerTest, ResumeContinuesEpochCount) {
  ASSERT_TRUE(TrainClassifier(Config(1)).ok());
  auto cfg = Config(2);
  cfg.resume = cfg.out;
  auto r = TrainClassifier(cfg);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->epochs.size(), 2u);
  EXPECT_EQ(r->epochs.front().epoch, 2);
  EXPECT_EQ(r->epochs.back().epoch, 3);
  auto wrong = Config(1);
  wrong.model = "cnn";
  wrong.resume = cfg.out;
  EXPECT_EQ(TrainClassifier(wrong).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ClassifierTrainerTest, BadArguments) {
  auto c = Config(0);
  EXPECT_EQ(TrainClassifier(c).status().code(), StatusCode::kInvalidArgument);
  c = Config(1);
  c.model = "transformer";
  EXPECT_NE(TrainClassifier(c).status().message().find("transformer"), std::string::npos);
  c = Config(1);
  c.data_dir = dir_.file("absent");
  EXPECT_EQ(TrainClassifier(c).status().code(), StatusCode::kNotFound);
}

// Training that cannot produce a usable model says so instead of writing NaN weights with exit 0.
TEST_F(ClassifierTrainerTest, DivergenceAndNonsenseRatesAreErrors) {
  auto c = Config(1);
  c.lr = 1e30;
  auto r = TrainClassifier(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("diverged"), std::string::npos) << r.status().ToString();
  for (double lr : {std::nan(""), std::numeric_limits<double>::infinity(), -1.0}) {
    c.lr = lr;
    EXPECT_EQ(TrainClassifier(c).status().code(), StatusCode::kInvalidArgument) << lr;
  }
}

// All-zero images have a standard deviation of 0: the model's input scaling must not divide by it.
TEST_F(ClassifierTrainerTest, ConstantImagesTrainToFiniteLoss) {
  testutil::TempDir flat;
  std::vector<uint8_t> images(100 * 28 * 28, 0), labels(100);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>(i % 10);
  for (const std::string split : {"train", "t10k"}) {
    testutil::WriteBytes(flat.file(split + "-images-idx3-ubyte"), testutil::IdxBytes({100, 28, 28}, images));
    testutil::WriteBytes(flat.file(split + "-labels-idx1-ubyte"), testutil::IdxBytes({100}, labels));
  }
  auto c = Config(1);
  c.data_dir = flat.path();
  auto r = TrainClassifier(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(std::isfinite(r->test_loss)) << r->test_loss;
}

}  // namespace
}  // namespace reco::train
