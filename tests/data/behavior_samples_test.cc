// DIN samples: histories, truncation, negatives, splits, single-event users, unsorted input, the mmap file.
#include <gtest/gtest.h>

#include <time.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "data/behavior_reader.h"
#include "data/events_generator.h"
#include "data/samples_builder.h"
#include "data/samples_file.h"
#include "data/samples_pipeline.h"

namespace reco::data {
namespace {

// CPU seconds of this thread: "one core" throughput that stays meaningful when other builds load the machine.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

EventColumns FromCsv(const std::string& csv) {
  EventColumns c;
  EXPECT_TRUE(ParseBehaviorCsv(csv, "t", {}, [&c](const EventBatch& b) {
    for (size_t i = 0; i < b.size(); ++i) c.Append(b.user[i], b.item[i], b.cate[i], static_cast<BehaviorType>(b.type[i]), b.ts[i]);
    return Status::Ok();
  }, nullptr).ok());
  return c;
}

// Raw item ids of a sample's history.
std::vector<uint64_t> RawHistory(const SampleDataset& d, const SampleRecord& r) {
  std::vector<uint64_t> out;
  for (uint64_t e = r.event - r.hist_len; e < r.event; ++e) out.push_back(d.item_vocab.RawId(d.event_item[e]));
  return out;
}

TEST(Samples, HistoriesTruncationAndSingleEventUsers) {
  // User 1: items 11..16 at t=1..6; user 2: one event; user 3: two events.
  const std::string csv =
      "1,11,1,pv,1\n1,12,1,pv,2\n1,13,2,cart,3\n1,14,2,pv,4\n1,15,1,buy,5\n1,16,3,pv,6\n"
      "2,11,1,pv,3\n"
      "3,12,1,pv,1\n3,17,3,fav,9\n";
  SampleBuildOptions o;
  o.max_history = 3;
  o.num_negatives = 0;
  o.split = SplitMode::kLastEvent;
  SampleBuildStats st;
  auto d = BuildSamples(FromCsv(csv), o, &st);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(st.users, 3);
  EXPECT_EQ(st.single_event_users, 1);
  EXPECT_EQ(d->samples.size(), 5u + 1u);  // user 1: positions 1..5; user 3: 1
  EXPECT_EQ(st.truncated_histories, 2);   // positions 4 and 5 of user 1 have 4 and 5 earlier events
  // Find user 1's samples by target item.
  std::map<uint64_t, std::vector<uint64_t>> hist_by_target;
  std::map<uint64_t, int> split_by_target;
  for (const auto& r : d->samples) {
    if (d->user_vocab.RawId(static_cast<int32_t>(r.user)) != 1) continue;
    const uint64_t target = d->item_vocab.RawId(d->event_item[r.event]);
    hist_by_target[target] = RawHistory(*d, r);
    split_by_target[target] = r.split;
  }
  EXPECT_EQ(hist_by_target[12], (std::vector<uint64_t>{11}));
  EXPECT_EQ(hist_by_target[14], (std::vector<uint64_t>{11, 12, 13}));
  EXPECT_EQ(hist_by_target[16], (std::vector<uint64_t>{13, 14, 15}));  // most recent 3
  EXPECT_EQ(split_by_target[16], static_cast<int>(Split::kTest));
  EXPECT_EQ(split_by_target[15], static_cast<int>(Split::kValidation));
  EXPECT_EQ(split_by_target[14], static_cast<int>(Split::kTrain));
  // Samples are grouped train, validation, test.
  EXPECT_TRUE(std::is_sorted(d->samples.begin(), d->samples.end(), [](auto& a, auto& b) { return a.split < b.split; }));
  EXPECT_EQ(d->header.split_count[2], 2u);  // one test sample per user with samples
}

TEST(Samples, UnsortedTimestampsAreStableSorted) {
  // User 5's rows are out of order and interleaved with user 6's; equal times keep file order.
  const std::string csv = "5,3,1,pv,30\n6,1,1,pv,1\n5,1,1,pv,10\n5,2,1,pv,20\n6,2,1,pv,2\n5,4,1,pv,20\n";
  SampleBuildOptions o;
  o.num_negatives = 0;
  SampleBuildStats st;
  auto d = BuildSamples(FromCsv(csv), o, &st);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(st.unsorted_users, 1);
  const int32_t u5 = d->user_vocab.Lookup(5);
  std::vector<uint64_t> seq;
  for (uint64_t e = d->user_offset[u5]; e < d->user_offset[u5 + 1]; ++e) seq.push_back(d->item_vocab.RawId(d->event_item[e]));
  EXPECT_EQ(seq, (std::vector<uint64_t>{1, 2, 4, 3}));
}

TEST(Samples, TimeSplit) {
  const std::string csv = "1,1,1,pv,100\n1,2,1,pv,200\n1,3,1,pv,300\n1,4,1,pv,400\n2,1,1,pv,150\n2,5,1,pv,350\n";
  SampleBuildOptions o;
  o.num_negatives = 0;
  o.split = SplitMode::kTime;
  o.train_end = 300;
  o.valid_end = 400;
  auto d = BuildSamples(FromCsv(csv), o, nullptr);
  ASSERT_TRUE(d.ok());
  for (const auto& r : d->samples) {
    const int64_t t = d->header.base_time + d->event_time[r.event];
    const int expect = t < 300 ? 0 : t < 400 ? 1 : 2;
    EXPECT_EQ(r.split, expect) << "target time " << t;
  }
  EXPECT_EQ(d->header.split_count[0], 1u);  // t=200
  EXPECT_EQ(d->header.split_count[1], 2u);  // t=300, 350
  EXPECT_EQ(d->header.split_count[2], 1u);  // t=400
}

TEST(Samples, NegativesNeverTouchedByTheUserAndDeterministic) {
  EventGeneratorOptions g;
  g.users = 300, g.items = 400, g.categories = 20, g.seed = 3;  // few items: heavy rejection pressure
  std::string csv;
  ASSERT_TRUE(GenerateEvents(g, [&csv](std::string_view c) { csv.append(c); return Status::Ok(); }, nullptr).ok());
  SampleBuildOptions o;
  o.num_negatives = 4;
  o.seed = 11;
  auto d = BuildSamples(FromCsv(csv), o, nullptr);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->negatives.size(), d->samples.size() * 4);
  for (size_t i = 0; i < d->samples.size(); ++i) {
    const auto& r = d->samples[i];
    std::set<int32_t> touched(d->event_item.begin() + d->user_offset[r.user], d->event_item.begin() + d->user_offset[r.user + 1]);
    for (int q = 0; q < 4; ++q) {
      const int32_t neg = d->negatives[i * 4 + q];
      ASSERT_GE(neg, IdVocab::kFirstIndex);
      ASSERT_LT(neg, d->item_vocab.size());
      ASSERT_EQ(touched.count(neg), 0u) << "sample " << i << " negative " << neg << " was touched by its user";
    }
  }
  // Popularity sampling: negatives are biased towards frequent items (uniform sampling would give the plain mean).
  double neg_mean = 0, vocab_mean = 0;
  for (int32_t neg : d->negatives) neg_mean += static_cast<double>(d->item_vocab.Count(neg));
  neg_mean /= static_cast<double>(d->negatives.size());
  for (int32_t i = IdVocab::kFirstIndex; i < d->item_vocab.size(); ++i) vocab_mean += static_cast<double>(d->item_vocab.Count(i));
  vocab_mean /= d->item_vocab.size() - IdVocab::kFirstIndex;
  std::printf("mean count of negative items %.1f vs of all items %.1f\n", neg_mean, vocab_mean);
  EXPECT_GT(neg_mean, 1.5 * vocab_mean);
  auto again = BuildSamples(FromCsv(csv), o, nullptr);
  EXPECT_EQ(again->negatives, d->negatives);
  // A file with a single user (who then touched every vocabulary item) cannot get negatives: a clear error.
  auto all = BuildSamples(FromCsv("1,1,1,pv,1\n1,2,1,pv,2\n"), o, nullptr);
  EXPECT_EQ(all.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(all.status().message().find("every item"), std::string::npos);
  o.num_negatives = 0;  // without negatives the single-user file is fine
  auto one = BuildSamples(FromCsv("1,1,1,pv,1\n1,2,1,pv,2\n"), o, nullptr);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->samples.size(), 1u);
}

TEST(Samples, OovTargetsSkippedAndBadInputs) {
  SampleBuildOptions o;
  o.num_negatives = 0;
  o.item_min_count = 2;
  SampleBuildStats st;
  auto d = BuildSamples(FromCsv("1,1,1,pv,1\n1,2,1,pv,2\n1,1,1,pv,3\n2,1,1,pv,1\n2,3,1,pv,5\n"), o, &st);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(st.oov_targets_skipped, 2);  // items 2 and 3 occur once
  EXPECT_EQ(d->samples.size(), 1u);
  EXPECT_EQ(BuildSamples(EventColumns{}, o, nullptr).status().code(), StatusCode::kInvalidArgument);
  o.max_history = 0;
  EXPECT_EQ(BuildSamples(FromCsv("1,1,1,pv,1\n"), o, nullptr).status().code(), StatusCode::kInvalidArgument);
}

class SampleFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EventGeneratorOptions g;
    g.users = 200, g.items = 3000, g.categories = 50, g.seed = 5;
    std::string csv;
    ASSERT_TRUE(GenerateEvents(g, [&csv](std::string_view c) { csv.append(c); return Status::Ok(); }, nullptr).ok());
    SampleBuildOptions o;
    o.max_history = 20;
    o.num_negatives = 2;
    auto d = BuildSamples(FromCsv(csv), o, nullptr);
    ASSERT_TRUE(d.ok());
    data_ = std::move(*d);
    path_ = ::testing::TempDir() + "/samples_rt.bin";
    ASSERT_TRUE(WriteSampleFile(data_, path_).ok());
  }
  SampleDataset data_;
  std::string path_;
};

