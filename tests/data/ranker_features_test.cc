// seed-mlp features: hand-computed values from training events only, time split, file round trip and bad files.
#include "data/ranker_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "data/behavior_reader.h"
#include "data/samples_builder.h"
#include "testutil/idx_writer.h"

namespace reco::data {
namespace {

std::unique_ptr<SampleFile> Build(const std::string& csv, const SampleBuildOptions& o, const testutil::TempDir& dir) {
  EventColumns c;
  EXPECT_TRUE(ParseBehaviorCsv(
                  csv, "t", {},
                  [&c](const EventBatch& b) {
                    for (size_t i = 0; i < b.size(); ++i)
                      c.Append(b.user[i], b.item[i], b.cate[i], static_cast<BehaviorType>(b.type[i]), b.ts[i]);
                    return Status::Ok();
                  },
                  nullptr)
                  .ok());
  auto d = BuildSamples(std::move(c), o, nullptr);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(WriteSampleFile(*d, dir.file("samples.bin")).ok());
  auto sf = SampleFile::Open(dir.file("samples.bin"));
  EXPECT_TRUE(sf.ok()) << sf.status().ToString();
  return std::move(*sf);
}

// User 1 (index 2): 6 events; last-event split makes its last two targets (items 14, 15) validation/test, so its
// training events are the first four. User 2 (index 3): 3 events, training = its first event only.
constexpr char kCsv[] =
    "1,11,1,pv,1\n1,12,1,pv,2\n1,11,1,cart,3\n1,13,2,buy,4\n1,14,2,pv,5\n1,15,3,pv,6\n"
    "2,11,1,pv,1\n2,16,1,fav,2\n2,11,1,buy,3\n";

TEST(RankerFeatures, HandComputedFromTrainingEventsOnly) {
  testutil::TempDir dir;
  SampleBuildOptions o;
  o.num_negatives = 0;
  o.split = SplitMode::kLastEvent;
  auto sf = Build(kCsv, o, dir);
  const RankerFeatures f = ComputeRankerFeatures(*sf);
  ASSERT_EQ(f.user.rows(), 4);
  ASSERT_EQ(f.item.rows(), 8);  // 6 items + padding + OOV
  ASSERT_EQ(f.user.dim(), kRankerFeatureDim);
  const auto u1 = f.user.row(2);
  EXPECT_FLOAT_EQ(u1[0], std::log1p(2.0f));  // pv
  EXPECT_FLOAT_EQ(u1[1], std::log1p(1.0f));  // cart
  EXPECT_FLOAT_EQ(u1[2], 0.0f);              // fav
  EXPECT_FLOAT_EQ(u1[3], std::log1p(1.0f));  // buy
  EXPECT_FLOAT_EQ(u1[4], std::log1p(3.0f));  // items 11, 12, 13
  EXPECT_FLOAT_EQ(u1[5], std::log1p(2.0f));  // categories 1, 2
  EXPECT_FLOAT_EQ(u1[6], 0.25f);             // 1 buy in 4 events
  EXPECT_FLOAT_EQ(u1[7], 0.75f);             // 3 of 4 events in category 1
  const auto u2 = f.user.row(3);
  EXPECT_FLOAT_EQ(u2[0], std::log1p(1.0f));
  EXPECT_FLOAT_EQ(u2[3], 0.0f);  // the buy is a test target: not a feature
  for (float v : f.user.row(0)) EXPECT_EQ(v, 0.0f);
  // Items: index 2 = raw 11 (most frequent), 3..7 = raw 12..16.
  const auto i11 = f.item.row(2);
  EXPECT_FLOAT_EQ(i11[0], std::log1p(2.0f));
  EXPECT_FLOAT_EQ(i11[1], std::log1p(1.0f));
  EXPECT_FLOAT_EQ(i11[3], 0.0f);
  EXPECT_FLOAT_EQ(i11[4], std::log1p(2.0f));  // two users
  EXPECT_FLOAT_EQ(i11[5], 1.0f / 3.0f);       // 1 cart in 3 events
  EXPECT_FLOAT_EQ(i11[6], 0.0f);              // most popular
  EXPECT_FLOAT_EQ(i11[7], std::log1p(4.0f));  // category 1 has 4 training events
  EXPECT_FLOAT_EQ(f.item.row(3)[6], 1.0f / 8);
  EXPECT_FLOAT_EQ(f.item.row(4)[5], 1.0f);  // item 13: one buy
  EXPECT_FLOAT_EQ(f.item.row(4)[6], 2.0f / 8);
  const auto i14 = f.item.row(5);  // only a validation target: unseen in training
  EXPECT_FLOAT_EQ(i14[0], 0.0f);
  EXPECT_FLOAT_EQ(i14[6], 1.0f);
  EXPECT_FLOAT_EQ(i14[7], std::log1p(1.0f));  // category 2: the buy of item 13
  EXPECT_FLOAT_EQ(f.item.row(1)[6], 1.0f);    // OOV row = unseen item
  EXPECT_FLOAT_EQ(f.item.row(1)[7], 0.0f);
}

TEST(RankerFeatures, TimeSplitUsesEventsBeforeTrainEnd) {
  testutil::TempDir dir;
  SampleBuildOptions o;
  o.num_negatives = 0;
  o.split = SplitMode::kTime;
  o.train_end = 3;  // events at t = 1, 2
  o.valid_end = 5;
  auto sf = Build(kCsv, o, dir);
  const RankerFeatures f = ComputeRankerFeatures(*sf);
  EXPECT_FLOAT_EQ(f.user.row(2)[0], std::log1p(2.0f));
  EXPECT_FLOAT_EQ(f.user.row(2)[1], 0.0f);              // the cart is at t = 3
  EXPECT_FLOAT_EQ(f.user.row(3)[2], std::log1p(1.0f));  // user 2's fav at t = 2
}

TEST(RankerFeatures, DeterministicAndRoundTrips) {
  testutil::TempDir dir;
  SampleBuildOptions o;
  o.num_negatives = 1;
  auto sf = Build(kCsv, o, dir);
  const RankerFeatures a = ComputeRankerFeatures(*sf), b = ComputeRankerFeatures(*sf);
  EXPECT_EQ(a.item.values, b.item.values);
  ASSERT_TRUE(SaveFeatureTable(a.item, dir.file(kItemFeatureFile)).ok());
  auto loaded = LoadFeatureTable(dir.file(kItemFeatureFile));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->name, "item");
  EXPECT_EQ(loaded->columns, std::vector<std::string>(kItemFeatureNames.begin(), kItemFeatureNames.end()));
  EXPECT_EQ(loaded->values, a.item.values);  // %.9g is exact for floats
}

TEST(RankerFeatures, BadFilesAreClearErrors) {
  testutil::TempDir dir;
  auto missing = LoadFeatureTable(dir.file("nope.tsv"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.tsv"), std::string::npos);
  auto write = [&](const std::string& text) {
    std::ofstream(dir.file("f.tsv")) << text;
    return LoadFeatureTable(dir.file("f.tsv"));
  };
  EXPECT_FALSE(write("").ok());
  EXPECT_FALSE(write("hello\n").ok());
  EXPECT_FALSE(write("# reco-features v1 name=user rows=2 dim=2 columns=a,b\n1\t2\n").ok());     // short
  EXPECT_FALSE(write("# reco-features v1 name=user rows=1 dim=2 columns=a,b\n1\tx\n").ok());     // not a number
  EXPECT_FALSE(write("# reco-features v1 name=user rows=1 dim=2 columns=a,b\n1\t2\t3\n").ok());  // extra
  EXPECT_FALSE(write("# reco-features v1 name=user rows=1 dim=3 columns=a,b\n1\t2\n").ok());     // dim vs names
  auto bad = write("# reco-features v1 name=user rows=2 dim=2 columns=a,b\n1\t2\n3\tnan\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("f.tsv:3"), std::string::npos) << bad.status().message();
  EXPECT_TRUE(write("# reco-features v1 name=user rows=1 dim=2 columns=a,b\n1\t2\n").ok());
}

}  // namespace
}  // namespace reco::data
