// Ranker export (onnx/ranker_export.h, onnx/model_folder.h): LibTorch's eval forward vs reco's engine on the
// exported graph (max abs difference <= 1e-5) for din/base/seed-mlp, histories per row (H = B) and broadcast
// (H = 1), untrained and trained (non-trivial Dice statistics), at the full history length L and at shorter
// lengths of the dynamic `hist_len` axis (padding to L gives the short result); the signature and metadata of the
// contract (docs/ranker_model.md); the model folder (files, manifest, engine load, versions, missing/mismatched
// vocabularies).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "data/vocab_id.h"
#include "engine/session.h"
#include "nn/ranker.h"
#include "onnx/model_folder.h"
#include "onnx/ranker_export.h"

namespace reco::onnx_export {
namespace {

namespace fs = std::filesystem;
constexpr float kTolerance = 1e-5f;
constexpr int64_t kItems = 60, kCates = 11, kL = 9;

nn::RankerConfig Config(const std::string& kind) {
  nn::RankerConfig c;
  c.kind = kind;
  c.num_items = kItems;
  c.num_cates = kCates;
  c.emb_dim = 8;
  c.max_history = kL;
  c.attention_hidden = {16, 8};
  c.mlp_hidden = {24, 12};
  return c;
}

nn::RankerBatch RandomBatch(int64_t rows, int64_t batch, uint64_t seed) {
  torch::manual_seed(seed);
  nn::RankerBatch b;
  torch::Tensor len = torch::randint(0, kL + 1, {rows, 1}, torch::kLong);
  len[0] = kL - 1;
  b.hist_mask = (torch::arange(kL).unsqueeze(0) < len).to(torch::kFloat);
  const torch::Tensor m = b.hist_mask.to(torch::kLong);
  b.hist_item = torch::randint(2, kItems, {rows, kL}, torch::kLong) * m;
  b.hist_cate = torch::randint(1, kCates, {rows, kL}, torch::kLong) * m;
  b.hist_type = torch::randint(1, nn::kNumTypeIndices, {rows, kL}, torch::kLong) * m;
  b.hist_recency = torch::randint(1, nn::kNumRecencyIndices, {rows, kL}, torch::kLong) * m;
  b.target_item = torch::randint(1, kItems, {batch}, torch::kLong);
  b.target_cate = torch::randint(1, kCates, {batch}, torch::kLong);
  b.user_input = torch::randn({batch, 8});
  b.item_input = torch::randn({batch, 8});
  return b;
}

// The batch's histories cut to their first n positions ([H, n]): what a caller of the dynamic axis sends.
nn::RankerBatch Truncate(const nn::RankerBatch& in, int64_t n) {
  nn::RankerBatch b = in;
  for (torch::Tensor* t : {&b.hist_item, &b.hist_cate, &b.hist_type, &b.hist_recency, &b.hist_mask}) {
    *t = t->narrow(1, 0, n).contiguous();
  }
  return b;
}

// The batch with every history position >= n turned into padding (shape kept [H, L]).
nn::RankerBatch PadBeyond(const nn::RankerBatch& in, int64_t n) {
  nn::RankerBatch b = in;
  const torch::Tensor keep = (torch::arange(in.hist_mask.size(1)) < n).unsqueeze(0);
  b.hist_mask = in.hist_mask * keep.to(torch::kFloat);
  for (torch::Tensor* t : {&b.hist_item, &b.hist_cate, &b.hist_type, &b.hist_recency}) {
    *t = *t * keep.to(torch::kLong);
  }
  return b;
}

void TrainSteps(nn::RankerModel& model, int steps) {
  model.train();
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(0.02));
  for (int s = 0; s < steps; ++s) {
    nn::RankerBatch b = RandomBatch(32, 32, 200 + s);
    opt.zero_grad();
    torch::binary_cross_entropy_with_logits(model.Forward(b).logit, (b.target_item % 2).to(torch::kFloat)).backward();
    opt.step();
  }
  model.eval();
}

std::shared_ptr<nn::RankerModel> Make(const nn::RankerConfig& c) {
  auto m = nn::MakeRanker(c);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  (*m)->eval();
  return *m;
}

// Runs the engine on the batch's inputs (those the model declares) and returns every output as a torch tensor.
std::map<std::string, torch::Tensor> RunEngine(const engine::Session& session, const nn::RankerBatch& b) {
  const std::map<std::string, torch::Tensor> all = {
      {"hist_item", b.hist_item}, {"hist_cate", b.hist_cate}, {"hist_type", b.hist_type},
      {"hist_recency", b.hist_recency}, {"hist_mask", b.hist_mask}, {"target_item", b.target_item},
      {"target_cate", b.target_cate}, {"user_input", b.user_input}, {"item_input", b.item_input}};
  std::vector<torch::Tensor> keep;
  std::vector<engine::NamedView> inputs;
  for (const auto& info : session.inputs()) {
    torch::Tensor t = all.at(info.name).contiguous();
    keep.push_back(t);
    auto shape = engine::Shape::FromDims(std::vector<int64_t>(t.sizes().begin(), t.sizes().end()));
    EXPECT_TRUE(shape.ok());
    const bool is_long = t.scalar_type() == torch::kLong;
    inputs.push_back({info.name, engine::TensorView(is_long ? engine::DType::kInt64 : engine::DType::kFloat32, *shape,
                                                    static_cast<const void*>(t.data_ptr()))});
  }
  auto outputs = session.Run(inputs);
  EXPECT_TRUE(outputs.ok()) << outputs.status().ToString();
  std::map<std::string, torch::Tensor> result;
  if (!outputs.ok()) return result;
  for (const auto& o : *outputs) {
    std::vector<int64_t> dims(o.tensor.shape().dims().begin(), o.tensor.shape().dims().end());
    result[o.name] = torch::from_blob(const_cast<void*>(o.tensor.raw_data()), dims, torch::kFloat).clone();
  }
  return result;
}

void ExpectClose(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const float diff = (got - want).abs().max().item<float>();
  EXPECT_LE(diff, kTolerance) << what;
  // Printed so the test log shows the agreement and that the outputs are not degenerate.
  std::printf("%-40s max|diff| %.2e  output range [%.4f, %.4f]\n", what.c_str(), diff, want.min().item<float>(),
              want.max().item<float>());
}

// Exports, loads in the engine, and compares with LibTorch at several batch sizes, H = B and H = 1, and (din/base)
// history lengths L, a shorter n and 1 on the dynamic axis, LibTorch fed the same truncated inputs. Then the same
// real entries padded to L must give the short result: prob equal, attention equal on the first n positions and 0
// beyond.
void CheckAgainstTorch(nn::RankerModel& model, const std::string& label) {
  auto proto = ExportRanker(model, {});
  ASSERT_TRUE(proto.ok()) << label << ": " << proto.status().ToString();
  auto session = engine::Session::LoadFromBytes(proto->SerializeAsString());
  ASSERT_TRUE(session.ok()) << label << ": " << session.status().ToString();
  const bool seed = model.config().kind == "seed-mlp";
  const bool din = model.config().kind == "din";
  const std::vector<int64_t> lengths = seed ? std::vector<int64_t>{kL} : std::vector<int64_t>{kL, 4, 1};
  for (int64_t batch : {1, 5, 64}) {
    const std::vector<int64_t> hist_rows =
        seed || batch == 1 ? std::vector<int64_t>{batch} : std::vector<int64_t>{batch, 1};
    for (int64_t rows : hist_rows) {
      const nn::RankerBatch full = RandomBatch(rows, batch, 1000 + batch + rows);
      for (int64_t n : lengths) {
        const nn::RankerBatch b = Truncate(full, n);
        const std::string what =
            label + " B=" + std::to_string(batch) + " H=" + std::to_string(rows) + " n=" + std::to_string(n);
        torch::NoGradGuard no_grad;
        nn::RankerOutput want = model.Forward(b);
        auto got = RunEngine(**session, b);
        ExpectClose(got[seed ? "output" : "prob"], torch::sigmoid(want.logit).unsqueeze(1), what);
        if (din) {
          ExpectClose(got["attention"], want.attention, what + " attention");
        } else {
          EXPECT_EQ(got.count("attention"), 0u) << what;
        }
        if (seed || n == kL) continue;
        // Same real entries, padded to L: the engine gives the short result.
        auto padded = RunEngine(**session, PadBeyond(full, n));
        ExpectClose(padded["prob"], got["prob"], what + " padded to L vs n");
        if (din) {
          ExpectClose(padded["attention"].narrow(1, 0, n), got["attention"], what + " padded attention[:n]");
          EXPECT_EQ(padded["attention"].narrow(1, n, kL - n).abs().max().item<float>(), 0.0f) << what;
        }
      }
    }
  }
}

TEST(RankerExportTest, DinMatchesTorch) {
  torch::manual_seed(1);
  CheckAgainstTorch(*Make(Config("din")), "din untrained");
  auto trained = Make(Config("din"));
  TrainSteps(*trained, 4);
  CheckAgainstTorch(*trained, "din trained");
  // Embeddings ~N(0, 1): activations far from the Dice running statistics, probabilities spread over (0, 1).
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& t : trained->embedding_tables()) t.mul_(20.0);
  }
  CheckAgainstTorch(*trained, "din trained, large embeddings");
}

