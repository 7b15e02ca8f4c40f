// recommender_loadgen: an open-loop HTTP load generator for reco-recommender (bench/recommender_load.sh).
//
//   recommender_loadgen recommend --port P --rate R --seconds S [--users N] [--k 10] [--connections C]
//     Sends GET /v1/recommend at a fixed rate R (request i is due at t0 + i/R, whatever earlier requests do) over
//     C keep-alive connections, and measures each latency from the request's DUE time, so a stalled server shows
//     up as queueing delay instead of silently lowering the rate (no coordinated omission). Prints achieved rate,
//     p50/p99/p99.9/max and errors.
//   recommender_loadgen events --port P --seconds S [--batch B] [--connections C]
//     Posts batches of B events as fast as C connections can (each answered only once durable) and prints
//     durable events/s and the per-batch latency.
//   recommender_loadgen history --port P --users N --per-user H [--first-user U]
//     Gives each of users U..U+N-1 exactly H behaviours (one batch per user), so the recommend phase ranks every
//     shopper with a known history length whatever the ingestion phase managed.
// Loopback only. Exit 1 if any request failed.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  int port = 8080;
  double rate = 100;
  double seconds = 10;
  int users = 1000;
  int first_user = 1000;
  int k = 10;
  int connections = 32;
  int batch = 100;
  int num_items = 998;
  int first_item = 5000;
  int per_user = 10;
};

class Connection {
 public:
  explicit Connection(int port) : port_(port) {}
  // Status code, or -1 on a transport error. `server_timing`, if given, receives the Server-Timing header.
  int Call(http::verb verb, const std::string& target, const std::string& body,
           std::string* server_timing = nullptr) {
    try {
      if (!socket_) {
        socket_.emplace(ioc_);
        socket_->connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
        socket_->set_option(asio::ip::tcp::no_delay(true));
      }
      http::request<http::string_body> req{verb, target, 11};
      req.set(http::field::host, "127.0.0.1");
      if (!body.empty()) req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      http::write(*socket_, req);
      http::response<http::string_body> res;
      http::read(*socket_, buffer_, res);
      if (server_timing) {
        const auto it = res.find("Server-Timing");
        server_timing->assign(it == res.end() ? "" : std::string(it->value()));
      }
      if (!res.keep_alive()) socket_.reset();
      return static_cast<int>(res.result_int());
    } catch (const std::exception&) {
      socket_.reset();
      buffer_.clear();
      return -1;
    }
  }

 private:
  int port_;
  asio::io_context ioc_;
  std::optional<asio::ip::tcp::socket> socket_;
  beast::flat_buffer buffer_;
};

// Sums of the server's Server-Timing entries ("retrieve;dur=0.3, rank;dur=4.1, ..."), in order of appearance.
struct ServerTiming {
  std::vector<std::pair<std::string, double>> sums;
  int64_t responses = 0;
  void Add(const std::string& header) {
    if (header.empty()) return;
    ++responses;
    size_t pos = 0;
    while (pos < header.size()) {
      size_t end = header.find(',', pos);
      if (end == std::string::npos) end = header.size();
      const std::string entry = header.substr(pos, end - pos);
      const size_t semi = entry.find(";dur=");
      if (semi != std::string::npos) {
        std::string name = entry.substr(0, semi);
        name.erase(0, name.find_first_not_of(' '));
        const double ms = std::atof(entry.c_str() + semi + 5);
        auto it = std::find_if(sums.begin(), sums.end(), [&](const auto& e) { return e.first == name; });
        if (it == sums.end()) sums.emplace_back(name, ms); else it->second += ms;
      }
      pos = end + 1;
    }
  }
  void Merge(const ServerTiming& o) {
    responses += o.responses;
    for (const auto& [name, ms] : o.sums) {
      auto it = std::find_if(sums.begin(), sums.end(), [&](const auto& e) { return e.first == name; });
      if (it == sums.end()) sums.emplace_back(name, ms); else it->second += ms;
    }
  }
  std::string Means() const {
    std::string s;
    for (const auto& [name, ms] : sums) {
      char one[64];
      std::snprintf(one, sizeof(one), "%s%s=%.2f", s.empty() ? "" : " ", name.c_str(),
                    ms / static_cast<double>(std::max<int64_t>(responses, 1)));
      s += one;
    }
    return s;
  }
};

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

int RunRecommend(const Options& o) {
  const int64_t total = static_cast<int64_t>(o.rate * o.seconds);
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> errors{0}, unsent{0};
  std::mutex mu;
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(total));
  ServerTiming timing;
  const Clock::time_point t0 = Clock::now() + std::chrono::milliseconds(100);
  // Bounded run: a saturated server does not stretch the benchmark; requests still unsent 2 s after the schedule
  // ends are counted (and reported) instead of sent.
  const Clock::time_point give_up =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds + 2));
  const auto interval = std::chrono::duration<double>(1.0 / o.rate);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&] {
      Connection conn(o.port);
      std::vector<double> mine;
      ServerTiming my_timing;
      std::string header;
      for (int64_t i; (i = next.fetch_add(1)) < total;) {
        const Clock::time_point due = t0 + std::chrono::duration_cast<Clock::duration>(interval * i);
        std::this_thread::sleep_until(due);
        if (Clock::now() > give_up) {
          unsent.fetch_add(1);
          continue;
        }
        const int user = o.first_user + static_cast<int>((i * 7919) % o.users);
        const std::string target = "/v1/recommend?user_id=" + std::to_string(user) + "&k=" + std::to_string(o.k);
        const int status = conn.Call(http::verb::get, target, "", &header);
        if (status != 200) errors.fetch_add(1);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
        my_timing.Add(header);
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      timing.Merge(my_timing);
    });
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double max = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  const double p50 = Percentile(latencies, 0.5), p99 = Percentile(latencies, 0.99),
               p999 = Percentile(latencies, 0.999);
  std::printf("recommend rate=%.0f/s achieved=%.0f/s requests=%lld errors=%lld p50=%.2fms p99=%.2fms p99.9=%.2fms "
              "max=%.2fms%s\n",
              o.rate, static_cast<double>(latencies.size()) / elapsed, static_cast<long long>(latencies.size()),
              static_cast<long long>(errors.load()), p50, p99, p999, max,
              unsent.load() ? (" SATURATED: " + std::to_string(unsent.load()) + " requests never sent").c_str() : "");
  if (timing.responses > 0) std::printf("  server-side means (ms): %s\n", timing.Means().c_str());
  return errors.load() == 0 ? 0 : 1;
}

