// Retriever: co-visitation updated online, cold start, de-duplication, category filter, availability, want,
// deterministic order.
#include "online/retrieval/retriever.h"

#include <gtest/gtest.h>

#include <set>

#include "online/retrieval/sources.h"
#include "testutil/temp_dir.h"

namespace reco::online {
namespace {

using data::BehaviorType;

class RetrieverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.data_dir = dir_.Sub("db");
    o.clock = [] { return int64_t{2'000'000}; };
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    // Background traffic: categories 1..4, items c*100 + k, item popularity growing with k.
    std::vector<Event> events;
    uint64_t user = 1000;
    for (uint64_t c = 1; c <= 4; ++c) {
      for (uint64_t k = 1; k <= 20; ++k) {
        for (uint64_t r = 0; r < k; ++r) {
          events.push_back({user++, c * 100 + k, static_cast<int64_t>(c), BehaviorType::kPv, 1'000'000});
        }
      }
    }
    ASSERT_TRUE(store_->Append(events).ok());
  }

  std::vector<Candidate> Retrieve(uint64_t user, int want = 500, std::optional<uint64_t> category = {}) {
    std::vector<HistoryEntry> history;
    EXPECT_TRUE(store_->History(user, 50, &history).ok());
    RetrievalRequest r;
    r.user_id = user;
    r.history = history;
    r.want = want;
    r.now = store_->Now();
    r.category = category;
    std::vector<Candidate> out;
    EXPECT_TRUE(retriever().Retrieve(r, &out).ok());
    return out;
  }
  Retriever& retriever() {
    if (!retriever_) retriever_ = std::make_unique<Retriever>(store_.get(), options_);
    return *retriever_;
  }
  static const Candidate* Find(const std::vector<Candidate>& c, uint64_t item) {
    for (const auto& x : c) {
      if (x.item_id == item) return &x;
    }
    return nullptr;
  }

  testutil::TempDir dir_{"reco-retrieval"};
  std::unique_ptr<Store> store_;
  RetrieverOptions options_;
  std::unique_ptr<Retriever> retriever_;
};

TEST_F(RetrieverTest, ColdStartIsTrending) {
  const auto c = Retrieve(/*user=*/1, /*want=*/10);
  ASSERT_EQ(c.size(), 10u);
  // The four categories' most viewed items (20 views each; ties by id), then the 19-view ones.
  EXPECT_EQ(c[0].item_id, 120u);
  EXPECT_EQ(c[1].item_id, 220u);
  EXPECT_EQ(c[3].item_id, 420u);
  EXPECT_EQ(c[4].item_id, 119u);
  for (const auto& x : c) EXPECT_EQ(x.source, kSourceColdStart);
  EXPECT_FLOAT_EQ(c[0].retrieval_score, 1.0f);
  EXPECT_EQ(SourceBitsName(c[0].source), "cold_start");
}

TEST_F(RetrieverTest, NewPairIsVisibleToTheNextRequest) {
  // User 1 views 305 then 402; user 2 just viewed 305 and must now get 402 from co-visitation, at the top.
  const Event a[] = {{1, 305, 3, BehaviorType::kPv, 1'900'000}, {1, 402, 4, BehaviorType::kCart, 1'900'010}};
  ASSERT_TRUE(store_->Append(a).ok());
  const Event b{2, 305, kUnknownCategory, BehaviorType::kPv, 0};
  ASSERT_TRUE(store_->Append({&b, 1}).ok());
  const auto c = Retrieve(2);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].item_id, 402u);
  EXPECT_TRUE(c[0].source & kSourceCoVisit);
  EXPECT_EQ(c[0].category_id, 4u);
  // Category 3 (the user's only category) is represented through the category source.
  const Candidate* top3 = Find(c, 320);
  ASSERT_NE(top3, nullptr);
  EXPECT_TRUE(top3->source & kSourceCategory);
  EXPECT_TRUE(top3->source & kSourceTrending);  // also globally popular: one candidate, both bits
}

