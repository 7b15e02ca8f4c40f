// `reco export` end to end through the real binary: a checkpoint becomes a validated .onnx; bad input gives one
// clear line on stderr and a non-zero exit.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "cli/cli_runner.h"
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

}  // namespace
}  // namespace reco::testutil
