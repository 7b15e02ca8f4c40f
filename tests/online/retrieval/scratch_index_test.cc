// ScratchIndex: insert/find, O(1) reset between requests, growth past the reserved size.
#include "online/retrieval/scratch_index.h"

#include <gtest/gtest.h>

namespace reco::online {
namespace {

TEST(ScratchIndexTest, InsertFindResetGrow) {
  ScratchIndex index;
  bool inserted = false;
  EXPECT_EQ(index.FindOrInsert(42, 7, &inserted), 7u);  // usable before the first Reset
  EXPECT_TRUE(inserted);
  for (int round = 0; round < 3; ++round) {
    index.Reset(4);
    // 1000 keys into room for 4: grows several times and keeps every mapping.
    for (uint64_t k = 0; k < 1000; ++k) {
      EXPECT_EQ(index.FindOrInsert(k * 1'000'003 + static_cast<uint64_t>(round), static_cast<uint32_t>(k), &inserted),
                k);
      EXPECT_TRUE(inserted);
    }
    for (uint64_t k = 0; k < 1000; ++k) {
      EXPECT_EQ(index.FindOrInsert(k * 1'000'003 + static_cast<uint64_t>(round), 99999, &inserted), k);
      EXPECT_FALSE(inserted);
    }
  }
  index.Reset(16);  // forgets everything from before
  EXPECT_EQ(index.FindOrInsert(2 * 1'000'003 + 2, 5, &inserted), 5u);
  EXPECT_TRUE(inserted);
}

}  // namespace
}  // namespace reco::online
