// `reco gen-events`: the command writes a deterministic, clean CSV and reports bad options as one-line errors.
#include <gtest/gtest.h>

#include "cli/cli_runner.h"
#include "data/behavior_reader.h"

namespace reco::data {
namespace {

using testutil::RunBinary;

TEST(GenEventsCli, WritesDeterministicCleanCsv) {
  testutil::TempDir tmp("reco-gen-events");
  const std::string args = "gen-events --users 50 --items 500 --categories 10 --days 3 --seed 4 --quiet --out ";
  auto a = RunBinary("reco", args + tmp.file("a.csv"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("events (pv"), std::string::npos) << a.out;
  auto b = RunBinary("reco", args + tmp.file("b.csv"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(testutil::Slurp(tmp.file("a.csv")), testutil::Slurp(tmp.file("b.csv")));
  BehaviorReadStats st;
  auto cols = LoadBehaviorCsv(tmp.file("a.csv"), TaobaoWindowOptions(), &st);  // 3 days from Nov 25: in window
  ASSERT_TRUE(cols.ok());
  EXPECT_GT(st.rows_ok, 100);
  EXPECT_EQ(st.dirty_total(), 0) << st.Summary();
}

TEST(GenEventsCli, BadOptionsFailWithOneLine) {
  testutil::TempDir tmp("reco-gen-events-bad");
  auto r = RunBinary("reco", "gen-events --users 5 --items 10 --categories 20 --out " + tmp.file("x.csv"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("categories"), std::string::npos) << r.err;
  EXPECT_EQ(r.ErrLines(), 1) << r.err;
}

}  // namespace
}  // namespace reco::data
