#include "train/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nn/simple_nn.h"
#include "testutil/idx_writer.h"
#include "train/fused_adam.h"

namespace reco::train {
namespace {

TEST(CheckpointTest, RoundTripGivesIdenticalOutputsAndOptimizerState) {
  testutil::TempDir dir;
  torch::manual_seed(1);
  nn::SimpleNN model;
  FusedAdam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
  auto x = torch::randn({8, 784});
  auto y = torch::randint(0, 10, {8}, torch::kInt64);
  for (int i = 0; i < 3; ++i) {
    ClearGradients(opt);
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    opt.step();
  }
  const std::string path = dir.file("m.pt");
  ASSERT_TRUE(SaveCheckpoint(path, *model, &opt, {"mlp", 3, {"a", "b"}}).ok());

  auto info = ReadCheckpointInfo(path);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->kind, "mlp");
  EXPECT_EQ(info->epoch, 3);
  EXPECT_EQ(info->class_names, (std::vector<std::string>{"a", "b"}));

  torch::manual_seed(2);  // different init, must be overwritten by the load
  nn::SimpleNN loaded;
  FusedAdam loaded_opt(loaded->parameters(), torch::optim::AdamOptions(1e-3));
  ASSERT_TRUE(LoadCheckpoint(path, *loaded, &loaded_opt).ok());
  model->eval();
  loaded->eval();
  EXPECT_TRUE(torch::equal(model->forward(x), loaded->forward(x)));

  // Resuming: one more identical step on both gives identical weights (optimizer moments restored).
  ClearGradients(opt);
  torch::nn::functional::cross_entropy(model->forward(x), y).backward();
  opt.step();
  ClearGradients(loaded_opt);
  torch::nn::functional::cross_entropy(loaded->forward(x), y).backward();
  loaded_opt.step();
  EXPECT_TRUE(torch::equal(model->fc1->weight, loaded->fc1->weight));
}

TEST(CheckpointTest, FusedAdamMatchesLibTorchAdam) {
  torch::manual_seed(3);
  nn::SimpleNN a, b;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < a->parameters().size(); ++i) b->parameters()[i].copy_(a->parameters()[i]);
  torch::optim::Adam ref(a->parameters(), torch::optim::AdamOptions(1e-2).weight_decay(1e-4));
  FusedAdam fused(b->parameters(), torch::optim::AdamOptions(1e-2).weight_decay(1e-4));
  auto x = torch::randn({16, 784});
  auto y = torch::randint(0, 10, {16}, torch::kInt64);
  for (int step = 0; step < 5; ++step) {
    at::AutoGradMode grad(true);
    ref.zero_grad();
    fused.zero_grad();
    torch::nn::functional::cross_entropy(a->forward(x), y).backward();
    torch::nn::functional::cross_entropy(b->forward(x), y).backward();
    ref.step();
    fused.step();
  }
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    EXPECT_TRUE(torch::allclose(a->parameters()[i], b->parameters()[i], /*rtol=*/1e-5, /*atol=*/1e-6)) << i;
  }
}

TEST(CheckpointTest, NotACheckpoint) {
  testutil::TempDir dir;
  testutil::WriteBytes(dir.file("junk.pt"), {1, 2, 3, 4, 5});
  auto r = ReadCheckpointInfo(dir.file("junk.pt"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("junk.pt"), std::string::npos);
  EXPECT_EQ(ReadCheckpointInfo(dir.file("missing.pt")).status().code(), StatusCode::kNotFound);
}

TEST(CheckpointTest, ArchitectureMismatchIsAnError) {
  testutil::TempDir dir;
  nn::SimpleNN model;
  ASSERT_TRUE(SaveCheckpoint(dir.file("m.pt"), *model, nullptr, {"mlp", 1, {}}).ok());
  torch::nn::Linear other(3, 4);
  auto r = LoadCheckpoint(dir.file("m.pt"), *other, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not match"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace reco::train
