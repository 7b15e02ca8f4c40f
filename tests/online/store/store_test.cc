// Store: history order and truncation, catalog fill and errors, bought set, co-visitation and popularity updated
// online, reopen after close, concurrent appenders.
#include "online/store/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "testutil/temp_dir.h"

namespace reco::online {
namespace {

using data::BehaviorType;

class StoreTest : public ::testing::Test {
 protected:
  StoreOptions Options() {
    StoreOptions o;
    o.data_dir = dir_.Sub("db");
    o.max_history = 3;
    o.clock = [this] { return now_; };
    return o;
  }
  std::unique_ptr<Store> OpenStore(const StoreOptions& o) {
    auto store = Store::Open(o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  static std::vector<HistoryEntry> HistoryOf(const Store& store, uint64_t user, int max = 100) {
    std::vector<HistoryEntry> h;
    EXPECT_TRUE(store.History(user, max, &h).ok());
    return h;
  }
  static std::vector<uint64_t> Items(const std::vector<HistoryEntry>& h) {
    std::vector<uint64_t> ids;
    for (const auto& e : h) ids.push_back(e.item_id);
    return ids;
  }

  testutil::TempDir dir_{"reco-store"};
  int64_t now_ = 1'700'000'000;
};

TEST_F(StoreTest, HistoryIsOldestFirstAndKeepsTheLastL) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  for (uint64_t i = 1; i <= 5; ++i) {
    const Event e{7, 100 + i, 1, BehaviorType::kPv, static_cast<int64_t>(1000 + 10 * i)};
    ASSERT_TRUE(store->Append({&e, 1}).ok());
  }
  EXPECT_EQ(Items(HistoryOf(*store, 7)), (std::vector<uint64_t>{103, 104, 105}));
  EXPECT_EQ(Items(HistoryOf(*store, 7, 2)), (std::vector<uint64_t>{104, 105}));
  EXPECT_TRUE(HistoryOf(*store, 7, 0).empty());
  EXPECT_TRUE(HistoryOf(*store, 999).empty());  // unknown user: empty, not an error

  // A late event (timestamp between kept ones) takes its place in time order; one older than everything kept is
  // logged but does not enter the history.
  const Event late{7, 200, 1, BehaviorType::kCart, 1045};
  ASSERT_TRUE(store->Append({&late, 1}).ok());
  EXPECT_EQ(Items(HistoryOf(*store, 7)), (std::vector<uint64_t>{104, 200, 105}));
  const Event ancient{7, 201, 1, BehaviorType::kPv, 5};
  ASSERT_TRUE(store->Append({&ancient, 1}).ok());
  EXPECT_EQ(Items(HistoryOf(*store, 7)), (std::vector<uint64_t>{104, 200, 105}));
  EXPECT_EQ(store->stats().events_total, 7);
  EXPECT_EQ(store->stats().num_users, 1);

  const auto h = HistoryOf(*store, 7);
  EXPECT_EQ(h[1], (HistoryEntry{200, 1, BehaviorType::kCart, 1045}));
}

// SampleUsers: only users with enough history, at most `max`, spread over all users rather than the first few.
TEST_F(StoreTest, SampleUsersSpreadsOverUsersWithHistory) {
  StoreOptions o = Options();
  o.max_history = 10;
  auto store = OpenStore(o);
  ASSERT_TRUE(store);
  std::vector<Event> batch;
  for (uint64_t u = 1; u <= 100; ++u) {
    const int n = u % 2 == 0 ? 4 : 1;  // even users have 4 behaviours, odd users 1
    for (int i = 0; i < n; ++i) {
      batch.push_back(Event{u, 100 + static_cast<uint64_t>(i), 1, BehaviorType::kPv, 1000 + i});
    }
  }
  ASSERT_TRUE(store->Append(batch).ok());
  std::vector<uint64_t> sample;
  store->SampleUsers(10, 3, &sample);
  ASSERT_EQ(sample.size(), 10u);
  for (uint64_t u : sample) EXPECT_EQ(u % 2, 0u) << u;
  EXPECT_GT(*std::max_element(sample.begin(), sample.end()), 50u) << "not just the first users";
  store->SampleUsers(1000, 3, &sample);
  EXPECT_EQ(sample.size(), 50u) << "every qualifying user once";
  std::sort(sample.begin(), sample.end());
  EXPECT_EQ(std::adjacent_find(sample.begin(), sample.end()), sample.end());
  store->SampleUsers(5, 100, &sample);
  EXPECT_TRUE(sample.empty());
}

TEST_F(StoreTest, CategoryFromCatalogAndTimestampFromClock) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const ItemInfo items[] = {{500, 77, true}, {501, 78, false}};
  ASSERT_TRUE(store->PutItems(items).ok());
  EXPECT_EQ(store->GetItem(501), (ItemInfo{501, 78, false}));
  EXPECT_FALSE(store->GetItem(502).has_value());