TEST_F(SampleFileTest, RoundTripThroughMmap) {
  auto f = SampleFile::Open(path_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const SampleFile& sf = **f;
  EXPECT_EQ(sf.max_history(), 20);
  EXPECT_EQ(sf.num_negatives(), 2);
  EXPECT_EQ(sf.header().num_samples, data_.samples.size());
  size_t i = 0;
  for (int s = 0; s < kNumSplits; ++s) {
    for (const auto& r : sf.samples(static_cast<Split>(s))) {
      const auto& w = data_.samples[i];
      ASSERT_EQ(r.event, w.event); ASSERT_EQ(r.hist_len, w.hist_len); ASSERT_EQ(r.user, w.user);
      ASSERT_EQ(sf.target_item(r), data_.event_item[w.event]);
      ASSERT_TRUE(std::equal(sf.hist_item(r).begin(), sf.hist_item(r).end(), data_.event_item.begin() + (w.event - w.hist_len)));
      ++i;
    }
  }
  // A padded batch: 1 positive + 2 negatives per sample, histories left-aligned.
  DinBatch b;
  sf.FillBatch(Split::kTrain, 0, 4, &b);
  ASSERT_EQ(b.rows, 12);
  const auto& r0 = sf.samples(Split::kTrain)[0];
  EXPECT_EQ(b.label[0], 1.0f); EXPECT_EQ(b.label[1], 0.0f); EXPECT_EQ(b.label[2], 0.0f);
  EXPECT_EQ(b.target_item[0], sf.target_item(r0));
  EXPECT_EQ(b.target_item[1], sf.negatives(Split::kTrain, 0)[0]);
  EXPECT_EQ(b.target_cate[1], sf.item_category(b.target_item[1]));
  EXPECT_EQ(b.hist_len[0], r0.hist_len);
  for (int h = 0; h < 20; ++h) {
    EXPECT_EQ(b.hist_mask[h], h < r0.hist_len ? 1 : 0);
    if (h < r0.hist_len) {
      EXPECT_EQ(b.hist_item[h], sf.hist_item(r0)[h]);
      EXPECT_GE(b.hist_recency[h], 1); EXPECT_LT(b.hist_recency[h], kNumRecencyBuckets);
    } else {
      EXPECT_EQ(b.hist_item[h], 0); EXPECT_EQ(b.hist_recency[h], 0);
    }
  }
  EXPECT_EQ(b.hist_item[20 + 0], b.hist_item[0]);  // negatives share the history
}

TEST(Samples, RecencyBuckets) {
  EXPECT_EQ(RecencyBucket(0), 1);
  EXPECT_EQ(RecencyBucket(59), 1);
  EXPECT_EQ(RecencyBucket(60), 2);
  EXPECT_EQ(RecencyBucket(3 * 60), 3);
  EXPECT_EQ(RecencyBucket(int64_t{1} << 40), kNumRecencyBuckets - 1);
  EXPECT_EQ(RecencyBucket(-5), 1);
}

TEST_F(SampleFileTest, CorruptAndTruncatedFilesAreClearErrors) {
  std::string bytes;
  {
    std::ifstream in(path_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string dir = ::testing::TempDir();
  auto open_with = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir + "/" + name, std::ios::binary) << content;
    return SampleFile::Open(dir + "/" + name).status();
  };
  Status s = open_with("s_trunc.bin", bytes.substr(0, bytes.size() - 8));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("s_trunc.bin"), std::string::npos);
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
  s = open_with("s_header.bin", bytes.substr(0, 50));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  std::string bad = bytes;
  bad[0] = 'X';
  EXPECT_NE(open_with("s_magic.bin", bad).message().find("magic"), std::string::npos);
  bad = bytes;
  bad[8] = 9;  // version
  EXPECT_NE(open_with("s_version.bin", bad).message().find("version"), std::string::npos);
  bad = bytes;
  bad[sizeof(SampleFileHeader) + 1] = 0x7f;  // first event's item index far out of range
  EXPECT_EQ(open_with("s_item.bin", bad).code(), StatusCode::kDataLoss);
  EXPECT_EQ(open_with("s_empty.bin", "").code(), StatusCode::kDataLoss);
  EXPECT_EQ(SampleFile::Open(dir + "/no_such_samples.bin").status().code(), StatusCode::kNotFound);
}

