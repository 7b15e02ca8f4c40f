// The classifier commands end to end through the real `reco` binary: bad input gives one clear line on stderr
// and a non-zero exit (never a crash); good input trains, evaluates and predicts.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_runner.h"

namespace reco::testutil {
namespace {

class ClassifierCliTest : public ::testing::Test {
 protected:
  void ExpectCleanFailure(const std::string& args, const std::string& needle, int code = 1) {
    CommandResult r = RunBinary("reco", args);
    EXPECT_EQ(r.exit_code, code) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr of `reco " << args << "`:\n" << r.err;
    EXPECT_LE(r.ErrLines(), 2) << r.err;  // one message (+ a usage hint for parse errors), no stack trace
  }
  TempDir dir_;
};

TEST_F(ClassifierCliTest, MissingDataFolder) {
  ExpectCleanFailure("train-classifier --data " + dir_.file("nope") + " --out " + dir_.file("m.pt"),
                     "does not exist");
}

TEST_F(ClassifierCliTest, TruncatedIdx) {
  WriteToyMnist(dir_.path(), "train", 20, 1, /*gzip=*/false);
  WriteToyMnist(dir_.path(), "t10k", 20, 2, /*gzip=*/false);
  std::filesystem::resize_file(dir_.file("train-images-idx3-ubyte"), 2000);
  ExpectCleanFailure("train-classifier --data " + dir_.path() + " --out " + dir_.file("m.pt"), "truncated IDX payload");
}

TEST_F(ClassifierCliTest, CorruptGzip) {
  WriteToyMnist(dir_.path(), "train", 200, 1);
  WriteToyMnist(dir_.path(), "t10k", 20, 2);
  {
    std::fstream f(dir_.file("train-images-idx3-ubyte.gz"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.write("garbage-garbage-garbage", 23);
  }
  ExpectCleanFailure("train-classifier --data " + dir_.path() + " --out " + dir_.file("m.pt"),
                     "train-images-idx3-ubyte.gz");
}

TEST_F(ClassifierCliTest, WrongMagic) {
  WriteToyMnist(dir_.path(), "t10k", 20, 2);
  WriteBytes(dir_.file("train-images-idx3-ubyte"), {'h', 'e', 'l', 'l', 'o', '\n'});
  WriteToyMnist(dir_.path(), "train", 20, 2);  // gz labels/images exist; the raw file is found first
  ExpectCleanFailure("train-classifier --data " + dir_.path() + " --out " + dir_.file("m.pt"), "magic");
}

TEST_F(ClassifierCliTest, CountMismatch) {
  WriteToyMnist(dir_.path(), "train", 20, 1);
  WriteToyMnist(dir_.path(), "t10k", 20, 2);
  WriteBytes(dir_.file("train-labels-idx1-ubyte.gz"), IdxBytes({19}, std::vector<uint8_t>(19, 1)), true);
  ExpectCleanFailure("train-classifier --data " + dir_.path() + " --out " + dir_.file("m.pt"), "count mismatch");
}

TEST_F(ClassifierCliTest, UnknownFlagAndBadValues) {
  ExpectCleanFailure("train-classifier --epochz 3", "epochz", 2);
  ExpectCleanFailure("train-classifier --epochs abc", "epochs", 2);
  ExpectCleanFailure("train-classifier --epochs 0", "epochs", 2);
  ExpectCleanFailure("train-classifier --model resnet", "resnet", 2);
  ExpectCleanFailure("train-classifier --lr -1", "lr", 2);
  ExpectCleanFailure("no-such-command", "no-such-command", 2);
  ExpectCleanFailure("evaluate-classifier", "--checkpoint", 2);
}

TEST_F(ClassifierCliTest, MissingOrBogusCheckpoint) {
  ExpectCleanFailure("evaluate-classifier --checkpoint " + dir_.file("absent.pt"), "absent.pt");
  WriteBytes(dir_.file("bogus.pt"), {'n', 'o', 'p', 'e'});
  ExpectCleanFailure("predict-classifier --checkpoint " + dir_.file("bogus.pt"), "bogus.pt");
}

TEST_F(ClassifierCliTest, TrainEvaluatePredictOnToyData) {
  WriteToyMnist(dir_.path(), "train", 300, 1);
  WriteToyMnist(dir_.path(), "t10k", 100, 2);
  CommandResult t = RunBinary("reco", "train-classifier --data " + dir_.path() + " --epochs 2 --out " +
                                          dir_.file("m.pt") + " --metrics-json " + dir_.file("m.json"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const std::string json = Slurp(dir_.file("m.json"));
  EXPECT_NE(json.find("\"test_accuracy\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"epoch_seconds\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"samples_per_second\""), std::string::npos) << json;
  // Progress output goes to stdout as plain lines (not a TTY here): no carriage returns.
  EXPECT_NE(t.out.find("epoch 2/2"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find('\r'), std::string::npos);

  CommandResult e = RunBinary("reco", "evaluate-classifier --checkpoint " + dir_.file("m.pt") + " --data " +
                                          dir_.path() + " --metrics-json -");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("\"test_accuracy\""), std::string::npos);

  CommandResult p = RunBinary("reco", "predict-classifier --checkpoint " + dir_.file("m.pt") + " --data " +
                                          dir_.path() + " --index 5");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("probability"), std::string::npos) << p.out;
  ExpectCleanFailure("predict-classifier --checkpoint " + dir_.file("m.pt") + " --data " + dir_.path() +
                         " --index 100",
                     "outside the test set");
}

}  // namespace
}  // namespace reco::testutil
