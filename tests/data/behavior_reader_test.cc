// Behaviour CSV reader: clean and dirty rows, line numbers, CRLF, windows, the real Taobao head, throughput.
#include <gtest/gtest.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "data/behavior_reader.h"
#include "data/events_generator.h"

namespace reco::data {
namespace {

struct Parsed {
  EventColumns cols;
  std::vector<int64_t> lines;
  BehaviorReadStats stats;
  Status status;
};

Parsed Parse(std::string_view text, BehaviorReaderOptions opt = {}) {
  Parsed p;
  opt.batch_rows = 2;  // exercise batch boundaries
  p.status = ParseBehaviorCsv(text, "mem", opt, [&p](const EventBatch& b) {
    for (size_t i = 0; i < b.size(); ++i) {
      p.cols.Append(b.user[i], b.item[i], b.cate[i], static_cast<BehaviorType>(b.type[i]), b.ts[i]);
      p.lines.push_back(b.line[i]);
    }
    return Status::Ok();
  }, &p.stats);
  return p;
}

int64_t Dirty(const BehaviorReadStats& s, DirtyReason r) { return s.dirty[static_cast<int>(r)]; }

TEST(BehaviorReader, CleanRows) {
  auto p = Parse("1,2,3,pv,1511544070\n4,5,6,cart,1511544071\n7,8,9,fav,1\n10,11,12,buy,2");  // no final newline
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.cols.size(), 4u);
  EXPECT_EQ(p.cols.user[1], 4u);
  EXPECT_EQ(p.cols.item[2], 8u);
  EXPECT_EQ(p.cols.cate[3], 12u);
  EXPECT_EQ(p.cols.type[1], static_cast<uint8_t>(BehaviorType::kCart));
  EXPECT_EQ(p.cols.type[3], static_cast<uint8_t>(BehaviorType::kBuy));
  EXPECT_EQ(p.cols.ts[0], 1511544070);
  EXPECT_EQ(p.lines, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(p.stats.lines, 4);
  EXPECT_EQ(p.stats.dirty_total(), 0);
}

TEST(BehaviorReader, CrlfAccepted) {
  auto p = Parse("1,2,3,pv,10\r\n4,5,6,buy,11\r\n");
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.cols.size(), 2u);
  EXPECT_EQ(p.stats.crlf_lines, 2);
  EXPECT_EQ(p.cols.ts[1], 11);
}

TEST(BehaviorReader, DirtyRowsCountedWithLineNumbers) {
  const std::string text =
      "1,2,3,pv,10\n"              // 1 ok
      "\n"                         // 2 empty
      "1,2,3,pv\n"                 // 3 field count
      "1,2,3,pv,10,11\n"           // 4 field count
      "x,2,3,pv,10\n"              // 5 bad id
      "-1,2,3,pv,10\n"             // 6 negative id
      "1,,3,pv,10\n"               // 7 empty id
      "1,2,9007199254740993,pv,10\n"  // 8 id > 2^53
      "1,2,99999999999999999999999,pv,10\n"  // 9 overflow
      "1,2,3,click,10\n"           // 10 bad type
      "1,2,3,PV,10\n"              // 11 case-sensitive
      "1,2,3,pv,abc\n"             // 12 bad timestamp
      "1,2,3,pv,-5\n"              // 13 negative timestamp
      "1, 2,3,pv,10\n"             // 14 space
      "\r\n"                       // 15 empty (CRLF)
      "9007199254740992,2,3,buy,10\n";  // 16 ok: exactly 2^53
  BehaviorReaderOptions opt;
  opt.max_examples = 3;
  auto p = Parse(text, opt);
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.cols.size(), 2u);
  EXPECT_EQ(p.lines, (std::vector<int64_t>{1, 16}));
  EXPECT_EQ(p.cols.user[1], kMaxRawId);
  const auto& s = p.stats;
  EXPECT_EQ(s.lines, 16);
  EXPECT_EQ(s.rows_ok, 2);
  EXPECT_EQ(Dirty(s, DirtyReason::kEmptyLine), 2);
  EXPECT_EQ(Dirty(s, DirtyReason::kFieldCount), 2);
  EXPECT_EQ(Dirty(s, DirtyReason::kBadId), 4);
  EXPECT_EQ(Dirty(s, DirtyReason::kIdTooLarge), 2);
  EXPECT_EQ(Dirty(s, DirtyReason::kBadBehaviorType), 2);
  EXPECT_EQ(Dirty(s, DirtyReason::kBadTimestamp), 2);
  EXPECT_EQ(s.dirty_total(), 14);
  ASSERT_EQ(s.examples.size(), 3u);  // capped
  EXPECT_EQ(s.examples[0].line, 2);
  EXPECT_EQ(s.examples[0].reason, DirtyReason::kEmptyLine);
  EXPECT_EQ(s.examples[1].line, 3);
  EXPECT_EQ(s.examples[1].text, "1,2,3,pv");
  EXPECT_NE(s.Summary().find("line 3 [field_count]"), std::string::npos) << s.Summary();
}

