#include "data/events_generator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <vector>

#include "core/progress_bar.h"

namespace reco::data {
namespace {

constexpr int64_t kDaySeconds = 86400;
constexpr size_t kRecent = 32;  // recent views / carts remembered per user

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  uint64_t Below(uint64_t n) { return Next() % n; }
  int64_t Range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1))); }
  double Exponential() { return -std::log(1.0 - Uniform()); }

 private:
  uint64_t s_;
};

size_t DrawCumulative(const double* cum, size_t n, double u) {
  const double r = u * cum[n - 1];
  return std::min<size_t>(static_cast<size_t>(std::upper_bound(cum, cum + n, r) - cum), n - 1);
}

// Items, categories and popularity: the O(items + categories) part of the state.
struct World {
  std::vector<int32_t> item_cate;       // item → category
  std::vector<int64_t> cate_begin;      // CSR: items of category c are cate_items[cate_begin[c] .. cate_begin[c+1])
  std::vector<int32_t> cate_items;
  std::vector<double> cate_item_cum;    // cumulative item weight within each category's slice
  std::vector<double> cate_cum;         // cumulative category weight (sum of its item weights)

  int32_t DrawItem(int32_t c, Rng& rng) const {
    const int64_t b = cate_begin[static_cast<size_t>(c)], e = cate_begin[static_cast<size_t>(c) + 1];
    const size_t k = DrawCumulative(cate_item_cum.data() + b, static_cast<size_t>(e - b), rng.Uniform());
    return cate_items[static_cast<size_t>(b) + k];
  }
  int32_t DrawCategory(Rng& rng) const {
    return static_cast<int32_t>(DrawCumulative(cate_cum.data(), cate_cum.size(), rng.Uniform()));
  }
};

World BuildWorld(const EventGeneratorOptions& o) {
  Rng rng(o.seed ^ 0xC0FFEEull);
  const size_t m = static_cast<size_t>(o.items), c = static_cast<size_t>(o.categories);
  // Skewed category sizes: a category's share of items ~ 1/(rank+1)^0.7.
  std::vector<double> size_cum(c);
  double acc = 0;
  for (size_t i = 0; i < c; ++i) size_cum[i] = acc += 1.0 / std::pow(static_cast<double>(i) + 1.0, 0.7);
  World w;
  w.item_cate.resize(m);
  for (size_t i = 0; i < m; ++i) {
    w.item_cate[i] = i < c ? static_cast<int32_t>(i) : static_cast<int32_t>(DrawCumulative(size_cum.data(), c, rng.Uniform()));
  }
  // Popularity rank is a random permutation, independent of id and category.
  std::vector<int32_t> rank(m);
  std::iota(rank.begin(), rank.end(), 0);
  for (size_t i = m; i > 1; --i) std::swap(rank[i - 1], rank[rng.Below(i)]);
  w.cate_begin.assign(c + 1, 0);
  for (int32_t cat : w.item_cate) ++w.cate_begin[static_cast<size_t>(cat) + 1];
  for (size_t i = 0; i < c; ++i) w.cate_begin[i + 1] += w.cate_begin[i];
  std::vector<int64_t> cursor(w.cate_begin.begin(), w.cate_begin.end() - 1);
  w.cate_items.resize(m);
  for (size_t i = 0; i < m; ++i) w.cate_items[static_cast<size_t>(cursor[static_cast<size_t>(w.item_cate[i])]++)] = static_cast<int32_t>(i);
  w.cate_item_cum.resize(m);
  w.cate_cum.resize(c);
  double total = 0;
  for (size_t cat = 0; cat < c; ++cat) {
    double run = 0;
    for (int64_t k = w.cate_begin[cat]; k < w.cate_begin[cat + 1]; ++k) {
      const int32_t item = w.cate_items[static_cast<size_t>(k)];
      run += 1.0 / std::pow(static_cast<double>(rank[static_cast<size_t>(item)]) + 1.0, o.item_zipf);
      w.cate_item_cum[static_cast<size_t>(k)] = run;
    }
    w.cate_cum[cat] = total += run;
  }
  return w;
}