TEST(Samples, EventsToSamplesThroughput) {
  EventGeneratorOptions g;
  g.users = 5000, g.items = 50000, g.categories = 500, g.seed = 9;
  std::string csv;
  ASSERT_TRUE(GenerateEvents(g, [&csv](std::string_view c) { csv.append(c); return Status::Ok(); }, nullptr).ok());
  const std::string csv_path = ::testing::TempDir() + "/samples_bench.csv";
  { std::ofstream(csv_path, std::ios::binary) << csv; }
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuSeconds();
  auto cols = LoadBehaviorCsv(csv_path, {}, nullptr);
  ASSERT_TRUE(cols.ok());
  const auto t1 = std::chrono::steady_clock::now();
  const int64_t n = static_cast<int64_t>(cols->size());
  SampleBuildOptions o;
  o.num_negatives = 1;
  auto d = BuildSamples(std::move(*cols), o, nullptr);
  ASSERT_TRUE(d.ok());
  const auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(WriteSampleFile(*d, ::testing::TempDir() + "/samples_bench.bin").ok());
  const auto t3 = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::printf("phases: read %.0f ms, build %.0f ms, write %.0f ms\n", ms(t0, t1), ms(t1, t2), ms(t2, t3));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double secs = ThreadCpuSeconds() - cpu0;
  std::printf("events -> samples (CSV read + vocab + sequences + 1 negative + file write): %lld events, %zu samples, "
              "%.2fM events/s per CPU-second on one thread (%.2fM/s wall)\n", static_cast<long long>(n),
              d->samples.size(), n / secs / 1e6, n / wall / 1e6);
  // Reported, not asserted (see the reader test): the 1M events/s target is checked by reading this line.
  EXPECT_GT(n, 0);
  std::filesystem::remove(csv_path);
  std::filesystem::remove(::testing::TempDir() + "/samples_bench.bin");
}

}  // namespace
}  // namespace reco::data

