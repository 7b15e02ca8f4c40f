// reco::keras on tiny synthetic data: learning works, summaries are right, save/load round-trips, errors are
// Statuses. Kept small (a few hundred samples) so the whole file runs in a few seconds.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "nn/keras/sequential.h"

namespace reco::keras {
namespace {

// `k` Gaussian blobs in 2-D with well separated centres; labels 0..k-1, shuffled.
std::pair<torch::Tensor, torch::Tensor> Blobs(int64_t n, int64_t k, uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor labels = torch::randint(k, {n}, torch::kLong);
  const torch::Tensor angle = labels.to(torch::kFloat) * (2.0 * M_PI / static_cast<double>(k));
  const torch::Tensor centres = torch::stack({torch::cos(angle), torch::sin(angle)}, 1) * 3.0;
  return {centres + 0.6 * torch::randn({n, 2}), labels};
}

// One row of the Keras summary table: columns of 29, 26 and 10 characters (Keras's line_length 65).
std::string Row(const std::string& layer, const std::string& shape, const std::string& params) {
  std::string row = " " + layer;
  row.resize(29, ' ');
  row += shape;
  row.resize(29 + 26, ' ');
  return row + params;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("reco_keras_test_" + name)).string();
}

TEST(KerasTest, MlpLearnsBlobsAndLossFalls) {
  auto [x, y] = Blobs(300, 3, 1);
  Sequential model({Dense(16, "relu"), Dense(3)});
  ASSERT_TRUE(model.compile(Adam(0.01), SparseCategoricalCrossentropy(/*from_logits=*/true), {"accuracy"}).ok());
  auto h = model.fit(x, y, {.epochs = 15, .batch_size = 32, .verbose = 0});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->loss.size(), 15u);
  ASSERT_EQ(h->epoch_seconds.size(), 15u);
  EXPECT_LT(h->loss.back(), 0.5 * h->loss.front());
  EXPECT_GT(h->metrics.at("accuracy").back(), 0.9);  // chance is 1/3
  EXPECT_TRUE(h->val_loss.empty());

  auto [xt, yt] = Blobs(150, 3, 2);
  auto r = model.evaluate(xt, yt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->metrics.at("accuracy"), 0.9);
  EXPECT_LT(r->loss, h->loss.front());

  auto p = model.predict(xt, /*batch_size=*/64);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sizes(), (std::vector<int64_t>{150, 3}));
  const double agree = p->argmax(1).eq(yt).to(torch::kFloat).mean().item<double>();
  EXPECT_NEAR(agree, r->metrics.at("accuracy"), 1e-6);
}

TEST(KerasTest, SoftmaxOutputsWithSgdByName) {
  auto [x, y] = Blobs(300, 3, 3);
  Sequential model({Dense(16, "tanh"), Dense(3, "softmax")});
  ASSERT_TRUE(model.compile("sgd", "sparse_categorical_crossentropy", {"acc"}).ok());
  EXPECT_EQ(model.optimizer().name, "sgd");
  EXPECT_FALSE(model.loss().from_logits);
  auto h = model.fit(x, y, {.epochs = 30, .batch_size = 16, .verbose = 0});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_LT(h->loss.back(), h->loss.front());
  EXPECT_GT(h->metrics.at("acc").back(), 0.85);
  auto p = model.predict(x);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(torch::allclose(p->sum(1), torch::ones({300}), 1e-5, 1e-5));  // probabilities
}

TEST(KerasTest, BinaryCrossentropyWithSigmoidAndWithLogits) {
  auto [x, y] = Blobs(300, 2, 4);
  for (bool logits : {false, true}) {
    torch::manual_seed(7);
    Sequential model({Dense(8, "relu"), Dense(1, logits ? "" : "sigmoid")});
    ASSERT_TRUE(model.compile(SGD(0.1, 0.9), BinaryCrossentropy(logits), {"accuracy"}).ok());
    auto h = model.fit(x, y.to(torch::kFloat), {.epochs = 10, .batch_size = 32, .verbose = 0});
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_LT(h->loss.back(), 0.5 * h->loss.front()) << "from_logits=" << logits;
    EXPECT_GT(h->metrics.at("accuracy").back(), 0.9) << "from_logits=" << logits;
  }
}