// Buffers CSV lines and hands them to the sink in ~1 MiB chunks.
class CsvOut {
 public:
  explicit CsvOut(const CsvChunkFn& sink) : sink_(sink) { buf_.resize(kChunk + 256); }
  Status Row(int64_t user, int32_t item, int32_t cate, int type, int64_t ts) {
    static constexpr std::string_view kNames[4] = {"pv", "cart", "fav", "buy"};
    char* p = buf_.data() + used_;
    char* const e = buf_.data() + buf_.size();
    p = std::to_chars(p, e, user).ptr, *p++ = ',';
    p = std::to_chars(p, e, item + 1).ptr, *p++ = ',';
    p = std::to_chars(p, e, cate + 1).ptr, *p++ = ',';
    p = std::copy(kNames[type].begin(), kNames[type].end(), p), *p++ = ',';
    p = std::to_chars(p, e, ts).ptr, *p++ = '\n';
    used_ = static_cast<size_t>(p - buf_.data());
    return used_ >= kChunk ? Flush() : Status::Ok();
  }
  Status Flush() {
    if (used_ == 0) return Status::Ok();
    bytes_ += static_cast<int64_t>(used_);
    Status s = sink_(std::string_view(buf_.data(), used_));
    used_ = 0;
    return s;
  }
  int64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kChunk = 1 << 20;
  const CsvChunkFn& sink_;
  std::vector<char> buf_;
  size_t used_ = 0;
  int64_t bytes_ = 0;
};

// A small ring of recent item indices.
struct Recent {
  int32_t items[kRecent];
  size_t n = 0;
  void Push(int32_t item) { items[n++ % kRecent] = item; }
  bool empty() const { return n == 0; }
  // Uniform among the last min(n, window) pushes.
  int32_t Pick(Rng& rng, size_t window) const {
    const size_t w = std::min({n, window, kRecent});
    return items[(n - 1 - rng.Below(w)) % kRecent];
  }
};

Status GenerateUser(const EventGeneratorOptions& o, const World& w, int64_t user, CsvOut& out, EventGeneratorStats& st) {
  Rng rng((o.seed + 1) * 0xD1B54A32D192ED03ull ^ static_cast<uint64_t>(user) * 0x9E3779B97F4A7C15ull);
  int32_t interests[4];
  double interest_weight[4];
  const int k = static_cast<int>(rng.Range(2, 4));
  for (int i = 0; i < k; ++i) interests[i] = w.DrawCategory(rng), interest_weight[i] = 0.3 + rng.Uniform();
  const double activity = 0.2 + rng.Exponential();  // heavy and light users
  Recent views, carts;
  int64_t events = 0;
  for (int day = 0; day < o.days; ++day) {
    if (day > 0 && rng.Uniform() < o.drift_per_day) interests[rng.Below(static_cast<uint64_t>(k))] = w.DrawCategory(rng);
    if (rng.Uniform() >= 0.7) continue;
    const int64_t day_start = o.start_time + day * kDaySeconds, day_end = day_start + kDaySeconds;
    int64_t remaining = 1 + static_cast<int64_t>(rng.Exponential() * o.mean_events_per_day * activity);
    int64_t t = day_start + rng.Range(0, 8 * 3600);
    while (remaining > 0 && t < day_end) {
      // One session.
      double pick = rng.Uniform() * std::accumulate(interest_weight, interest_weight + k, 0.0);
      int cur = 0;
      while (cur + 1 < k && pick >= interest_weight[cur]) pick -= interest_weight[cur++];
      int32_t cate = rng.Uniform() < 0.1 ? w.DrawCategory(rng) : interests[cur];
      int64_t len = 1 + static_cast<int64_t>(rng.Exponential() * 8.0);
      for (; len > 0 && remaining > 0 && t < day_end; --len, --remaining) {
        if (rng.Uniform() < 0.08) cate = interests[rng.Below(static_cast<uint64_t>(k))];
        const double u = rng.Uniform();
        const int type = u < 0.895 ? 0 : u < 0.95 ? 1 : u < 0.98 ? 2 : 3;
        int32_t item;
        if (type == 0) {
          item = !views.empty() && rng.Uniform() < 0.2 ? views.Pick(rng, 8) : w.DrawItem(cate, rng);
          views.Push(item);
        } else if (type == 3 && !carts.empty() && rng.Uniform() < 0.6) {
          item = carts.Pick(rng, 8);
        } else {
          item = !views.empty() && rng.Uniform() < 0.9 ? views.Pick(rng, 8) : w.DrawItem(cate, rng);
          if (type == 1) carts.Push(item);
        }
        RETURN_IF_ERROR(out.Row(user, item, w.item_cate[static_cast<size_t>(item)], type, t));
        ++st.by_type[type];
        ++events;
        t += rng.Range(5, 180);
      }
      t += rng.Range(20 * 60, 3 * 3600);  // gap between sessions
    }
  }
  st.events += events;
  if (events > 0) ++st.active_users;
  return Status::Ok();
}

}  // namespace

