// `reco export` end to end through the real binary: a checkpoint becomes a validated .onnx; bad input gives one
// clear line on stderr and a non-zero exit.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "cli/cli_runner.h"
#include "data/vocab_id.h"
#include "nn/ranker.h"
#include "nn/simple_nn.h"
#include "nn/small_cnn.h"
#include "onnx/graph_builder.h"
#include "train/checkpoint.h"

namespace reco::testutil {
namespace {

class ExportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nn::SimpleNN mlp;
    nn::SmallCNN cnn;
    ASSERT_TRUE(train::SaveCheckpoint(dir_.file("mlp.pt"), *mlp, nullptr, {.kind = "mlp"}).ok());
    ASSERT_TRUE(train::SaveCheckpoint(dir_.file("cnn.pt"), *cnn, nullptr, {.kind = "cnn"}).ok());
  }
  void ExpectCleanFailure(const std::string& args, const std::string& needle, int code) {
    CommandResult r = RunBinary("reco", args);
    EXPECT_EQ(r.exit_code, code) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr of `reco " << args << "`:\n" << r.err;
    EXPECT_LE(r.ErrLines(), 2) << r.err;
  }
  TempDir dir_;
};

TEST_F(ExportCliTest, ExportsMlpAndCnn) {
  for (const std::string kind : {"mlp", "cnn"}) {
    CommandResult r = RunBinary("reco", "export --checkpoint " + dir_.file(kind + ".pt") + " --out " +
                                            dir_.file(kind + ".onnx") + " --opset 15");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("kind " + kind + ", opset 15"), std::string::npos) << r.out;
    auto model = onnx_export::ReadModel(dir_.file(kind + ".onnx"));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    EXPECT_TRUE(onnx_export::ValidateModel(*model).ok());
    EXPECT_EQ(model->opset_import(0).version(), 15);
  }
}

// The engine commands on an exported model: batch sizes too large for memory are one clear line and exit 1
// (a huge --batch once wrapped the element count and crashed bench-model; a large one aborted in the allocator).
TEST_F(ExportCliTest, EngineCommandsRefuseHugeBatches) {
  CommandResult r = RunBinary("reco", "export --checkpoint " + dir_.file("mlp.pt") + " --out " + dir_.file("m.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string batch : {"1152921504606846976", "100000000"}) {
    ExpectCleanFailure("bench-model " + dir_.file("m.onnx") + " --runs 1 --batch " + batch, "too large", 1);
    ExpectCleanFailure("inspect " + dir_.file("m.onnx") + " --plan-batch " + batch, "too large", 1);
  }
  r = RunBinary("reco", "bench-model " + dir_.file("m.onnx") + " --runs 3 --batch 2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ExportCliTest, MissingCheckpoint) {
  ExpectCleanFailure("export --checkpoint " + dir_.file("nope.pt") + " --out " + dir_.file("x.onnx"),
                     "does not exist", 2);
}

TEST_F(ExportCliTest, NotAModel) {
  WriteBytes(dir_.file("junk.pt"), {'j', 'u', 'n', 'k'});
  ExpectCleanFailure("export --checkpoint " + dir_.file("junk.pt") + " --out " + dir_.file("x.onnx"),
                     "neither a reco checkpoint nor a reco keras model", 1);
}

TEST_F(ExportCliTest, OpsetOutOfRange) {
  ExpectCleanFailure("export --checkpoint " + dir_.file("mlp.pt") + " --out " + dir_.file("x.onnx") + " --opset 9",
                     "--opset", 2);
}

TEST_F(ExportCliTest, UnwritableOutput) {
  ExpectCleanFailure("export --checkpoint " + dir_.file("mlp.pt") + " --out " + dir_.file("no/such/dir/x.onnx"),
                     "cannot write", 1);
}

TEST_F(ExportCliTest, MissingOut) {
  ExpectCleanFailure("export --checkpoint " + dir_.file("mlp.pt"), "--out", 2);
}

// Rankers: the checkpoint's format tag routes to the model-folder export.
class RankerExportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nn::RankerConfig c;
    c.num_items = 30;
    c.num_cates = 6;
    c.emb_dim = 4;
    c.max_history = 5;
    auto model = nn::MakeRanker(c);
    ASSERT_TRUE(model.ok());
    ASSERT_TRUE(nn::SaveRanker(**model, dir_.file("best.pt")).ok());
    std::filesystem::create_directories(dir_.file("samples"));
    for (auto [name, size] : {std::pair{"item", 30}, {"cate", 6}, {"user", 4}}) {
      std::vector<uint64_t> ids;
      std::vector<int64_t> counts;
      for (int i = 0; i + 2 < size; ++i) ids.push_back(100 + i), counts.push_back(size - i);
      auto vocab = data::IdVocab::Build(ids, counts, 1, name);
      ASSERT_TRUE(vocab.Save(dir_.file("samples/" + std::string(name) + "_vocab.txt")).ok());
    }
    WriteBytes(dir_.file("metrics.json"), {'{', '"', 't', 'e', 's', 't', '"', ':', '{', '}', '}'});
  }
  TempDir dir_;
};

TEST_F(RankerExportCliTest, WritesVersionedFolders) {
  const std::string base = "export --checkpoint " + dir_.file("best.pt") + " --vocab-dir " + dir_.file("samples") +
                           " --out " + dir_.file("models/din");
  CommandResult r = RunBinary("reco", base + " --metrics-json " + dir_.file("metrics.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("version 1"), std::string::npos) << r.out;
  for (const char* f : {"model.onnx", "manifest.json", "item_vocab.txt", "cate_vocab.txt", "user_vocab.txt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_.file(std::string("models/din/1/") + f))) << f;
  }
  auto model = onnx_export::ReadModel(dir_.file("models/din/1/model.onnx"));
  ASSERT_TRUE(model.ok());
  EXPECT_TRUE(onnx_export::ValidateModel(*model).ok());
  r = RunBinary("reco", base + " --version 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("models/din/5/model.onnx")));
  r = RunBinary("reco", base + " --version 5");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
}

TEST_F(RankerExportCliTest, MissingVocabularyNamesTheFile) {
  std::filesystem::remove(dir_.file("samples/item_vocab.txt"));
  CommandResult r = RunBinary("reco", "export --checkpoint " + dir_.file("best.pt") + " --vocab-dir " +
                                          dir_.file("samples") + " --out " + dir_.file("models/din"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("item_vocab.txt"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("models/din/1")));
}

TEST_F(RankerExportCliTest, RankerFlagsOnAClassifierAreRefused) {
  nn::SimpleNN mlp;
  ASSERT_TRUE(train::SaveCheckpoint(dir_.file("mlp.pt"), *mlp, nullptr, {.kind = "mlp"}).ok());
  CommandResult r = RunBinary("reco", "export --checkpoint " + dir_.file("mlp.pt") + " --vocab-dir " +
                                          dir_.file("samples") + " --out " + dir_.file("x.onnx"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace reco::testutil