TEST(RankerExportTest, DinVariantsMatchTorch) {
  nn::RankerConfig c = Config("din");
  c.attention_softmax = true;
  c.activation = "prelu";
  c.attention_hidden = {12};
  auto softmax = Make(c);
  TrainSteps(*softmax, 3);
  CheckAgainstTorch(*softmax, "din softmax prelu");
}

TEST(RankerExportTest, BaseMatchesTorch) {
  for (const std::string pooling : {"mean", "sum"}) {
    nn::RankerConfig c = Config("base");
    c.pooling = pooling;
    c.activation = pooling == "sum" ? "prelu" : "dice";
    auto model = Make(c);
    TrainSteps(*model, 3);
    CheckAgainstTorch(*model, "base " + pooling);
  }
}

TEST(RankerExportTest, SeedMlpMatchesTorch) {
  auto model = Make(Config("seed-mlp"));
  CheckAgainstTorch(*model, "seed-mlp");
}

TEST(RankerExportTest, SignatureAndMetadataFollowTheContract) {
  auto model = Make(Config("din"));
  auto proto = ExportRanker(*model, {});
  ASSERT_TRUE(proto.ok()) << proto.status().ToString();
  EXPECT_EQ(proto->opset_import(0).version(), 14);
  const auto& g = proto->graph();
  std::vector<std::string> names;
  for (const auto& in : g.input()) names.push_back(in.name());
  EXPECT_EQ(names, (std::vector<std::string>{"hist_item", "hist_cate", "hist_type", "hist_recency", "hist_mask",
                                             "target_item", "target_cate"}));
  for (int i = 0; i < 5; ++i) {  // every hist_* input: [hist_batch, hist_len]
    const auto& hist_dims = g.input(i).type().tensor_type().shape().dim();
    ASSERT_EQ(hist_dims.size(), 2) << g.input(i).name();
    EXPECT_EQ(hist_dims[0].dim_param(), "hist_batch") << g.input(i).name();
    EXPECT_EQ(hist_dims[1].dim_param(), "hist_len") << g.input(i).name();
    EXPECT_FALSE(hist_dims[1].has_dim_value()) << g.input(i).name();
  }
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  EXPECT_EQ(g.input(4).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(g.input(5).type().tensor_type().shape().dim(0).dim_param(), "batch");
  ASSERT_EQ(g.output_size(), 2);
  EXPECT_EQ(g.output(0).name(), "prob");
  EXPECT_EQ(g.output(0).type().tensor_type().shape().dim(1).dim_value(), 1);
  EXPECT_EQ(g.output(1).name(), "attention");
  EXPECT_EQ(g.output(1).type().tensor_type().shape().dim(1).dim_param(), "hist_len");
  // No initializer may carry L: every history-axis size comes from the inputs at run time.
  for (const auto& init : g.initializer()) {
    if (init.data_type() != onnx::TensorProto::INT64) continue;
    std::vector<int64_t> values(init.raw_data().size() / sizeof(int64_t));
    std::memcpy(values.data(), init.raw_data().data(), values.size() * sizeof(int64_t));
    values.insert(values.end(), init.int64_data().begin(), init.int64_data().end());
    for (int64_t v : values) EXPECT_NE(v, kL) << init.name();
  }
  std::map<std::string, std::string> meta;
  for (const auto& p : proto->metadata_props()) meta[p.key()] = p.value();
  EXPECT_EQ(meta["reco.model_kind"], "din");
  EXPECT_EQ(meta["reco.max_history"], std::to_string(kL));
  EXPECT_TRUE(nn::RankerConfigFromJson(meta["reco.ranker_config"]).ok());

  auto no_attention = ExportRanker(*model, {.attention_output = false});
  ASSERT_TRUE(no_attention.ok());
  EXPECT_EQ(no_attention->graph().output_size(), 1);
  auto fixed = ExportRanker(*model, {.dynamic_history = false});  // the fixed-L form stays available
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_EQ(fixed->graph().input(0).type().tensor_type().shape().dim(1).dim_value(), kL);
  EXPECT_EQ(fixed->graph().output(1).type().tensor_type().shape().dim(1).dim_value(), kL);
  auto base = ExportRanker(*Make(Config("base")), {});
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->graph().input(4).type().tensor_type().shape().dim(1).dim_param(), "hist_len");
  auto seed = ExportRanker(*Make(Config("seed-mlp")), {});
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(seed->graph().input(0).name(), "user_input");
  EXPECT_EQ(seed->graph().output(0).name(), "output");
}

class ModelFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("reco_ranker_folder_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    vocab_dir_ = root_ / "samples";
    fs::create_directories(vocab_dir_);
    WriteVocab("item", kItems);
    WriteVocab("cate", kCates);
    WriteVocab("user", 7);
  }
  void TearDown() override { fs::remove_all(root_); }

  void WriteVocab(const std::string& name, int64_t size) {
    std::vector<uint64_t> ids;
    std::vector<int64_t> counts;
    for (int64_t i = 0; i + 2 < size; ++i) ids.push_back(1000 + i), counts.push_back(size - i);
    auto vocab = data::IdVocab::Build(ids, counts, /*min_count=*/1, name);
    ASSERT_TRUE(vocab.Save((vocab_dir_ / (name + "_vocab.txt")).string()).ok());
  }

  fs::path root_, vocab_dir_;
};

TEST_F(ModelFolderTest, WritesAVersionTheEngineLoads) {
  auto model = Make(Config("din"));
  const std::string metrics = (root_ / "metrics.json").string();
  std::ofstream(metrics) << R"({"model": "din", "validation": {"auc": 0.7, "gauc": 0.65, "logloss": 0.5},
                               "test": {"auc": 0.69}, "training": {"epochs": 2, "samples": 1000}})";
  auto extras = ManifestExtrasFromMetricsFile(metrics);
  ASSERT_TRUE(extras.ok()) << extras.status().ToString();
  const fs::path model_dir = root_ / "models" / "din";
  auto written = WriteModelFolder(*model, vocab_dir_.string(), *extras, model_dir.string());
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->version, 1);
  for (const char* f : {"model.onnx", "manifest.json", "item_vocab.txt", "cate_vocab.txt", "user_vocab.txt"}) {
    EXPECT_TRUE(fs::is_regular_file(model_dir / "1" / f)) << f;
  }
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(model_dir)) {
    entries += 1;
    EXPECT_EQ(e.path().filename(), "1");
  }
  EXPECT_EQ(entries, 1u) << "no staging directory left behind";

  std::ifstream in(model_dir / "1" / "manifest.json");
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document m;
  m.Parse(text.str().c_str());
  ASSERT_FALSE(m.HasParseError());
  EXPECT_STREQ(m["format"].GetString(), "reco-ranker-v1");
  EXPECT_STREQ(m["model_kind"].GetString(), "din");
  EXPECT_EQ(m["max_history"].GetInt(), kL);
  EXPECT_EQ(m["emb_dim"].GetInt(), 8);
  EXPECT_EQ(m["inputs"].Size(), 7u);
  EXPECT_STREQ(m["inputs"][0]["shape"][0].GetString(), "hist_batch");
  EXPECT_STREQ(m["inputs"][0]["shape"][1].GetString(), "hist_len");  // dynamic; max_history carries L
  EXPECT_STREQ(m["outputs"][1]["name"].GetString(), "attention");
  EXPECT_STREQ(m["vocabularies"]["item"].GetString(), "item_vocab.txt");
  EXPECT_DOUBLE_EQ(m["metrics"]["validation"]["gauc"].GetDouble(), 0.65);
  EXPECT_EQ(m["training"]["samples"].GetInt(), 1000);
  EXPECT_TRUE(m.HasMember("created_at"));

  auto session = engine::Session::Load((model_dir / "1" / "model.onnx").string());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  nn::RankerBatch b = RandomBatch(1, 4, 5);
  torch::NoGradGuard no_grad;
  ExpectClose(RunEngine(**session, b)["prob"], torch::sigmoid(model->Forward(b).logit).unsqueeze(1), "folder");

  // Next export without a version: 2. An explicit existing version: refused.
  auto second = WriteModelFolder(*model, vocab_dir_.string(), {}, model_dir.string());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(WriteModelFolder(*model, vocab_dir_.string(), {}, model_dir.string(), 1).status().code(),
            StatusCode::kAlreadyExists);
  auto seventh = WriteModelFolder(*model, vocab_dir_.string(), {}, model_dir.string(), 7);
  ASSERT_TRUE(seventh.ok());
  EXPECT_EQ(LargestVersion(model_dir.string()), 7);
}

