// PeriodicCheckpointer: snapshots while events arrive (so a crash replays little), nothing when idle, and a store
// that dies without a clean close reopens from the periodic snapshot.
#include "online/store/checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "testutil/temp_dir.h"

namespace reco::online {
namespace {

using namespace std::chrono_literals;

std::vector<Event> Events(uint64_t user, int n) {
  std::vector<Event> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Event{user, static_cast<uint64_t>(100 + i), 1, data::BehaviorType::kPv, 1000 + 10 * i});
  }
  return out;
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(PeriodicCheckpointerTest, SnapshotsNewEventsAndSkipsIdleIntervals) {
  testutil::TempDir dir;
  StoreOptions o;
  o.data_dir = dir.Sub("db");
  o.snapshot_on_close = false;  // only the checkpointer writes snapshots here
  {
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    PeriodicCheckpointer checkpointer(store->get(), 20ms);
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(checkpointer.checkpoints(), 0) << "no events, no snapshot";
    const std::vector<Event> batch = Events(7, 30);
    ASSERT_TRUE((*store)->Append(batch).ok());
    ASSERT_TRUE(WaitFor([&] { return checkpointer.checkpoints() >= 1; }));
    const int64_t after_first = checkpointer.checkpoints();
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(checkpointer.checkpoints(), after_first) << "idle intervals write nothing";
    checkpointer.Stop();
    // The store is closed without a snapshot of its own (as after a crash, the checkpointer's is the last one).
  }
  auto reopened = Store::Open(o);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  const StoreStats stats = (*reopened)->stats();
  EXPECT_EQ(stats.events_total, 30);
  EXPECT_EQ(stats.snapshot_events, 30) << "restored from the periodic snapshot";
  EXPECT_EQ(stats.replayed_events, 0);
}

TEST(PeriodicCheckpointerTest, StopIsPromptAndIdempotent) {
  testutil::TempDir dir;
  StoreOptions o;
  o.data_dir = dir.Sub("db");
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const auto t0 = std::chrono::steady_clock::now();
  {
    PeriodicCheckpointer checkpointer(store->get(), 1h);
    checkpointer.Stop();
    checkpointer.Stop();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "Stop must not wait out the interval";
}

}  // namespace
}  // namespace reco::online