  const Event e{1, 500, kUnknownCategory, BehaviorType::kPv, 0};
  ASSERT_TRUE(store->Append({&e, 1}).ok());
  EXPECT_EQ(HistoryOf(*store, 1), (std::vector<HistoryEntry>{{500, 77, BehaviorType::kPv, now_}}));
}

TEST_F(StoreTest, UnknownItemWithoutCategoryIsRejectedAndNothingIsWritten) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const Event batch[] = {{1, 10, 3, BehaviorType::kPv, 100}, {1, 11, kUnknownCategory, BehaviorType::kPv, 101}};
  Status status = store->Append(batch);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "events[1].category_id: missing, and item 11 is not in the catalog");
  EXPECT_EQ(store->stats().events_total, 0);  // all-or-nothing
  EXPECT_FALSE(store->GetItem(10).has_value());

  const Event bad_id{1, (uint64_t{1} << 53) + 1, 3, BehaviorType::kPv, 100};
  EXPECT_EQ(store->Append({&bad_id, 1}).message(), "events[0].item_id: 9007199254740993 > 2^53");
  const ItemInfo bad_item{1, (uint64_t{1} << 53) + 1, true};
  EXPECT_EQ(store->PutItems({&bad_item, 1}).code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, EventWithCategoryRegistersTheItem) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  // The first event of the call introduces item 20; the second relies on it.
  const Event batch[] = {{1, 20, 9, BehaviorType::kPv, 100}, {2, 20, kUnknownCategory, BehaviorType::kFav, 101}};
  ASSERT_TRUE(store->Append(batch).ok());
  EXPECT_EQ(store->GetItem(20), (ItemInfo{20, 9, true}));
  EXPECT_EQ(HistoryOf(*store, 2)[0].category_id, 9u);
  EXPECT_EQ(store->stats().num_items, 1);
}

TEST_F(StoreTest, BoughtSet) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const Event batch[] = {{1, 30, 1, BehaviorType::kPv, 100}, {1, 31, 1, BehaviorType::kBuy, 101},
                         {2, 30, 1, BehaviorType::kBuy, 102}};
  ASSERT_TRUE(store->Append(batch).ok());
  EXPECT_FALSE(store->HasBought(1, 30));
  EXPECT_TRUE(store->HasBought(1, 31));
  EXPECT_TRUE(store->HasBought(2, 30));
  EXPECT_FALSE(store->HasBought(3, 30));
  std::vector<uint8_t> bought;
  const uint64_t ids[] = {29, 30, 31};
  store->HasBoughtBatch(1, ids, &bought);
  EXPECT_EQ(bought, (std::vector<uint8_t>{0, 0, 1}));
}

TEST_F(StoreTest, CoVisitationIsUpdatedByEachEvent) {
  auto opts = Options();
  opts.covis_window = 2;
  opts.covis_max_gap_seconds = 3600;
  auto store = OpenStore(opts);
  ASSERT_NE(store, nullptr);
  std::vector<Neighbor> n;
  const Event a{1, 1, 1, BehaviorType::kPv, 1000};
  ASSERT_TRUE(store->Append({&a, 1}).ok());
  store->CoVisited(1, &n);
  EXPECT_TRUE(n.empty());

  const Event b{1, 2, 1, BehaviorType::kCart, 1010};  // pairs with 1 at distance 1: weight max(pv, cart) = 3
  ASSERT_TRUE(store->Append({&b, 1}).ok());
  store->CoVisited(1, &n);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].item_id, 2u);
  EXPECT_FLOAT_EQ(n[0].weight, 3.0f);
  store->CoVisited(2, &n);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].item_id, 1u);

  const Event c{1, 3, 1, BehaviorType::kPv, 1020};  // with 2 (d=1, w 3) and 1 (d=2, w 0.5)
  ASSERT_TRUE(store->Append({&c, 1}).ok());
  store->CoVisited(3, &n);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].item_id, 2u);
  EXPECT_FLOAT_EQ(n[0].weight, 3.0f);
  EXPECT_EQ(n[1].item_id, 1u);
  EXPECT_FLOAT_EQ(n[1].weight, 0.5f);

  const Event far{1, 4, 1, BehaviorType::kPv, 1020 + 7200};  // beyond the gap: no pairs
  ASSERT_TRUE(store->Append({&far, 1}).ok());
  store->CoVisited(4, &n);
  EXPECT_TRUE(n.empty());
}

