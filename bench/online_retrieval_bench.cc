// Online store + retrieval on generated Taobao-style data: CSV import speed, reopen (replay) time, and the latency
// of one recommend request's retrieval part (History + Retriever::Retrieve, 500 candidates) for known users and
// cold-start users. Prints numbers; no assertions.
//
//   online_retrieval_bench [--users N] [--items M] [--categories C] [--requests R]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "data/events_generator.h"
#include "online/retrieval/retriever.h"
#include "online/store/csv_import.h"

namespace reco::online {
namespace {

using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int Main(int argc, char** argv) {
  data::EventGeneratorOptions gen;
  gen.users = 5000;
  gen.items = 50000;
  gen.categories = 500;
  int requests = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const long long v = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--users") == 0) gen.users = v;
    if (std::strcmp(argv[i], "--items") == 0) gen.items = v;
    if (std::strcmp(argv[i], "--categories") == 0) gen.categories = v;
    if (std::strcmp(argv[i], "--requests") == 0) requests = static_cast<int>(v);
  }
  char pattern[] = "/tmp/reco-retrieval-bench-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return 1;
  const std::string dir = pattern;
  const std::string csv = dir + "/events.csv";
  data::EventGeneratorStats gstats;
  if (Status s = data::GenerateEventsToFile(gen, csv, &gstats); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  StoreOptions options;
  options.data_dir = dir + "/db";
  {
    auto store = Store::Open(options);
    if (!store.ok()) return 1;
    ImportStats istats;
    if (Status s = ImportCsv(store->get(), csv, &istats); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("import: %lld events in %.2f s = %.0f events/s (one WAL fsync at the end)\n",
                static_cast<long long>(istats.events_appended), istats.seconds,
                istats.events_appended / istats.seconds);
  }
  const auto t0 = Clock::now();
  auto opened = Store::Open(options);
  if (!opened.ok()) return 1;
  std::unique_ptr<Store> store = std::move(opened).value();
  const double reopen = std::chrono::duration<double>(Clock::now() - t0).count();
  const StoreStats st = store->stats();
  std::printf("reopen: %.2f s for %lld events (%lld from the snapshot written at close, %lld replayed), %lld users, "
              "%lld items\n",
              reopen, static_cast<long long>(st.events_total), static_cast<long long>(st.snapshot_events),
              static_cast<long long>(st.replayed_events), static_cast<long long>(st.num_users),
              static_cast<long long>(st.num_items));

  Retriever retriever(store.get(), RetrieverOptions());
  std::mt19937_64 rng(7);
  std::vector<HistoryEntry> history;
  std::vector<Candidate> out;
  for (bool cold : {false, true}) {
    std::vector<double> us;
    size_t candidates = 0;
    for (int r = 0; r < requests; ++r) {
      const uint64_t user = cold ? 10'000'000 + rng() % 1000 : 1 + rng() % static_cast<uint64_t>(gen.users);
      const auto start = Clock::now();
      if (!store->History(user, 50, &history).ok()) return 1;
      RetrievalRequest req;
      req.user_id = user;
      req.history = history;
      req.want = 500;
      req.now = store->Now();
      if (!retriever.Retrieve(req, &out).ok()) return 1;
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      candidates += out.size();
    }
    std::printf("retrieval (%s users): p50 %.0f us, p99 %.0f us, p99.9 %.0f us, mean candidates %.0f\n",
                cold ? "cold-start" : "known", Percentile(us, 0.5), Percentile(us, 0.99), Percentile(us, 0.999),
                static_cast<double>(candidates) / requests);
  }
  store.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace reco::online

int main(int argc, char** argv) { return reco::online::Main(argc, argv); }