Status GenerateEvents(const EventGeneratorOptions& o, const CsvChunkFn& sink, EventGeneratorStats* stats) {
  if (o.users < 1 || o.items < 1 || o.categories < 1 || o.days < 1) {
    return InvalidArgumentError("gen-events: users, items, categories and days must all be >= 1");
  }
  if (o.categories > o.items) return InvalidArgumentError("gen-events: need at least as many items as categories");
  if (o.items > (int64_t{1} << 31) - 2 || o.users > (int64_t{1} << 53)) return InvalidArgumentError("gen-events: too many ids");
  if (!(o.mean_events_per_day > 0 && o.mean_events_per_day <= 1e5) || !(o.item_zipf >= 0) ||
      !(o.drift_per_day >= 0 && o.drift_per_day <= 1)) {
    return InvalidArgumentError("gen-events: --events-per-day in (0, 100000], item_zipf >= 0, drift_per_day in [0, 1]");
  }
  EventGeneratorStats local;
  EventGeneratorStats& st = stats ? *stats : local;
  st = EventGeneratorStats{};
  const World world = BuildWorld(o);
  CsvOut out(sink);
  std::unique_ptr<ProgressBar> bar;
  if (o.progress) bar = std::make_unique<ProgressBar>(ProgressBar::Options{
        .label = "gen-events users", .total_steps = o.users, .show_loss = false, .unit = "events", .out = stderr,
        .plain_interval_seconds = 10.0});
  for (int64_t u = 1; u <= o.users; ++u) {
    RETURN_IF_ERROR(GenerateUser(o, world, u, out, st));
    if (bar && u % 1024 == 0) bar->Update(u, st.events, 0.0);
  }
  RETURN_IF_ERROR(out.Flush());
  if (bar) bar->Finish(o.users, st.events, 0.0);
  st.bytes = out.bytes();
  return Status::Ok();
}

Status GenerateEventsToFile(const EventGeneratorOptions& options, const std::string& path, EventGeneratorStats* stats) {
  const std::string tmp = path + ".tmp";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!f) return InvalidArgumentError(path + ": cannot open for writing");
  auto sink = [&f, &path](std::string_view chunk) -> Status {
    if (std::fwrite(chunk.data(), 1, chunk.size(), f.get()) != chunk.size()) {
      return InternalError(path + ": write failed (disk full?)");
    }
    return Status::Ok();
  };
  Status s = GenerateEvents(options, sink, stats);
  if (s.ok() && std::fflush(f.get()) != 0) s = InternalError(path + ": write failed");
  f.reset();
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return InternalError(path + ": rename failed");
  return Status::Ok();
}

}  // namespace reco::data
