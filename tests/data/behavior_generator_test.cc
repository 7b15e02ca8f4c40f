// Synthetic event generator: determinism, format, id ranges, order, funnel, and learnable sequence structure.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "data/behavior_reader.h"
#include "data/events_generator.h"

namespace reco::data {
namespace {

std::string Generate(const EventGeneratorOptions& o, EventGeneratorStats* st = nullptr) {
  std::string csv;
  Status s = GenerateEvents(o, [&csv](std::string_view c) { csv.append(c); return Status::Ok(); }, st);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return csv;
}

EventColumns ParseAll(const std::string& csv, BehaviorReadStats* st) {
  EventColumns cols;
  Status s = ParseBehaviorCsv(csv, "gen", {}, [&cols](const EventBatch& b) {
    for (size_t i = 0; i < b.size(); ++i) cols.Append(b.user[i], b.item[i], b.cate[i], static_cast<BehaviorType>(b.type[i]), b.ts[i]);
    return Status::Ok();
  }, st);
  EXPECT_TRUE(s.ok());
  return cols;
}

EventGeneratorOptions Small() {
  EventGeneratorOptions o;
  o.users = 2000, o.items = 20000, o.categories = 200, o.days = 9, o.seed = 42;
  return o;
}

TEST(EventGenerator, DeterministicPerSeed) {
  auto o = Small();
  o.users = 300;
  const std::string a = Generate(o), b = Generate(o);
  EXPECT_EQ(a, b);
  o.seed = 43;
  EXPECT_NE(a, Generate(o));
}

TEST(EventGenerator, FormatRangesOrderAndFunnel) {
  const auto o = Small();
  EventGeneratorStats gst;
  const std::string csv = Generate(o, &gst);
  BehaviorReadStats st;
  const EventColumns c = ParseAll(csv, &st);
  ASSERT_EQ(st.dirty_total(), 0) << st.Summary();
  ASSERT_EQ(static_cast<int64_t>(c.size()), gst.events);
  ASSERT_GT(c.size(), 100000u);
  std::set<uint64_t> cates_of_item_1;
  std::vector<int64_t> item_cate(static_cast<size_t>(o.items) + 1, -1);
  int64_t by_type[4] = {};
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_GE(c.user[i], 1u); ASSERT_LE(c.user[i], static_cast<uint64_t>(o.users));
    ASSERT_GE(c.item[i], 1u); ASSERT_LE(c.item[i], static_cast<uint64_t>(o.items));
    ASSERT_GE(c.cate[i], 1u); ASSERT_LE(c.cate[i], static_cast<uint64_t>(o.categories));
    ASSERT_GE(c.ts[i], o.start_time); ASSERT_LT(c.ts[i], o.start_time + o.days * 86400);
    auto& ic = item_cate[c.item[i]];
    ASSERT_TRUE(ic < 0 || ic == static_cast<int64_t>(c.cate[i])) << "item " << c.item[i] << " in two categories";
    ic = static_cast<int64_t>(c.cate[i]);
    if (i > 0) {
      ASSERT_TRUE(c.user[i - 1] < c.user[i] || (c.user[i - 1] == c.user[i] && c.ts[i - 1] <= c.ts[i]))
          << "not sorted by (user, time) at row " << i;
    }
    ++by_type[c.type[i]];
  }
  const double n = static_cast<double>(c.size());
  std::printf("%zu events: pv %.2f%% cart %.2f%% fav %.2f%% buy %.2f%%\n", c.size(), 100 * by_type[0] / n,
              100 * by_type[1] / n, 100 * by_type[2] / n, 100 * by_type[3] / n);
  EXPECT_NEAR(by_type[0] / n, 0.895, 0.01);
  EXPECT_NEAR(by_type[1] / n, 0.055, 0.005);
  EXPECT_NEAR(by_type[2] / n, 0.03, 0.004);
  EXPECT_NEAR(by_type[3] / n, 0.02, 0.004);
}

// The next event's category is among the user's last 5 categories far more often than among the last 5 of
// another user (the chance level under the same category popularity); carts/buys mostly hit viewed items.
TEST(EventGenerator, SequencesArePredictable) {
  const auto o = Small();
  const EventColumns c = ParseAll(Generate(o), nullptr);
  std::vector<size_t> begin;  // user boundaries
  for (size_t i = 0; i < c.size(); ++i) if (i == 0 || c.user[i] != c.user[i - 1]) begin.push_back(i);
  begin.push_back(c.size());
  auto recent_has = [&](size_t b, size_t pos, uint64_t cate) {
    for (size_t k = pos; k > b && k + 5 > pos; --k) if (c.cate[k - 1] == cate) return true;
    return false;
  };
  int64_t same = 0, other = 0, total = 0, conv = 0, conv_seen = 0, repeats = 0, views = 0;
  for (size_t u = 0; u + 2 < begin.size(); ++u) {
    const size_t b = begin[u], e = begin[u + 1], ob = begin[u + 1], oe = begin[u + 2];
    std::set<uint64_t> seen;
    for (size_t p = b; p < e; ++p) {
      if (p > b && p - b >= 5 && oe - ob >= 6) {
        ++total;
        same += recent_has(b, p, c.cate[p]);
        other += recent_has(ob, ob + 5, c.cate[p]);
      }
      if (c.type[p] != 0) { ++conv; conv_seen += seen.count(c.item[p]) > 0; }
      else { ++views; repeats += seen.count(c.item[p]) > 0; }
      if (c.type[p] == 0) seen.insert(c.item[p]);
    }
  }
  ASSERT_GT(total, 10000);
  const double p_same = static_cast<double>(same) / total, p_other = static_cast<double>(other) / total;
  std::printf("next category in own last 5: %.3f, in another user's last 5: %.3f; conversions on viewed items %.3f; "
              "repeat views %.3f\n", p_same, p_other, static_cast<double>(conv_seen) / conv, static_cast<double>(repeats) / views);
  EXPECT_GT(p_same, 0.6);
  EXPECT_GT(p_same, 4 * p_other);
  EXPECT_GT(static_cast<double>(conv_seen) / conv, 0.75);
  EXPECT_GT(static_cast<double>(repeats) / views, 0.1);
}

TEST(EventGenerator, RejectsBadOptions) {
  EventGeneratorOptions o;
  o.items = 10, o.categories = 20;
  EXPECT_EQ(GenerateEvents(o, [](std::string_view) { return Status::Ok(); }, nullptr).code(), StatusCode::kInvalidArgument);
  o = EventGeneratorOptions{};
  o.users = 0;
  EXPECT_EQ(GenerateEvents(o, [](std::string_view) { return Status::Ok(); }, nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateEventsToFile(EventGeneratorOptions{}, "/nonexistent-dir/x.csv", nullptr).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco::data
