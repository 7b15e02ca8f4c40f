#include "data/idx.h"

#include <gtest/gtest.h>

#include "testutil/idx_writer.h"

namespace reco::data {
namespace {

using testutil::IdxBytes;
using testutil::TempDir;
using testutil::WriteBytes;

std::vector<uint8_t> Labels(int n) {
  std::vector<uint8_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i % 10);
  return v;
}

TEST(IdxTest, ReadsRawAndGzipIdentically) {
  TempDir dir;
  const auto bytes = IdxBytes({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  WriteBytes(dir.file("raw-idx3-ubyte"), bytes);
  WriteBytes(dir.file("gz-idx3-ubyte.gz"), bytes, /*gzip=*/true);
  for (const auto& name : {"raw-idx3-ubyte", "gz-idx3-ubyte.gz"}) {
    auto a = ReadIdxFile(dir.file(name), 3);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(a->dims, (std::vector<int64_t>{3, 2, 2}));
    ASSERT_EQ(a->data.size(), 12u);
    EXPECT_EQ(a->data[11], 12);
  }
}

TEST(IdxTest, MissingFileNamesThePath) {
  auto a = ReadIdxFile("/nonexistent/dir/train-images-idx3-ubyte.gz");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kNotFound);
  EXPECT_NE(a.status().message().find("/nonexistent/dir/train-images-idx3-ubyte.gz"), std::string::npos);
}

TEST(IdxTest, WrongMagicIsRejected) {
  TempDir dir;
  WriteBytes(dir.file("bad"), {0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 7});  // a zip header, not IDX
  auto a = ReadIdxFile(dir.file("bad"));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("magic"), std::string::npos) << a.status().message();
  EXPECT_NE(a.status().message().find(dir.file("bad")), std::string::npos);
}

TEST(IdxTest, UnsupportedElementTypeIsRejected) {
  TempDir dir;
  WriteBytes(dir.file("f"), IdxBytes({1}, {0, 0, 0, 0}, /*type=*/0x0D));  // float32 IDX
  auto a = ReadIdxFile(dir.file("f"));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("element type"), std::string::npos);
}

TEST(IdxTest, TruncatedHeaderAndPayload) {
  TempDir dir;
  WriteBytes(dir.file("hdr"), {0, 0, 8});
  EXPECT_EQ(ReadIdxFile(dir.file("hdr")).status().code(), StatusCode::kDataLoss);
  WriteBytes(dir.file("dims"), {0, 0, 8, 3, 0, 0, 0, 5});
  EXPECT_EQ(ReadIdxFile(dir.file("dims")).status().code(), StatusCode::kDataLoss);
  auto bytes = IdxBytes({10}, Labels(10));
  bytes.resize(bytes.size() - 3);
  WriteBytes(dir.file("payload"), bytes);
  auto a = ReadIdxFile(dir.file("payload"));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("truncated IDX payload"), std::string::npos) << a.status().message();
}

TEST(IdxTest, TrailingBytesAreRejected) {
  TempDir dir;
  auto bytes = IdxBytes({4}, Labels(4));
  bytes.push_back(0);
  WriteBytes(dir.file("long"), bytes);
  EXPECT_NE(ReadIdxFile(dir.file("long")).status().message().find("trailing"), std::string::npos);
}

// A small gzip whose payload runs far past what its header promises is refused after header + 1 bytes of the
// payload have been inflated, not after all of it (a 2.6 MB file once took 4.3 GB of memory before the error).
TEST(IdxTest, GzipBombIsRefusedWithoutInflatingIt) {
  TempDir dir;
  auto bytes = IdxBytes({4}, Labels(4));
  bytes.resize(bytes.size() + (size_t{64} << 20), 0);  // 64 MB of zeros, ~64 KB gzipped
  WriteBytes(dir.file("bomb.gz"), bytes, /*gzip=*/true);
  auto head = ReadMaybeGzipFile(dir.file("bomb.gz"), 100);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size(), 101u);  // it stopped reading
  auto r = ReadIdxFile(dir.file("bomb.gz"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("trailing"), std::string::npos) << r.status().message();
  EXPECT_TRUE(ReadIdxFile(dir.file("bomb.gz")).status().message().find("bomb.gz") != std::string::npos);
}

TEST(IdxTest, RankMismatchNamesExpectation) {
  TempDir dir;
  WriteBytes(dir.file("labels"), IdxBytes({4}, Labels(4)));
  auto a = ReadIdxFile(dir.file("labels"), /*expected_rank=*/3);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("expected 3"), std::string::npos);
}

TEST(IdxTest, TruncatedGzipIsDetected) {
  TempDir dir;
  WriteBytes(dir.file("ok.gz"), IdxBytes({2000}, Labels(2000)), /*gzip=*/true);
  std::ifstream in(dir.file("ok.gz"), std::ios::binary);
  std::vector<char> gz((std::istreambuf_iterator<char>(in)), {});
  gz.resize(gz.size() / 2);
  std::ofstream(dir.file("cut.gz"), std::ios::binary).write(gz.data(), gz.size());
  auto a = ReadIdxFile(dir.file("cut.gz"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kDataLoss) << a.status().ToString();
}

TEST(IdxTest, CorruptGzipIsDetected) {
  TempDir dir;
  WriteBytes(dir.file("ok.gz"), IdxBytes({2000}, Labels(2000)), /*gzip=*/true);
  std::ifstream in(dir.file("ok.gz"), std::ios::binary);
  std::vector<char> gz((std::istreambuf_iterator<char>(in)), {});
  for (size_t i = 12; i < gz.size() - 8; i += 7) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  std::ofstream(dir.file("bad.gz"), std::ios::binary).write(gz.data(), gz.size());
  auto a = ReadIdxFile(dir.file("bad.gz"));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("bad.gz"), std::string::npos);
}

TEST(IdxTest, DirectoryInsteadOfFile) {
  TempDir dir;
  EXPECT_EQ(ReadIdxFile(dir.path()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco::data
