#include "serving/metrics/metric.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <thread>

namespace reco::serving::metrics {

size_t ThisThreadShard() {
  // Computed once per thread: hashing the id on every update would cost more than the update.
  thread_local const size_t shard = std::hash<std::thread::id>{}(std::this_thread::get_id()) % kMetricShards;
  return shard;
}

void Counter::Increment(double delta) {
  if (!(delta > 0)) return;  // also drops NaN
  shards_[ThisThreadShard()].value.fetch_add(delta, std::memory_order_relaxed);
}

double Counter::Value() const {
  double total = 0;
  for (const Shard& s : shards_) total += s.value.load(std::memory_order_relaxed);
  return total;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::erase_if(bounds_, [](double b) { return !std::isfinite(b); });
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  for (Shard& s : shards_) {
    s.buckets = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
    for (size_t i = 0; i <= bounds_.size(); ++i) s.buckets[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // Prometheus buckets are "less than or equal": the first bound >= value.
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  Shard& s = shards_[ThisThreadShard()];
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snap;
  snap.bounds = bounds_;
  snap.cumulative_counts.assign(bounds_.size() + 1, 0);
  for (const Shard& s : shards_) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      snap.cumulative_counts[i] += s.buckets[i].load(std::memory_order_relaxed);
    }
    snap.sum += s.sum.load(std::memory_order_relaxed);
  }
  for (size_t i = 1; i < snap.cumulative_counts.size(); ++i) snap.cumulative_counts[i] += snap.cumulative_counts[i - 1];
  snap.count = snap.cumulative_counts.back();
  return snap;
}

std::vector<double> Histogram::ExponentialBounds(double start, double factor, int count) {
  std::vector<double> bounds;
  bounds.reserve(count);
  double b = start;
  for (int i = 0; i < count; ++i, b *= factor) bounds.push_back(b);
  return bounds;
}

}  // namespace reco::serving::metrics