TEST(BehaviorReader, TimestampWindow) {
  BehaviorReaderOptions opt;
  opt.min_timestamp = 100;
  opt.max_timestamp = 200;
  auto p = Parse("1,2,3,pv,99\n1,2,3,pv,100\n1,2,3,pv,199\n1,2,3,pv,200\n", opt);
  EXPECT_EQ(p.cols.size(), 2u);
  EXPECT_EQ(Dirty(p.stats, DirtyReason::kTimestampOutOfWindow), 2);
  EXPECT_EQ(p.stats.examples.at(0).line, 1);
  EXPECT_EQ(p.stats.examples.at(1).line, 4);
}

TEST(BehaviorReader, BinaryGarbageNeverCrashes) {
  std::string junk;
  uint64_t x = 12345;
  for (int i = 0; i < 100000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const char alphabet[] = "0123456789,,,\n\r pvcartfavbuy-\0\xff";
    junk.push_back(alphabet[(x >> 33) % (sizeof(alphabet) - 1)]);
  }
  auto p = Parse(junk);
  EXPECT_TRUE(p.status.ok());
  EXPECT_EQ(p.stats.rows_ok + p.stats.dirty_total(), p.stats.lines);
}

TEST(BehaviorReader, EmptyAndMissingFiles) {
  auto p = Parse("");
  EXPECT_TRUE(p.status.ok());
  EXPECT_EQ(p.stats.lines, 0);
  BehaviorReadStats st;
  Status s = ReadBehaviorCsv("/nonexistent/x.csv", {}, [](const EventBatch&) { return Status::Ok(); }, &st);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("/nonexistent/x.csv"), std::string::npos);
}

TEST(BehaviorReader, CallbackErrorStopsTheRead) {
  BehaviorReadStats st;
  BehaviorReaderOptions opt;
  opt.batch_rows = 1;
  int calls = 0;
  Status s = ParseBehaviorCsv("1,2,3,pv,1\n1,2,3,pv,2\n1,2,3,pv,3\n", "mem", opt, [&calls](const EventBatch&) {
    return ++calls == 2 ? InvalidArgumentError("stop") : Status::Ok();
  }, &st);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 2);
}

TEST(BehaviorReader, RealTaobaoHead) {
  const std::string path = "../shared/data/taobao_userbehavior_head/UserBehavior_head.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent (shared data not mounted)";
  BehaviorReadStats st;
  auto cols = LoadBehaviorCsv(path, TaobaoWindowOptions(), &st);
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  std::printf("%s\n", st.Summary().c_str());
  EXPECT_EQ(st.lines, 4321);
  EXPECT_EQ(st.rows_ok, 4320);
  EXPECT_EQ(st.dirty[static_cast<int>(DirtyReason::kTimestampOutOfWindow)], 1);
  int64_t by_type[4] = {};
  for (uint8_t t : cols->type) ++by_type[t];
  // README counts include the out-of-window row: pv 3,926 · cart 190 · fav 128 · buy 77.
  EXPECT_EQ(by_type[0] + by_type[1] + by_type[2] + by_type[3], 4320);
  EXPECT_NEAR(by_type[0], 3926, 1);
  EXPECT_NEAR(by_type[1], 190, 1);
  EXPECT_NEAR(by_type[2], 128, 1);
  EXPECT_NEAR(by_type[3], 77, 1);
  // Without a window every row is good.
  BehaviorReadStats all;
  ASSERT_TRUE(LoadBehaviorCsv(path, {}, &all).ok());
  EXPECT_EQ(all.rows_ok, 4321);
}

TEST(BehaviorReader, ThroughputOnOneMillionRows) {
  EventGeneratorOptions g;
  g.users = 5000, g.items = 50000, g.categories = 500, g.seed = 7;
  std::string csv;
  ASSERT_TRUE(GenerateEvents(g, [&csv](std::string_view c) { csv.append(c); return Status::Ok(); }, nullptr).ok());
  // Trim or repeat to exactly 1M rows.
  std::string text;
  int64_t rows = 0;
  size_t pos = 0;
  while (rows < 1000000) {
    const size_t nl = csv.find('\n', pos);
    if (nl == std::string::npos) { pos = 0; continue; }
    text.append(csv, pos, nl + 1 - pos);
    pos = nl + 1, ++rows;
  }
  const std::string path = ::testing::TempDir() + "/behavior_1m.csv";
  { std::ofstream(path, std::ios::binary) << text; }
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    BehaviorReadStats st;
    int64_t sum = 0;
    timespec c0{}, c1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    Status s = ReadBehaviorCsv(path, {}, [&sum](const EventBatch& b) { sum += static_cast<int64_t>(b.size()); return Status::Ok(); }, &st);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double secs = static_cast<double>(c1.tv_sec - c0.tv_sec) + 1e-9 * static_cast<double>(c1.tv_nsec - c0.tv_nsec);
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(sum, 1000000);
    best = std::max(best, 1e6 / secs);
  }
  std::printf("behaviour CSV reader: %.2fM rows/s (best of 3 in thread CPU time, 1M rows, %.1f MB, one core)\n", best / 1e6,
              static_cast<double>(text.size()) / 1e6);
  RecordProperty("rows_per_second", static_cast<int>(best));
  // Speed is reported, not asserted: timing assertions do not belong in unit tests (noisy machines).
  EXPECT_GT(best, 0.0);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace reco::data