TEST_F(RetrieverTest, CandidatesAreUniqueAndOrdered) {
  const Event e[] = {{3, 101, 1, BehaviorType::kPv, 1'900'000}, {3, 201, 2, BehaviorType::kPv, 1'900'001},
                     {3, 101, 1, BehaviorType::kCart, 1'900'002}};
  ASSERT_TRUE(store_->Append(e).ok());
  const auto c = Retrieve(3);
  EXPECT_EQ(c.size(), 80u);  // every item of the store exactly once (fewer items than want)
  std::set<uint64_t> ids;
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_TRUE(ids.insert(c[i].item_id).second) << "duplicate " << c[i].item_id;
    if (i > 0) {
      EXPECT_TRUE(c[i - 1].retrieval_score > c[i].retrieval_score ||
                  (c[i - 1].retrieval_score == c[i].retrieval_score && c[i - 1].item_id < c[i].item_id));
    }
  }
  EXPECT_EQ(Retrieve(3), c);  // deterministic
  // 201 is co-visited with the carted 101 (the strongest recent signal), then 101 itself (co-visited with 201, and
  // the most popular item of the user's most recent category).
  EXPECT_EQ(c[0].item_id, 201u);
  EXPECT_EQ(c[0].source, kSourceCoVisit | kSourceCategory | kSourceTrending);
  EXPECT_EQ(c[1].item_id, 101u);
}

TEST_F(RetrieverTest, CategoryFilter) {
  const Event e{4, 101, 1, BehaviorType::kPv, 1'900'000};
  ASSERT_TRUE(store_->Append({&e, 1}).ok());
  const auto c = Retrieve(4, 500, /*category=*/3);
  ASSERT_EQ(c.size(), 20u);  // the user never touched category 3, it still gets all of it
  for (const auto& x : c) EXPECT_EQ(x.category_id, 3u);
  EXPECT_EQ(c[0].item_id, 320u);
  const auto cold = Retrieve(/*user=*/77, 5, /*category=*/2);
  ASSERT_EQ(cold.size(), 5u);
  for (const auto& x : cold) EXPECT_EQ(x.category_id, 2u);
  EXPECT_TRUE(Retrieve(4, 500, /*category=*/99).empty());
}

TEST_F(RetrieverTest, UnavailableItemsAreSkipped) {
  const ItemInfo gone{120, 1, false};
  ASSERT_TRUE(store_->PutItems({&gone, 1}).ok());
  EXPECT_EQ(Find(Retrieve(1), 120), nullptr);
  const Event e{5, 119, 1, BehaviorType::kPv, 1'900'000};
  ASSERT_TRUE(store_->Append({&e, 1}).ok());
  EXPECT_EQ(Find(Retrieve(5), 120), nullptr);
}

TEST_F(RetrieverTest, WantIsRespectedAndClamped) {
  EXPECT_EQ(Retrieve(1, 3).size(), 3u);
  options_.default_want = 7;
  options_.max_want = 9;
  retriever_.reset();
  EXPECT_EQ(Retrieve(1, 0).size(), 7u);
  EXPECT_EQ(Retrieve(1, -5).size(), 7u);
  EXPECT_EQ(Retrieve(1, 1'000'000).size(), 9u);
}

TEST_F(RetrieverTest, SourcesOnTheirOwn) {
  const Event e[] = {{6, 301, 3, BehaviorType::kPv, 1'900'000}, {6, 302, 3, BehaviorType::kBuy, 1'900'005}};
  ASSERT_TRUE(store_->Append(e).ok());
  std::vector<HistoryEntry> history;
  ASSERT_TRUE(store_->History(6, 50, &history).ok());
  RetrievalRequest r;
  r.history = history;
  r.want = 10;
  std::vector<Candidate> out;
  CoVisitationSource covis(store_.get(), 20);
  ASSERT_TRUE(covis.Retrieve(r, &out).ok());
  // 302's neighbour is 301 and vice versa; each normalised to 1 within the source.
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].item_id, 301u);  // the most recent history item (302, a buy) weighs most
  EXPECT_FLOAT_EQ(out[0].retrieval_score, 1.0f);
  EXPECT_EQ(out[0].source, kSourceCoVisit);
  out.clear();
  CategoryPopularSource category(store_.get(), 5, 3);
  ASSERT_TRUE(category.Retrieve(r, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].item_id, 302u);  // a fresh buy outweighs 20 views 900,000 s (41 half-lives) ago
  EXPECT_EQ(out[1].item_id, 301u);
  EXPECT_EQ(out[2].item_id, 320u);
  EXPECT_EQ(out[0].source, kSourceCategory);
}

}  // namespace
}  // namespace reco::online