TEST_F(StoreTest, PopularityPerCategoryAndTrendingDecay) {
  auto opts = Options();
  opts.popularity_half_life_seconds = 3600;
  auto store = OpenStore(opts);
  ASSERT_NE(store, nullptr);
  std::vector<Event> events;
  // Category 1: item 10 viewed 3 times, item 11 bought once (weight 4) → 11 first.
  for (int i = 0; i < 3; ++i) events.push_back({static_cast<uint64_t>(i), 10, 1, BehaviorType::kPv, 1000});
  events.push_back({9, 11, 1, BehaviorType::kBuy, 1000});
  // Category 2: item 20 viewed 10 times; item 21 viewed twice a day later → 21 trends above 20.
  for (int i = 0; i < 10; ++i) events.push_back({static_cast<uint64_t>(i), 20, 2, BehaviorType::kPv, 1000});
  events.push_back({1, 21, 2, BehaviorType::kPv, 1000 + 86400});
  events.push_back({2, 21, 2, BehaviorType::kPv, 1000 + 86400});
  ASSERT_TRUE(store->Append(events).ok());

  std::vector<PopularItem> top;
  store->TopItemsInCategory(1, 10, &top);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item_id, 11u);
  EXPECT_EQ(top[1].item_id, 10u);
  EXPECT_NEAR(std::exp2(top[0].key - top[1].key), 4.0 / 3.0, 1e-9);
  store->TrendingItems(2, &top);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item_id, 21u);  // 2 views now beat 10 views a day ago (half-life 1 h)
  EXPECT_EQ(top[1].item_id, 20u);  // 10 views beat 1 buy (4) at the same time
  store->TopItemsInCategory(2, 10, &top);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item_id, 21u);
  EXPECT_EQ(top[0].category_id, 2u);
  store->TopItemsInCategory(3, 10, &top);
  EXPECT_TRUE(top.empty());
}

TEST_F(StoreTest, ReaderSeesTheSameStateWithoutCopies) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const Event batch[] = {{1, 40, 4, BehaviorType::kPv, 100}, {1, 41, 4, BehaviorType::kBuy, 101}};
  ASSERT_TRUE(store->Append(batch).ok());
  const Store::Reader reader = store->Read();
  ASSERT_NE(reader.FindItem(41), nullptr);
  EXPECT_EQ(*reader.FindItem(41), (ItemInfo{41, 4, true}));
  EXPECT_EQ(reader.FindItem(42), nullptr);
  ASSERT_EQ(reader.CoVisited(40).size(), 1u);
  EXPECT_EQ(reader.CoVisited(40)[0].item_id, 41u);
  EXPECT_TRUE(reader.CoVisited(42).empty());
  ASSERT_EQ(reader.TopItemsInCategory(4, 1).size(), 1u);
  EXPECT_EQ(reader.TopItemsInCategory(4, 1)[0].item_id, 41u);
  EXPECT_EQ(reader.TrendingItems(10).size(), 2u);
  EXPECT_TRUE(reader.TrendingItems(0).empty());
  EXPECT_TRUE(reader.HasBought(1, 41));
}

TEST_F(StoreTest, TopListsKeepOnlyTheBest) {
  auto opts = Options();
  opts.category_top_k = 2;
  opts.global_top_k = 3;
  auto store = OpenStore(opts);
  ASSERT_NE(store, nullptr);
  std::vector<Event> events;
  for (uint64_t item = 1; item <= 5; ++item) {
    for (uint64_t k = 0; k < item; ++k) events.push_back({k, item, 1, BehaviorType::kPv, 1000});
  }
  ASSERT_TRUE(store->Append(events).ok());
  std::vector<PopularItem> top;
  store->TopItemsInCategory(1, 10, &top);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item_id, 5u);
  EXPECT_EQ(top[1].item_id, 4u);
  store->TrendingItems(10, &top);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[2].item_id, 3u);
}