TEST(KerasTest, ValidationSplitAndValidationData) {
  auto [x, y] = Blobs(250, 3, 5);
  Sequential model({Dense(16, "relu"), Dense(3)});
  ASSERT_TRUE(model.compile(Adam(0.01), SparseCategoricalCrossentropy(true), {"accuracy"}).ok());
  auto h = model.fit(x, y, {.epochs = 8, .batch_size = 32, .validation_split = 0.2, .verbose = 0});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->val_loss.size(), 8u);
  ASSERT_EQ(h->val_metrics.at("accuracy").size(), 8u);
  EXPECT_LT(h->val_loss.back(), h->val_loss.front());
  EXPECT_GT(h->val_metrics.at("accuracy").back(), 0.85);
  // The held-out part is the last 20% (Keras's rule): its evaluation equals the last val numbers.
  auto r = model.evaluate(x.narrow(0, 200, 50), y.narrow(0, 200, 50), 32);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, h->val_loss.back(), 1e-5);

  auto [xv, yv] = Blobs(60, 3, 6);
  auto h2 = model.fit(x, y, {.epochs = 2, .validation_data = {xv, yv}, .verbose = 0});
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(h2->val_loss.size(), 2u);

  EXPECT_FALSE(model.fit(x, y, {.validation_split = 1.5, .verbose = 0}).ok());
  EXPECT_FALSE(model.fit(x.narrow(0, 0, 1), y.narrow(0, 0, 1), {.validation_split = 0.1, .verbose = 0}).ok());
}

