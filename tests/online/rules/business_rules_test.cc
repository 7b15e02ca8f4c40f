#include "online/rules/business_rules.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace reco::online::rules {
namespace {

class FakeFacts final : public ItemFacts {
 public:
  std::set<std::pair<uint64_t, uint64_t>> bought;
  std::set<uint64_t> unavailable;
  bool HasBought(uint64_t user, uint64_t item) const override { return bought.count({user, item}) > 0; }
  bool IsAvailable(uint64_t item) const override { return unavailable.count(item) == 0; }
};

std::vector<uint64_t> Ids(const std::vector<ScoredItem>& items) {
  std::vector<uint64_t> ids;
  for (const ScoredItem& it : items) ids.push_back(it.item_id);
  return ids;
}

TEST(FilterCandidates, DropsBoughtUnavailableExcludedAndOtherCategories) {
  FakeFacts facts;
  facts.bought = {{7, 2}, {8, 3}};  // user 8's purchase must not hide item 3 from user 7
  facts.unavailable = {4};
  std::vector<ScoredItem> items = {{1, 10, .5f}, {2, 10, .4f}, {3, 11, .3f}, {4, 11, .2f}, {5, 12, .1f}, {6, 10, 0}};
  std::vector<uint64_t> exclude = {5};
  FilterCandidates({.user_id = 7, .exclude = exclude}, &facts, &items);
  EXPECT_EQ(Ids(items), (std::vector<uint64_t>{1, 3, 6}));  // order kept

  FilterCandidates({.user_id = 7, .category = 10}, &facts, &items);
  EXPECT_EQ(Ids(items), (std::vector<uint64_t>{1, 6}));
}

TEST(FilterCandidates, NullFactsKeepsEverythingButExclusions) {
  std::vector<ScoredItem> items = {{1, 1, 0}, {2, 1, 0}};
  std::vector<uint64_t> exclude = {2, 99};
  FilterCandidates({.exclude = exclude}, nullptr, &items);
  EXPECT_EQ(Ids(items), (std::vector<uint64_t>{1}));
}

TEST(SelectTopK, OrdersByScoreThenItemIdAndCutsAtK) {
  std::vector<ScoredItem> items = {{9, 1, .5f}, {3, 1, .9f}, {7, 2, .5f}, {1, 3, .5f}, {2, 3, .1f}};
  SelectTopK({.k = 4}, &items);
  EXPECT_EQ(Ids(items), (std::vector<uint64_t>{3, 1, 7, 9}));  // ties at .5 by ascending id
}

TEST(SelectTopK, MinScoreDropsLowAndNaN) {
  std::vector<ScoredItem> items = {{1, 1, .5f}, {2, 1, .2f}, {3, 1, std::nanf("")}, {4, 1, .3f}};
  SelectTopK({.k = 10, .min_score = .3f}, &items);
  EXPECT_EQ(Ids(items), (std::vector<uint64_t>{1, 4}));  // .3 itself is kept (>=)
  std::vector<ScoredItem> nan_only = {{3, 1, std::nanf("")}, {1, 1, 0}};
  SelectTopK({.k = 10}, &nan_only);
  EXPECT_EQ(Ids(nan_only), (std::vector<uint64_t>{1}));
}

TEST(SelectTopK, AtMostNPerCategoryInTopK) {
  // Category 1 dominates the scores; with a cap of 2 the third and fourth of it are skipped, not reordered.
  std::vector<ScoredItem> items = {{1, 1, .9f}, {2, 1, .8f}, {3, 1, .7f}, {4, 1, .6f}, {5, 2, .5f}, {6, 3, .4f},
                                   {7, 2, .3f}, {8, 2, .2f}};
  SelectTopK({.k = 5, .max_per_category = 2}, &items);
  EXPECT_EQ(Ids(items), (std::vector<uint64_t>{1, 2, 5, 6, 7}));
}

TEST(SelectTopK, CapMayLeaveFewerThanK) {
  std::vector<ScoredItem> items = {{1, 1, .9f}, {2, 1, .8f}, {3, 1, .7f}};
  SelectTopK({.k = 3, .max_per_category = 1}, &items);
  EXPECT_EQ(Ids(items), (std::vector<uint64_t>{1}));
}

TEST(SelectTopK, KZeroAndEmptyInput) {
  std::vector<ScoredItem> items = {{1, 1, .9f}};
  SelectTopK({.k = 0}, &items);
  EXPECT_TRUE(items.empty());
  SelectTopK({.k = 5, .max_per_category = 1}, &items);
  EXPECT_TRUE(items.empty());
}

TEST(SelectTopK, SameInputSameOutputWhateverTheInputOrder) {
  std::vector<ScoredItem> a = {{5, 1, .5f}, {4, 2, .5f}, {3, 1, .5f}, {2, 2, .5f}, {1, 1, .5f}};
  std::vector<ScoredItem> b(a.rbegin(), a.rend());
  SelectTopK({.k = 3, .max_per_category = 2}, &a);
  SelectTopK({.k = 3, .max_per_category = 2}, &b);
  EXPECT_EQ(Ids(a), Ids(b));
  EXPECT_EQ(Ids(a), (std::vector<uint64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace reco::online::rules
