// Durable ingest throughput of the online store (issue 6 goal: ≥ 20k events/s durable), plus bulk import and
// reopen (replay) speed. Prints a table; no assertions.
//
//   store_ingest_bench [--seconds S] [--dir DIR]
//
// Each row: N threads each calling Store::Append with a batch of B events (B = 1 is one event per HTTP request;
// larger B is a client batching its POSTs) for S seconds, every call durable (WAL fsync, group commit).
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "online/store/store.h"

namespace reco::online {
namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  double events_per_s;
  double calls_per_s;
  double events_per_fsync;
  double p50_ms;  // latency of one Append (= the earliest an event can be visible to a recommend request)
  double p99_ms;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

Result RunAppenders(Store* store, int threads, int batch, double seconds) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> events{0};
  std::atomic<int64_t> calls{0};
  const int64_t commits_before = store->stats().group_commits;
  std::vector<std::thread> workers;
  std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& lat = latencies[static_cast<size_t>(t)];
      std::vector<Event> buf(static_cast<size_t>(batch));
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (auto& e : buf) {
          ++n;
          e = Event{static_cast<uint64_t>(t) * 1'000'000 + n % 5000, 1 + (n * 7919) % 100'000,
                    static_cast<int64_t>(1 + n % 500), static_cast<data::BehaviorType>(n % 4),
                    1'700'000'000 + static_cast<int64_t>(n)};
        }
        const auto call = Clock::now();
        if (!store->Append(buf).ok()) std::abort();
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - call).count());
        events.fetch_add(batch, std::memory_order_relaxed);
        calls.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const int64_t commits = store->stats().group_commits - commits_before;
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  return {events / elapsed, calls / elapsed, commits > 0 ? static_cast<double>(events) / commits : 0,
          Percentile(all, 0.5), Percentile(all, 0.99)};
}

int Main(int argc, char** argv) {
  double seconds = 2.0;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  if (dir.empty()) {
    char pattern[] = "/tmp/reco-ingest-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  }
  StoreOptions options;
  options.data_dir = dir + "/db";
  int64_t total = 0;
  {
    auto store = Store::Open(options);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    std::printf("durable ingest (sync WAL, group commit), %.1f s per row, data dir %s\n", seconds, dir.c_str());
    std::printf("%-9s %-6s %12s %10s %13s %13s %13s\n", "appenders", "batch", "events/s", "calls/s", "events/fsync",
                "append p50 ms", "append p99 ms");
    for (int batch : {1, 100}) {
      for (int threads : {1, 4, 16}) {
        const Result r = RunAppenders(store->get(), threads, batch, seconds);
        std::printf("%-9d %-6d %12.0f %10.0f %13.1f %13.2f %13.2f\n", threads, batch, r.events_per_s, r.calls_per_s,
                    r.events_per_fsync, r.p50_ms, r.p99_ms);
        std::fflush(stdout);
      }
    }
    total = (*store)->stats().events_total;
  }
  const auto start = Clock::now();
  auto reopened = Store::Open(options);
  const double replay = std::chrono::duration<double>(Clock::now() - start).count();
  if (!reopened.ok()) return 1;
  std::printf("reopen: %lld events in %.2f s (%lld from the snapshot written at close, %lld replayed)\n",
              static_cast<long long>(total), replay, static_cast<long long>((*reopened)->stats().snapshot_events),
              static_cast<long long>((*reopened)->stats().replayed_events));
  reopened->reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace reco::online

int main(int argc, char** argv) { return reco::online::Main(argc, argv); }