namespace reco::data {
namespace {

TEST(SamplePipeline, RealTaobaoHeadEndToEnd) {
  const std::string path = "../shared/data/taobao_userbehavior_head/UserBehavior_head.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent (shared data not mounted)";
  const std::string dir = ::testing::TempDir() + "/taobao_head_samples";
  SampleBuildOptions o;
  o.max_history = 50;
  o.num_negatives = 2;
  SamplePipelineReport report;
  Status s = BuildSampleDirFromCsv(path, TaobaoWindowOptions(), o, dir, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::printf("%s\n", report.Summary().c_str());
  EXPECT_EQ(report.read.rows_ok, 4320);
  EXPECT_EQ(report.build.users, 43);
  auto f = SampleFile::Open(dir + "/samples.bin");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->header().num_events, 4320u);
  EXPECT_EQ((*f)->samples(Split::kTest).size(), static_cast<size_t>(report.build.split_count[2]));
  auto items = IdVocab::Load(dir + "/item_vocab.txt");
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(static_cast<uint64_t>(items->size()), (*f)->header().num_items);
  // 3,276 distinct items in the head (README); the out-of-window row's item occurs nowhere else; + padding, OOV.
  EXPECT_EQ(items->size(), 3275 + 2);
}

TEST(SamplePipeline, EmptyAndAllDirtyFiles) {
  const std::string dir = ::testing::TempDir();
  { std::ofstream(dir + "/empty.csv") << ""; }
  { std::ofstream(dir + "/dirty.csv") << "a,b,c\n1,2,3,click,5\n"; }
  Status s = BuildSampleDirFromCsv(dir + "/empty.csv", {}, {}, dir + "/out_empty", nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no usable rows"), std::string::npos);
  s = BuildSampleDirFromCsv(dir + "/dirty.csv", {}, {}, dir + "/out_dirty", nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("field_count: 1"), std::string::npos) << s.message();
  EXPECT_EQ(BuildSampleDirFromCsv(dir + "/missing.csv", {}, {}, dir + "/out_missing", nullptr).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::data