// The top lists are maintained incrementally (keys only grow, members track their positions); they must equal the
// exact top-k recomputed from scratch after every batch.
TEST_F(StoreTest, TopListsEqualABruteForceTopK) {
  auto opts = Options();
  opts.category_top_k = 4;
  opts.global_top_k = 10;
  opts.popularity_half_life_seconds = 600;
  auto store = OpenStore(opts);
  ASSERT_NE(store, nullptr);
  std::mt19937_64 rng(5);
  std::map<uint64_t, double> key;  // item → log2(score) + t/half_life, the same arithmetic as the store
  const auto cate = [](uint64_t item) { return item % 5; };
  int64_t t = 10'000;
  for (int batch = 0; batch < 40; ++batch) {
    std::vector<Event> events;
    for (int i = 0; i < 50; ++i) {
      t += static_cast<int64_t>(rng() % 120);
      const uint64_t item = rng() % 100;
      const auto type = static_cast<BehaviorType>(rng() % 4);
      events.push_back({rng() % 30, item, static_cast<int64_t>(cate(item)), type, t});
      const double added = std::log2(static_cast<double>(BehaviorWeight(type))) + static_cast<double>(t) / 600.0;
      auto it = key.find(item);
      if (it == key.end()) {
        key[item] = added;
      } else {
        const double hi = std::max(it->second, added), lo = std::min(it->second, added);
        it->second = hi + std::log2(1.0 + std::exp2(lo - hi));
      }
    }
    ASSERT_TRUE(store->Append(events).ok());
    const auto expected_top = [&](std::optional<uint64_t> category, size_t k) {
      std::vector<std::pair<double, uint64_t>> all;
      for (const auto& [item, v] : key) {
        if (!category || cate(item) == *category) all.push_back({-v, item});
      }
      std::sort(all.begin(), all.end());
      std::vector<uint64_t> ids;
      for (size_t i = 0; i < std::min(k, all.size()); ++i) ids.push_back(all[i].second);
      return ids;
    };
    const auto ids = [](const std::vector<PopularItem>& v) {
      std::vector<uint64_t> out;
      for (const auto& p : v) out.push_back(p.item_id);
      return out;
    };
    std::vector<PopularItem> top;
    store->TrendingItems(100, &top);
    ASSERT_EQ(ids(top), expected_top(std::nullopt, 10)) << "batch " << batch;
    for (uint64_t c = 0; c < 5; ++c) {
      store->TopItemsInCategory(c, 100, &top);
      ASSERT_EQ(ids(top), expected_top(c, 4)) << "batch " << batch << " category " << c;
    }
  }
}

TEST_F(StoreTest, RecategorisedItemMovesToItsNewCategoryList) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const Event batch[] = {{1, 10, 1, BehaviorType::kBuy, 100}, {2, 11, 1, BehaviorType::kPv, 100}};
  ASSERT_TRUE(store->Append(batch).ok());
  const ItemInfo moved{10, 2, true};
  ASSERT_TRUE(store->PutItems({&moved, 1}).ok());
  std::vector<PopularItem> top;
  store->TopItemsInCategory(1, 10, &top);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].item_id, 11u);
  store->TopItemsInCategory(2, 10, &top);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].item_id, 10u);
  store->TrendingItems(10, &top);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item_id, 10u);
  EXPECT_EQ(top[0].category_id, 2u);
}

// A full category list that loses an item to a re-categorisation takes the best item it had evicted, as a
// restart's rebuild would: live and reopened stores list the same items.
TEST_F(StoreTest, FullCategoryListRefillsAfterARecategorisation) {
  auto opts = Options();
  opts.category_top_k = 2;
  auto store = OpenStore(opts);
  ASSERT_NE(store, nullptr);
  // Category 1: item 10 (buy) > item 11 (cart) > item 12 (pv); only two fit.
  const Event batch[] = {{1, 10, 1, BehaviorType::kBuy, 100}, {2, 11, 1, BehaviorType::kCart, 100},
                         {3, 12, 1, BehaviorType::kPv, 100}};
  ASSERT_TRUE(store->Append(batch).ok());
  std::vector<PopularItem> top;
  store->TopItemsInCategory(1, 10, &top);
  ASSERT_EQ(top.size(), 2u);
  const ItemInfo moved{10, 2, true};
  ASSERT_TRUE(store->PutItems({&moved, 1}).ok());
  store->TopItemsInCategory(1, 10, &top);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item_id, 11u);
  EXPECT_EQ(top[1].item_id, 12u);  // back from eviction
}