TEST(KerasTest, SummaryOfTheTutorialMlp) {
  Sequential model({Flatten(), Dense(128, "relu"), Dense(64, "relu"), Dense(10)});
  EXPECT_NE(model.summary().find("not built"), std::string::npos);
  ASSERT_TRUE(model.build({28, 28}).ok());
  const std::string s = model.summary();
  EXPECT_NE(s.find("Model: \"sequential\""), std::string::npos) << s;
  EXPECT_NE(s.find(Row("flatten (Flatten)", "(None, 784)", "0")), std::string::npos) << s;
  EXPECT_NE(s.find(Row("dense (Dense)", "(None, 128)", "100,480")), std::string::npos) << s;
  EXPECT_NE(s.find(Row("dense_1 (Dense)", "(None, 64)", "8,256")), std::string::npos) << s;
  EXPECT_NE(s.find(Row("dense_2 (Dense)", "(None, 10)", "650")), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 109,386"), std::string::npos) << s;
  EXPECT_NE(s.find("Trainable params: 109,386"), std::string::npos) << s;
  EXPECT_EQ(model.count_params(), 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
  EXPECT_EQ(model.output_shape(), (std::vector<int64_t>{10}));
}

TEST(KerasTest, SummaryAndLayersOfASmallCnn) {
  Sequential model({Input({1, 28, 28}), Conv2D(32, 3, "relu"), MaxPool2D(2), Conv2D(64, 3, {.activation = "relu"}),
                    MaxPool2D(2), Flatten(), Dense(128, "relu"), Dense(10)});
  ASSERT_TRUE(model.status().ok()) << model.status().ToString();
  ASSERT_TRUE(model.built());
  const auto layers = model.layers();
  ASSERT_EQ(layers.size(), 7u);  // Input is not a layer in the table
  const std::vector<std::vector<int64_t>> shapes = {{32, 26, 26}, {32, 13, 13}, {64, 11, 11}, {64, 5, 5},
                                                    {1600},       {128},        {10}};
  const std::vector<int64_t> params = {32 * 9 + 32, 0, 64 * 32 * 9 + 64, 0, 0, 1600 * 128 + 128, 128 * 10 + 10};
  for (size_t i = 0; i < layers.size(); ++i) {
    EXPECT_EQ(layers[i].output_shape, shapes[i]) << layers[i].config.name;
    EXPECT_EQ(layers[i].num_params(), params[i]) << layers[i].config.name;
  }
  EXPECT_EQ(layers[0].config.name, "conv2d");
  EXPECT_EQ(layers[1].config.name, "max_pooling2d");
  EXPECT_EQ(layers[2].config.name, "conv2d_1");
  EXPECT_EQ(layers[1].config.strides, Size2(2));  // MaxPool2D strides default to the pool size
  ASSERT_EQ(layers[0].params.size(), 2u);
  EXPECT_EQ(layers[0].params[0].first, "weight");
  EXPECT_EQ(layers[0].params[0].second.sizes(), (std::vector<int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(layers[6].params[0].second.sizes(), (std::vector<int64_t>{10, 128}));
  const std::string s = model.summary();
  EXPECT_NE(s.find(Row("conv2d (Conv2D)", "(None, 32, 26, 26)", "320")), std::string::npos) << s;
  EXPECT_NE(s.find(Row("max_pooling2d_1 (MaxPool2D)", "(None, 64, 5, 5)", "0")), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 225,034"), std::string::npos) << s;

  auto out = model.predict(torch::rand({3, 1, 28, 28}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->sizes(), (std::vector<int64_t>{3, 10}));
}

TEST(KerasTest, AddLayersOneByOne) {
  Sequential model;
  ASSERT_TRUE(model.add(Input({4})).ok());
  ASSERT_TRUE(model.add(Dense(3, "relu")).ok());
  ASSERT_TRUE(model.add(Dense(2).named("logits")).ok());
  ASSERT_TRUE(model.built());  // rebuilt after each add, as Keras does once it knows the input
  EXPECT_EQ(model.output_shape(), (std::vector<int64_t>{2}));
  EXPECT_EQ(model.count_params(), 4 * 3 + 3 + 3 * 2 + 2);
  EXPECT_EQ(model.layers()[1].config.name, "logits");
  EXPECT_EQ(model.add(Dense(2).named("logits")).code(), StatusCode::kInvalidArgument);  // duplicate name
  ASSERT_TRUE(model.compile("adam", BinaryCrossentropy(true)).ok());
  EXPECT_EQ(model.add(Dense(1)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(model.build({5}).code(), StatusCode::kInvalidArgument);  // built for [4]
}

TEST(KerasTest, SamePaddingFollowsTensorFlow) {
  // 7x7, k3, s2: 4x4 output, 1 pixel each side. 8x8: 4x4 output, the extra pixel goes bottom/right.
  Sequential odd({Input({3, 7, 7}), Conv2D(4, 3, {.strides = 2, .padding = "same"})});
  Sequential even({Input({3, 8, 8}), Conv2D(4, 3, {.strides = 2, .padding = "same"})});
  ASSERT_TRUE(odd.built() && even.built());
  EXPECT_EQ(odd.layers()[0].output_shape, (std::vector<int64_t>{4, 4, 4}));
  EXPECT_EQ(odd.layers()[0].pads, (std::array<int64_t, 4>{1, 1, 1, 1}));
  EXPECT_EQ(even.layers()[0].output_shape, (std::vector<int64_t>{4, 4, 4}));
  EXPECT_EQ(even.layers()[0].pads, (std::array<int64_t, 4>{0, 0, 1, 1}));
  // The asymmetric case equals a conv over an explicitly padded input.
  const torch::Tensor x = torch::randn({2, 3, 8, 8});
  auto y = even.predict(x);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  const auto info = even.layers()[0];
  const torch::Tensor ref = torch::conv2d(torch::constant_pad_nd(x, {0, 1, 0, 1}), info.params[0].second,
                                          info.params[1].second, {2, 2});
  EXPECT_TRUE(torch::allclose(*y, ref, 1e-5, 1e-6));
  Sequential same_s1({Input({1, 5, 5}), Conv2D(2, 3, {.padding = "same"})});
  EXPECT_EQ(same_s1.layers()[0].output_shape, (std::vector<int64_t>{2, 5, 5}));
}

TEST(KerasTest, DropoutOnlyWhileTraining) {
  auto [x, y] = Blobs(100, 3, 8);
  Sequential model({Dense(32, "relu"), Dropout(0.5), Dense(3)});
  ASSERT_TRUE(model.compile("adam", SparseCategoricalCrossentropy(true)).ok());
  ASSERT_TRUE(model.fit(x, y, {.epochs = 1, .verbose = 0}).ok());
  auto a = model.predict(x), b = model.predict(x);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(torch::equal(*a, *b));
}

TEST(KerasTest, SaveLoadRoundTripAndResume) {
  auto [x, y] = Blobs(200, 3, 9);
  torch::manual_seed(10);
  Sequential model({Dense(8, "relu"), Dense(3)}, "blobs");
  ASSERT_TRUE(model.compile(Adam(0.01), SparseCategoricalCrossentropy(true), {"accuracy"}).ok());
  ASSERT_TRUE(model.fit(x, y, {.epochs = 2, .batch_size = 32, .verbose = 0}).ok());
  const std::string path = TempPath("roundtrip.pt");
  ASSERT_TRUE(model.save(path).ok());

  auto loaded = Sequential::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->name(), "blobs");
  EXPECT_TRUE(loaded->compiled());
  EXPECT_EQ(loaded->metrics(), (Metrics{"accuracy"}));
  EXPECT_DOUBLE_EQ(loaded->optimizer().learning_rate, 0.01);
  EXPECT_TRUE(torch::equal(*model.predict(x), *loaded->predict(x)));
  EXPECT_EQ(model.summary(), loaded->summary());

  // Same optimizer state + same batches => the resumed copy follows the original exactly.
  const FitOptions more{.epochs = 1, .batch_size = 32, .verbose = 0, .seed = 42};
  ASSERT_TRUE(model.fit(x, y, more).ok());
  ASSERT_TRUE(loaded->fit(x, y, more).ok());
  EXPECT_TRUE(torch::allclose(*model.predict(x), *loaded->predict(x), 1e-6, 1e-6));

  // An uncompiled, unbuilt model round-trips too.
  Sequential plain({Flatten(), Dense(4)});
  ASSERT_TRUE(plain.save(path).ok());
  auto plain2 = Sequential::load(path);
  ASSERT_TRUE(plain2.ok()) << plain2.status().ToString();
  EXPECT_FALSE(plain2->built());
  EXPECT_FALSE(plain2->compiled());
  std::filesystem::remove(path);
}

TEST(KerasTest, ErrorsAreStatuses) {
  auto [x, y] = Blobs(50, 3, 11);

  Sequential bad_act({Dense(4, "relux")});
  EXPECT_EQ(bad_act.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_act.status().message().find("relux"), std::string::npos);
  EXPECT_FALSE(bad_act.compile("adam", "sparse_categorical_crossentropy").ok());
  EXPECT_FALSE(bad_act.predict(x).ok());

  Sequential model({Dense(4, "relu"), Dense(3)});
  EXPECT_EQ(model.fit(x, y, {.verbose = 0}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(model.evaluate(x, y).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(model.compile("adagrad", "sparse_categorical_crossentropy").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.compile("adam", "hinge").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.compile("adam", "bce", {"auc"}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(model.compile("Adam", "SparseCategoricalCrossentropy", {"accuracy"}).ok());

  // Labels out of range and mismatched counts.
  EXPECT_EQ(model.fit(x, y + 5, {.verbose = 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.fit(x, y.narrow(0, 0, 10), {.verbose = 0}).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(model.fit(x, y, {.verbose = 0}).ok());
  // Built for 2 features per sample now.
  const auto wrong = model.predict(torch::randn({5, 3}));
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("[2]"), std::string::npos) << wrong.status().ToString();
  EXPECT_FALSE(model.predict(torch::randn({5})).ok());
  EXPECT_FALSE(model.fit(x, y, {.batch_size = 0, .verbose = 0}).ok());

  // Shapes that cannot be built.
  Sequential conv_on_flat({Conv2D(8, 3), Flatten(), Dense(2)});
  EXPECT_EQ(conv_on_flat.build({784}).code(), StatusCode::kInvalidArgument);
  Sequential too_big({Input({1, 4, 4}), Conv2D(2, 5)});
  EXPECT_EQ(too_big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Sequential({Conv2D(2, 3, {.padding = "full"})}).status().ok());
  EXPECT_FALSE(Sequential({Dense(0)}).status().ok());
  EXPECT_FALSE(Sequential({Dropout(1.5)}).status().ok());
  EXPECT_FALSE(Sequential({Dense(3), Input({2})}).status().ok());

  // Unreadable files.
  EXPECT_EQ(Sequential::load(TempPath("does_not_exist.pt")).status().code(), StatusCode::kNotFound);
  const std::string junk = TempPath("junk.pt");
  std::ofstream(junk) << "this is not a model";
  EXPECT_FALSE(Sequential::load(junk).ok());
  // A real model file cut in half.
  ASSERT_TRUE(model.save(junk).ok());
  std::filesystem::resize_file(junk, std::filesystem::file_size(junk) / 2);
  StatusOr<Sequential> truncated(InternalError("unset"));
  EXPECT_NO_THROW(truncated = Sequential::load(junk));
  EXPECT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find(junk), std::string::npos) << truncated.status().ToString();
  std::filesystem::remove(junk);
  EXPECT_FALSE(model.save("/nonexistent_dir/x/model.pt").ok());

  // Errors raised inside LibTorch (here: a sparse input, which dense layers cannot take) come back as a Status.
  StatusOr<at::Tensor> sparse(InternalError("unset"));
  EXPECT_NO_THROW(sparse = model.predict(torch::randn({4, 2}).to_sparse()));
  EXPECT_EQ(sparse.status().code(), StatusCode::kInternal) << sparse.status().ToString();
  EXPECT_NE(sparse.status().message().find("predict: "), std::string::npos);
}

}  // namespace
}  // namespace reco::keras