TEST_F(ModelFolderTest, MissingOrMismatchedVocabularyIsAnError) {
  auto model = Make(Config("base"));
  const fs::path model_dir = root_ / "models" / "base";
  fs::remove(vocab_dir_ / "cate_vocab.txt");
  auto missing = WriteModelFolder(*model, vocab_dir_.string(), {}, model_dir.string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("cate_vocab.txt"), std::string::npos) << missing.status().message();
  EXPECT_FALSE(fs::exists(model_dir / "1"));

  WriteVocab("cate", kCates + 3);  // another run's vocabulary
  auto mismatch = WriteModelFolder(*model, vocab_dir_.string(), {}, model_dir.string());
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.status().message().find("cate_vocab.txt"), std::string::npos) << mismatch.status().message();

  EXPECT_EQ(ManifestExtrasFromMetricsFile((root_ / "none.json").string()).status().code(), StatusCode::kNotFound);
  std::ofstream(root_ / "bad.json") << "{nope";
  EXPECT_EQ(ManifestExtrasFromMetricsFile((root_ / "bad.json").string()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ModelFolderTest, FlatRunMetricsAreRegrouped) {
  const std::string path = (root_ / "run.json").string();
  std::ofstream(path) << R"({"format": "reco-ranker-run-v1", "model_kind": "din", "events": "e.csv", "epochs": 3,
      "train_samples": 900, "valid_auc": 0.71, "valid_gauc": null, "test_auc": 0.7, "epoch_valid_gauc": [0.5]})";
  auto extras = ManifestExtrasFromMetricsFile(path);
  ASSERT_TRUE(extras.ok()) << extras.status().ToString();
  rapidjson::Document metrics, training;
  metrics.Parse(extras->metrics_json.c_str());
  training.Parse(extras->training_json.c_str());
  ASSERT_TRUE(metrics.IsObject() && training.IsObject());
  EXPECT_DOUBLE_EQ(metrics["validation"]["auc"].GetDouble(), 0.71);
  EXPECT_TRUE(metrics["validation"]["gauc"].IsNull());
  EXPECT_DOUBLE_EQ(metrics["test"]["auc"].GetDouble(), 0.7);
  EXPECT_STREQ(training["events"].GetString(), "e.csv");
  EXPECT_EQ(training["samples"].GetInt(), 900);
  EXPECT_FALSE(training.HasMember("epoch_valid_gauc"));
}

TEST_F(ModelFolderTest, SeedMlpManifestNamesItsFeatures) {
  auto model = Make(Config("seed-mlp"));
  std::ofstream(vocab_dir_ / "user_features.tsv") << "# reco-features v1\n";
  auto written = WriteModelFolder(*model, vocab_dir_.string(), {}, (root_ / "models" / "seed").string());
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_TRUE(fs::exists(fs::path(written->version_dir) / "user_features.tsv"));
  std::ifstream in(fs::path(written->version_dir) / "manifest.json");
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document m;
  m.Parse(text.str().c_str());
  ASSERT_TRUE(m.IsObject());
  EXPECT_STREQ(m["model_kind"].GetString(), "seed-mlp");
  EXPECT_EQ(m["user_features"].Size(), 8u);
  EXPECT_STREQ(m["outputs"][0]["name"].GetString(), "output");
}

}  // namespace
}  // namespace reco::onnx_export