TEST_F(StoreTest, FullNeighbourListReplacesItsWeakest) {
  auto opts = Options();
  opts.covis_max_neighbors = 2;
  opts.covis_window = 1;
  auto store = OpenStore(opts);
  ASSERT_NE(store, nullptr);
  // Item 1 is followed by 2 (buy: weight 4), by 3 (pv: 1), then by 4 (cart: 3), each by a different user.
  const Event e[] = {{1, 1, 1, BehaviorType::kPv, 100}, {1, 2, 1, BehaviorType::kBuy, 101},
                     {2, 1, 1, BehaviorType::kPv, 100}, {2, 3, 1, BehaviorType::kPv, 101},
                     {3, 1, 1, BehaviorType::kPv, 100}, {3, 4, 1, BehaviorType::kCart, 101}};
  ASSERT_TRUE(store->Append(e).ok());
  std::vector<Neighbor> n;
  store->CoVisited(1, &n);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].item_id, 2u);
  EXPECT_FLOAT_EQ(n[0].weight, 4.0f);
  EXPECT_EQ(n[1].item_id, 4u);  // 3 was the weakest when 4 arrived
  EXPECT_FLOAT_EQ(n[1].weight, 3.0f);
}

// Everything a reader can observe, to compare a store before and after a reopen.
std::string Dump(const Store& store) {
  std::ostringstream out;
  std::vector<HistoryEntry> h;
  std::vector<Neighbor> n;
  std::vector<PopularItem> top;
  for (uint64_t user = 0; user < 8; ++user) {
    EXPECT_TRUE(store.History(user, 1000, &h).ok());
    out << "user " << user << ":";
    for (const auto& e : h) {
      out << " " << e.item_id << "/" << e.category_id << "/" << static_cast<int>(e.behavior) << "/" << e.timestamp;
    }
    for (uint64_t item = 1000; item < 1041; ++item) {
      if (store.HasBought(user, item)) out << " b" << item;
    }
    out << "\n";
  }
  for (uint64_t item = 1000; item < 1041; ++item) {
    const auto info = store.GetItem(item);
    out << "item " << item << " " << (info ? static_cast<int64_t>(info->category_id) : -1)
        << (info && !info->available ? " unavailable" : "") << ":";
    store.CoVisited(item, &n);
    for (const auto& x : n) out << " " << x.item_id << "=" << x.weight;
    out << "\n";
  }
  store.TrendingItems(1000, &top);
  out << "trending:" << std::setprecision(17);
  for (const auto& p : top) out << " " << p.item_id << "=" << p.key;
  for (uint64_t c = 0; c < 5; ++c) {
    store.TopItemsInCategory(c, 1000, &top);
    out << "\ncategory " << c << ":";
    for (const auto& p : top) out << " " << p.item_id;
  }
  const StoreStats st = store.stats();
  out << "\nusers " << st.num_users << " items " << st.num_items << " events " << st.events_total << "\n";
  return out.str();
}

enum class ReopenMode { kFullReplay, kSnapshotOnClose, kCheckpointThenCrash, kCorruptSnapshot, kOtherOptions };

class StoreReopenTest : public StoreTest, public ::testing::WithParamInterface<ReopenMode> {};