int RunEvents(const Options& o) {
  std::atomic<int64_t> events{0}, errors{0}, batch_id{0};
  std::mutex mu;
  std::vector<double> latencies;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  static const char* kBehaviors[] = {"pv", "pv", "pv", "cart", "fav", "buy"};
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&] {
      Connection conn(o.port);
      std::vector<double> mine;
      std::string body;
      while (Clock::now() < end) {
        const int64_t b = batch_id.fetch_add(1);
        body = "[";
        for (int j = 0; j < o.batch; ++j) {
          const int64_t n = b * o.batch + j;
          const int item = o.first_item + static_cast<int>((n * 2654435761ll) % o.num_items);
          char one[160];
          std::snprintf(one, sizeof(one), R"(%s{"user_id":%lld,"item_id":%d,"category_id":%d,"behavior":"%s"})",
                        j ? "," : "", static_cast<long long>(o.first_user + n % 50000), item,
                        1 + (item - o.first_item) % 98, kBehaviors[n % 6]);
          body += one;
        }
        body += "]";
        const Clock::time_point t = Clock::now();
        const int status = conn.Call(http::verb::post, "/v1/events", body);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
        if (status == 200) {
          events.fetch_add(o.batch);
        } else {
          errors.fetch_add(1);
        }
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("events batch=%d connections=%d durable=%lld in %.1fs -> %.0f events/s; batch latency p50=%.2fms "
              "p99=%.2fms errors=%lld\n",
              o.batch, o.connections, static_cast<long long>(events.load()), elapsed, events.load() / elapsed,
              Percentile(latencies, 0.5), Percentile(latencies, 0.99), static_cast<long long>(errors.load()));
  return errors.load() == 0 ? 0 : 1;
}

}  // namespace

int RunHistory(const Options& o) {
  static const char* kBehaviors[] = {"pv", "pv", "pv", "cart", "fav", "pv", "pv", "cart", "pv", "buy"};
  std::atomic<int> next{0};
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (int c = 0; c < std::min(o.connections, 8); ++c) {
    threads.emplace_back([&] {
      Connection conn(o.port);
      std::string body;
      for (int u; (u = next.fetch_add(1)) < o.users;) {
        const int user = o.first_user + u;
        body = "[";
        for (int j = 0; j < o.per_user; ++j) {
          const int item = o.first_item + (user * 31 + j * 7) % o.num_items;
          char one[160];
          std::snprintf(one, sizeof(one), R"(%s{"user_id":%d,"item_id":%d,"category_id":%d,"behavior":"%s"})",
                        j ? "," : "", user, item, 1 + (item - o.first_item) % 98, kBehaviors[j % 10]);
          body += one;
        }
        body += "]";
        if (conn.Call(http::verb::post, "/v1/events", body) != 200) errors.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::printf("history: %d users x %d behaviours in %.1fs, errors=%lld\n", o.users, o.per_user,
              std::chrono::duration<double>(Clock::now() - start).count(), static_cast<long long>(errors.load()));
  return errors.load() == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s recommend|events|history --port P [--rate R] [--seconds S] [--users N] [--k K] "
                         "[--connections C] [--batch B] [--first-user U] [--per-user H]\n", argv[0]);
    return 2;
  }
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const double v = std::atof(argv[i + 1]);
    if (flag == "--port") o.port = static_cast<int>(v);
    else if (flag == "--rate") o.rate = v;
    else if (flag == "--seconds") o.seconds = v;
    else if (flag == "--users") o.users = static_cast<int>(v);
    else if (flag == "--first-user") o.first_user = static_cast<int>(v);
    else if (flag == "--k") o.k = static_cast<int>(v);
    else if (flag == "--connections") o.connections = static_cast<int>(v);
    else if (flag == "--batch") o.batch = static_cast<int>(v);
    else if (flag == "--per-user") o.per_user = static_cast<int>(v);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (o.rate <= 0 || o.seconds <= 0 || o.connections <= 0 || o.users <= 0 || o.batch <= 0) {
    std::fprintf(stderr, "rates, durations and counts must be positive\n");
    return 2;
  }
  if (o.mode == "recommend") return RunRecommend(o);
  if (o.mode == "events") return RunEvents(o);
  if (o.mode == "history") return RunHistory(o);
  std::fprintf(stderr, "unknown mode %s (recommend|events)\n", o.mode.c_str());
  return 2;
}
