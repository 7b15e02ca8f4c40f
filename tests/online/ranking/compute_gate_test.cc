// ComputeGate: never more than `slots` callers inside, callers admitted in arrival order, 0 slots = no limit.
#include "online/ranking/compute_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace reco::online::ranking {
namespace {

void WaitUntil(const std::function<bool()>& done) {
  while (!done()) std::this_thread::yield();
}

TEST(ComputeGate, AtMostSlotsCallersInside) {
  ComputeGate gate(2);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const ComputeGate::Pass pass(&gate);
        const int now = inside.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        inside.fetch_sub(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(most.load(), 2);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(gate.waiting(), 0);
}

TEST(ComputeGate, AdmitsInArrivalOrder) {
  ComputeGate gate(1);
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  {
    const ComputeGate::Pass held(&gate);  // the slot is taken: everyone below queues
    for (int i = 0; i < 5; ++i) {
      threads.emplace_back([&, i] {
        const ComputeGate::Pass pass(&gate);
        std::lock_guard lock(mu);
        order.push_back(i);
      });
      WaitUntil([&] { return gate.waiting() == i + 1; });  // thread i holds its ticket before i + 1 starts
    }
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(ComputeGate, ZeroSlotsIsNoLimit) {
  ComputeGate gate(0);
  const ComputeGate::Pass a(&gate), b(&gate), c(&gate);  // would deadlock with any limit below 3
  EXPECT_EQ(gate.waiting(), 0);
}

}  // namespace
}  // namespace reco::online::ranking