TEST_P(StoreReopenTest, RestoresEverything) {
  const ReopenMode mode = GetParam();
  auto opts = Options();
  opts.max_history = 50;
  opts.category_top_k = 5;
  opts.snapshot_on_close = mode != ReopenMode::kFullReplay && mode != ReopenMode::kCheckpointThenCrash;
  std::vector<Event> events;
  for (uint64_t i = 0; i < 300; ++i) {
    events.push_back({i % 7, 1000 + (i * 37) % 41, static_cast<int64_t>(i % 5), static_cast<BehaviorType>(i % 4),
                      static_cast<int64_t>(5000 + i)});
  }
  std::string before;
  {
    auto store = OpenStore(opts);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(std::span(events).first(120)).ok());
    const ItemInfo gone{1003, 4, false};
    ASSERT_TRUE(store->PutItems({&gone, 1}).ok());
    if (mode == ReopenMode::kCheckpointThenCrash) {
      ASSERT_TRUE(store->Checkpoint().ok());
    }
    ASSERT_TRUE(store->Append(std::span(events).subspan(120)).ok());
    const ItemInfo moved{1010, 3, true};  // after the checkpoint: only in the catalog keys
    ASSERT_TRUE(store->PutItems({&moved, 1}).ok());
    before = Dump(*store);
  }
  const std::string snapshot = opts.data_dir + "/reco-state.snapshot";
  if (mode == ReopenMode::kCorruptSnapshot) {
    std::fstream f(snapshot, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good());
    f.seekp(100);
    f.put('\x7f');
  }
  if (mode == ReopenMode::kOtherOptions) opts.covis_window = 2;

  auto store = OpenStore(opts);
  ASSERT_NE(store, nullptr);
  const StoreStats st = store->stats();
  EXPECT_EQ(st.snapshot_events + st.replayed_events, 300);
  switch (mode) {
    case ReopenMode::kFullReplay:
    case ReopenMode::kCorruptSnapshot:
      EXPECT_EQ(st.snapshot_events, 0);
      break;
    case ReopenMode::kSnapshotOnClose:
      EXPECT_EQ(st.snapshot_events, 300);
      break;
    case ReopenMode::kCheckpointThenCrash:
      EXPECT_EQ(st.snapshot_events, 120);
      break;
    case ReopenMode::kOtherOptions:
      EXPECT_EQ(st.snapshot_events, 0);
      return;  // the derived state legitimately differs under the new options
  }
  EXPECT_EQ(Dump(*store), before);

  int64_t count = 0;
  uint64_t expected_seq = 0;
  ASSERT_TRUE(store->ForEachEvent([&](uint64_t seq, const Event& e) {
                  EXPECT_EQ(seq, expected_seq++);
                  EXPECT_EQ(e.timestamp, 5000 + count);
                  ++count;
                  return Status::Ok();
                }).ok());
  EXPECT_EQ(count, 300);
  // New events continue the log after the restored ones.
  const Event more{3, 1000, 1, BehaviorType::kPv, 9000};
  ASSERT_TRUE(store->Append({&more, 1}).ok());
  std::vector<HistoryEntry> h;
  ASSERT_TRUE(store->History(3, 1, &h).ok());
  EXPECT_EQ(h.back().timestamp, 9000);
  EXPECT_EQ(store->stats().events_total, 301);
  expected_seq = 0;
  ASSERT_TRUE(store->ForEachEvent([&](uint64_t seq, const Event&) {
                  EXPECT_EQ(seq, expected_seq++);
                  return Status::Ok();
                }).ok());
  EXPECT_EQ(expected_seq, 301u);
}

INSTANTIATE_TEST_SUITE_P(Modes, StoreReopenTest,
                         ::testing::Values(ReopenMode::kFullReplay, ReopenMode::kSnapshotOnClose,
                                           ReopenMode::kCheckpointThenCrash, ReopenMode::kCorruptSnapshot,
                                           ReopenMode::kOtherOptions));

TEST_F(StoreTest, SecondOpenOfTheSameDirFails) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  auto second = Store::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(Options().data_dir), std::string::npos) << second.status().ToString();
}

TEST_F(StoreTest, ForeignFormatIsRefusedAndLeftAlone) {
  // Another program's RocksDB database, with a different format marker.
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, Options().data_dir, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "mformat", "somebody-else-v3").ok());
    delete db;
  }
  auto store = Store::Open(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("somebody-else-v3"), std::string::npos) << store.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(Options().data_dir + "/reco-state.snapshot"));
}

TEST_F(StoreTest, EmptyDataDirIsAnError) {
  StoreOptions o;
  EXPECT_EQ(Store::Open(o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, ConcurrentAppendersAreAllCommitted) {
  auto opts = Options();
  opts.max_history = 1000;
  auto store = OpenStore(opts);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const Event e{static_cast<uint64_t>(t), static_cast<uint64_t>(t * 1000 + i), 1, BehaviorType::kPv,
                      static_cast<int64_t>(100 + i)};
        if (!store->Append({&e, 1}).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->stats().events_total, kThreads * kPerThread);
  EXPECT_LE(store->stats().group_commits, kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    const auto h = HistoryOf(*store, static_cast<uint64_t>(t), 1000);
    ASSERT_EQ(h.size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(h[static_cast<size_t>(i)].item_id, static_cast<uint64_t>(t * 1000 + i));
    }
  }
}

}  // namespace
}  // namespace reco::online
