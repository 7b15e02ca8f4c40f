// ImportCsv: good rows become events (history, catalog), dirty rows are reported with line numbers, the import is
// durable (reopen), catalog-only mode registers items without history, a missing file is NotFound.
#include "online/store/csv_import.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testutil/temp_dir.h"

namespace reco::online {
namespace {

constexpr const char* kCsv =
    "1,100,10,pv,1511544070\n"
    "1,101,10,cart,1511544080\n"
    "2,100,10,buy,1511544090\n"
    "2,bad,10,pv,1511544100\n"
    "3,102,11,click,1511544110\n"
    "3,102,11,fav,1511544120\r\n";

class CsvImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    csv_ = dir_.Sub("events.csv");
    std::ofstream(csv_) << kCsv;
    options_.data_dir = dir_.Sub("db");
  }
  testutil::TempDir dir_{"reco-import"};
  std::string csv_;
  StoreOptions options_;
};

TEST_F(CsvImportTest, ImportsGoodRowsAndReportsDirtyOnes) {
  {
    auto store = Store::Open(options_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ImportStats stats;
    ASSERT_TRUE(ImportCsv(store->get(), csv_, &stats).ok());
    EXPECT_EQ(stats.read.rows_ok, 4);
    EXPECT_EQ(stats.read.dirty_total(), 2);
    ASSERT_EQ(stats.read.examples.size(), 2u);
    EXPECT_EQ(stats.read.examples[0].line, 4);
    EXPECT_EQ(stats.read.examples[0].reason, data::DirtyReason::kBadId);
    EXPECT_EQ(stats.read.examples[1].line, 5);
    EXPECT_EQ(stats.read.examples[1].reason, data::DirtyReason::kBadBehaviorType);
    EXPECT_EQ(stats.events_appended, 4);
    EXPECT_EQ(stats.items_registered, 3);
    EXPECT_NE(stats.Summary().find("imported 4 events"), std::string::npos) << stats.Summary();
    EXPECT_TRUE((*store)->HasBought(2, 100));
  }
  auto store = Store::Open(options_);  // the import is durable
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->stats().events_total, 4);
  EXPECT_EQ((*store)->GetItem(102), (ItemInfo{102, 11, true}));
  std::vector<HistoryEntry> h;
  ASSERT_TRUE((*store)->History(1, 10, &h).ok());
  EXPECT_EQ(h, (std::vector<HistoryEntry>{{100, 10, data::BehaviorType::kPv, 1511544070},
                                          {101, 10, data::BehaviorType::kCart, 1511544080}}));
  // Later events may omit the category: the import taught the catalog.
  const Event e{9, 101, kUnknownCategory, data::BehaviorType::kPv, 1511544200};
  EXPECT_TRUE((*store)->Append({&e, 1}).ok());
}

TEST_F(CsvImportTest, CatalogOnly) {
  auto store = Store::Open(options_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ImportOptions options;
  options.events = false;
  ImportStats stats;
  ASSERT_TRUE(ImportCsv(store->get(), csv_, options, &stats).ok());
  EXPECT_EQ(stats.items_registered, 3);
  EXPECT_EQ(stats.events_appended, 0);
  EXPECT_EQ((*store)->stats().events_total, 0);
  EXPECT_EQ((*store)->stats().num_items, 3);
  EXPECT_EQ((*store)->GetItem(100), (ItemInfo{100, 10, true}));
}

TEST_F(CsvImportTest, MissingFileIsNotFound) {
  auto store = Store::Open(options_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(ImportCsv(store->get(), dir_.Sub("nope.csv"), nullptr).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::online
