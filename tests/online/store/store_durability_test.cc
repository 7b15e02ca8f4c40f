// Durability: a child process appends events from 4 threads (one event per durable Append) and reports each
// acknowledged event over a pipe; the parent SIGKILLs it mid-stream, reopens the store and requires every
// acknowledged event to be in the log and in the rebuilt histories (0 lost), also when the state comes from a
// snapshot taken mid-stream plus the log after it. The kill loses the process, not the
// OS page cache, so this checks the write-ahead path and replay; power loss is what StoreOptions::sync adds on top.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>
#include <vector>

#include "online/store/store.h"
#include "testutil/temp_dir.h"

namespace reco::online {
namespace {

constexpr int kThreads = 4;
constexpr uint64_t kUsers = 5;

// Runs in the forked child: never returns.
[[noreturn]] void AppendForever(const std::string& dir, int ack_fd) {
  StoreOptions options;
  options.data_dir = dir;
  options.max_history = 1 << 20;
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(2);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0;; ++i) {
        const uint64_t item = static_cast<uint64_t>(t) * 100'000'000 + i + 1;
        const Event e{item % kUsers, item, 1 + t, data::BehaviorType::kPv, static_cast<int64_t>(1'000'000 + i)};
        if (!(*store)->Append({&e, 1}).ok()) _exit(3);
        // Thread 0 also checkpoints now and then, so the kill may land mid-snapshot and reopen must combine the
        // last complete snapshot with the log after it.
        if (t == 0 && i % 300 == 299 && !(*store)->Checkpoint().ok()) _exit(5);
        // 8-byte writes to a pipe are atomic; the ack is sent only after Append returned OK.
        if (write(ack_fd, &item, sizeof(item)) != sizeof(item)) _exit(4);
      }
    });
  }
  for (auto& th : threads) th.join();
  _exit(0);
}

TEST(StoreDurabilityTest, EveryAcknowledgedEventSurvivesSigkill) {
  testutil::TempDir dir("reco-durability");
  const std::string db = dir.Sub("db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    AppendForever(db, fds[1]);
  }
  close(fds[1]);

  std::set<uint64_t> acked;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  uint64_t item = 0;
  while (acked.size() < 3000 && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = read(fds[0], &item, sizeof(item));
    if (n != sizeof(item)) break;  // the child died on its own
    acked.insert(item);
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << "the child exited early: " << wstatus;
  // Acks written just before the kill are still in the pipe.
  while (read(fds[0], &item, sizeof(item)) == sizeof(item)) acked.insert(item);
  close(fds[0]);
  ASSERT_GE(acked.size(), 100u) << "the child acknowledged too few events to test anything";

  StoreOptions options;
  options.data_dir = db;
  options.max_history = 1 << 20;
  auto store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::set<uint64_t> logged;
  ASSERT_TRUE((*store)->ForEachEvent([&](uint64_t, const Event& e) {
                    logged.insert(e.item_id);
                    return Status::Ok();
                  }).ok());
  size_t lost = 0;
  for (uint64_t id : acked) lost += logged.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(lost, 0u) << "of " << acked.size() << " acknowledged events";
  EXPECT_GE(logged.size(), acked.size());  // unacknowledged in-flight events may be there too

  std::set<uint64_t> in_history;
  std::vector<HistoryEntry> h;
  for (uint64_t u = 0; u < kUsers; ++u) {
    ASSERT_TRUE((*store)->History(u, 1 << 20, &h).ok());
    for (const auto& e : h) in_history.insert(e.item_id);
  }
  EXPECT_EQ(in_history, logged);
  EXPECT_EQ((*store)->stats().events_total, static_cast<int64_t>(logged.size()));
  std::printf("acknowledged %zu events before SIGKILL, %zu in the log after reopen (%lld from the snapshot), 0 lost\n",
              acked.size(), logged.size(), static_cast<long long>((*store)->stats().snapshot_events));
}

}  // namespace
}  // namespace reco::online
