// Counter, Gauge and Histogram: the three Prometheus metric kinds reco-model-server exports.
//
// Contract: values only go up for counters; gauges are set or added to; a histogram counts observations into
// fixed upper bounds chosen at construction (an implicit +Inf bucket catches the rest). Hot-path updates are
// lock-free: each metric is split into cache-line-sized shards and a thread updates the shard picked by its
// thread id, so concurrent request threads do not bounce one cache line. Reads (for the exposition text) sum the
// shards, so a read concurrent with updates sees each update either fully or not at all per shard, which is the
// consistency Prometheus scrapes expect.
// Thread-safety: every method may be called concurrently. Objects are neither copyable nor movable.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace reco::serving::metrics {

inline constexpr size_t kMetricShards = 8;

// This thread's shard index in [0, kMetricShards).
size_t ThisThreadShard();

class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // `delta` must be >= 0 (negative deltas are ignored: a counter never goes down).
  void Increment(double delta = 1.0);
  double Value() const;

 private:
  struct alignas(64) Shard {
    std::atomic<double> value{0.0};
  };
  std::array<Shard, kMetricShards> shards_;
};

class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds` must be strictly increasing and finite (checked: invalid bounds are sorted and de-duplicated).
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative_counts;  // bounds.size() + 1 entries; the last is the +Inf bucket = count
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

  // Exponential bounds: start, start*factor, ... (count of them).
  static std::vector<double> ExponentialBounds(double start, double factor, int count);

 private:
  struct alignas(64) Shard {
    std::unique_ptr<std::atomic<uint64_t>[]> buckets;  // bounds_.size() + 1, non-cumulative
    std::atomic<double> sum{0.0};
  };
  std::vector<double> bounds_;
  std::array<Shard, kMetricShards> shards_;
};

}  // namespace reco::serving::metrics
