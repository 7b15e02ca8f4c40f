// IdVocab: padding/OOV/min-count, deterministic order, file round trip and bad files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "data/vocab_id.h"

namespace reco::data {
namespace {

TEST(IdVocab, PaddingOovAndMinCount) {
  const IdVocab v = IdVocab::Build({{100, 5}, {200, 1}, {300, 5}, {400, 2}}, /*min_count=*/2, "item");
  EXPECT_EQ(v.size(), 2 + 3);  // pad, oov, 100, 300, 400
  EXPECT_EQ(v.Lookup(100), 2);  // count 5, smaller raw id first on ties
  EXPECT_EQ(v.Lookup(300), 3);
  EXPECT_EQ(v.Lookup(400), 4);
  EXPECT_EQ(v.Lookup(200), IdVocab::kOov);  // below min_count
  EXPECT_EQ(v.Lookup(999), IdVocab::kOov);  // unknown
  EXPECT_EQ(v.RawId(3), 300u);
  EXPECT_EQ(v.Count(4), 2);
  for (uint64_t id : {100, 200, 300, 400, 999}) EXPECT_NE(v.Lookup(id), IdVocab::kPadding);
}

TEST(IdVocab, SaveLoadRoundTrip) {
  const IdVocab v = IdVocab::Build({{9007199254740992ull, 3}, {7, 1}, {8, 2}}, 1, "user");
  const std::string path = ::testing::TempDir() + "/vocab_rt.txt";
  ASSERT_TRUE(v.Save(path).ok());
  auto loaded = IdVocab::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->size(), v.size());
  EXPECT_EQ(loaded->name(), "user");
  for (uint64_t id : {9007199254740992ull, 7ull, 8ull, 5ull}) EXPECT_EQ(loaded->Lookup(id), v.Lookup(id));
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "# reco-vocab v1 name=user size=5 min_count=1");
}

TEST(IdVocab, BadFilesAreClearErrors) {
  const std::string dir = ::testing::TempDir();
  EXPECT_EQ(IdVocab::Load(dir + "/no_such_vocab.txt").status().code(), StatusCode::kNotFound);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return IdVocab::Load(dir + "/" + name).status();
  };
  Status s = write("v_bad_header.txt", "hello\n1\t2\n");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("v_bad_header.txt:1"), std::string::npos) << s.message();
  s = write("v_truncated.txt", "# reco-vocab v1 name=item size=5 min_count=1\n1\t3\n2\t2\n");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
  s = write("v_malformed.txt", "# reco-vocab v1 name=item size=4 min_count=1\n1\t3\nx\t2\n");
  EXPECT_NE(s.message().find(":3: malformed"), std::string::npos) << s.message();
  s = write("v_dup.txt", "# reco-vocab v1 name=item size=4 min_count=1\n1\t3\n1\t2\n");
  EXPECT_NE(s.message().find("duplicate id 1"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace reco::data
