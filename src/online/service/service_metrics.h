// ServiceMetrics: what reco-recommender measures about itself — Prometheus families for /metrics and a recent
// latency window for the storefront's stats panel (/v1/stats: requests/s and latency percentiles of the last
// seconds, which a cumulative histogram cannot give).
//
// Families:
//   reco_online_requests_total{endpoint,code}              counter
//   reco_online_request_latency_seconds{endpoint}          histogram
//   reco_online_events_total                               counter (durably acknowledged events)
//   reco_online_ranking_fallbacks_total                    counter (recommendations served in retrieval order)
//   reco_online_candidates                                 histogram (candidates considered per recommendation)
// plus the model lifecycle families of serving/metrics (model loads, loaded versions).
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "serving/metrics/registry.h"

namespace reco::online::service {

struct LatencyStats {
  double window_seconds = 0;
  int64_t requests = 0;  // in the window
  double requests_per_second = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

class ServiceMetrics {
 public:
  ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  void RecordRequest(std::string_view endpoint, int http_status, double seconds);
  void RecordRecommend(double seconds, int candidates, bool fallback);
  void RecordEvents(int64_t count) { events_.Increment(static_cast<double>(count)); }

  // Recommend latencies of the last `window` (at most the last kWindowSize requests).
  LatencyStats RecentRecommendStats(std::chrono::seconds window = std::chrono::seconds(10)) const;
  int64_t events_total() const { return static_cast<int64_t>(events_.Value()); }
  int64_t recommend_total() const;

  // This registry's text followed by the serving lifecycle metrics.
  std::string PrometheusText() const;

  static constexpr size_t kWindowSize = 1 << 14;

 private:
  serving::metrics::Registry registry_;
  serving::metrics::Family<serving::metrics::Counter>& requests_;
  serving::metrics::Family<serving::metrics::Histogram>& latency_;
  serving::metrics::Counter& events_;
  serving::metrics::Counter& fallbacks_;
  serving::metrics::Histogram& candidates_;

  struct Sample {
    int64_t at_ns = 0;  // steady clock
    float ms = 0;
  };
  mutable std::mutex mu_;
  std::vector<Sample> ring_;  // GUARDED_BY(mu_)
  size_t next_ = 0;           // GUARDED_BY(mu_)
  int64_t total_ = 0;         // GUARDED_BY(mu_)
};

}  // namespace reco::online::service
