#include "online/service/service_metrics.h"

#include <algorithm>
#include <cmath>

#include "serving/metrics/serving_metrics.h"

namespace reco::online::service {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Percentile(const std::vector<float>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(std::ceil(q * sorted.size())) - (q > 0 ? 1 : 0));
  return sorted[i];
}

}  // namespace

ServiceMetrics::ServiceMetrics()
    : requests_(registry_.AddCounter("reco_online_requests_total", "HTTP requests by endpoint and status code",
                                     {"endpoint", "code"})),
      latency_(registry_.AddHistogram("reco_online_request_latency_seconds", "Server-side request latency",
                                      {"endpoint"}, serving::metrics::Histogram::ExponentialBounds(1e-4, 2, 16))),
      events_(registry_.AddCounter("reco_online_events_total", "Behaviour events durably acknowledged", {}).Get({})),
      fallbacks_(registry_
                     .AddCounter("reco_online_ranking_fallbacks_total",
                                 "Recommendations served in retrieval order because ranking failed", {})
                     .Get({})),
      candidates_(registry_
                      .AddHistogram("reco_online_candidates", "Candidates considered per recommendation", {},
                                    {10, 50, 100, 200, 300, 400, 500, 750, 1000, 2000})
                      .Get({})),
      ring_(kWindowSize) {}

void ServiceMetrics::RecordRequest(std::string_view endpoint, int http_status, double seconds) {
  char code[8];
  const int n = std::snprintf(code, sizeof(code), "%d", http_status);
  requests_.Get({endpoint, std::string_view(code, static_cast<size_t>(std::max(n, 0)))}).Increment();
  latency_.Get({endpoint}).Observe(seconds);
}

void ServiceMetrics::RecordRecommend(double seconds, int candidates, bool fallback) {
  candidates_.Observe(candidates);
  if (fallback) fallbacks_.Increment();
  std::lock_guard lock(mu_);
  ring_[next_] = Sample{SteadyNowNs(), static_cast<float>(seconds * 1e3)};
  next_ = (next_ + 1) % ring_.size();
  ++total_;
}

int64_t ServiceMetrics::recommend_total() const {
  std::lock_guard lock(mu_);
  return total_;
}

LatencyStats ServiceMetrics::RecentRecommendStats(std::chrono::seconds window) const {
  const int64_t now = SteadyNowNs();
  const int64_t since = now - std::chrono::duration_cast<std::chrono::nanoseconds>(window).count();
  std::vector<float> ms;
  int64_t oldest = now;
  {
    std::lock_guard lock(mu_);
    const size_t n = static_cast<size_t>(std::min<int64_t>(total_, static_cast<int64_t>(ring_.size())));
    ms.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const Sample& s = ring_[(next_ + ring_.size() - 1 - i) % ring_.size()];
      if (s.at_ns < since) break;
      ms.push_back(s.ms);
      oldest = s.at_ns;
    }
  }
  LatencyStats stats;
  // A full ring covers less than the window at high rates: the rate is over the span the ring holds.
  stats.window_seconds =
      ms.size() < ring_.size() ? static_cast<double>(window.count()) : std::max(1e-3, (now - oldest) / 1e9);
  stats.requests = static_cast<int64_t>(ms.size());
  stats.requests_per_second = stats.requests / stats.window_seconds;
  std::sort(ms.begin(), ms.end());
  stats.p50_ms = Percentile(ms, 0.5);
  stats.p90_ms = Percentile(ms, 0.9);
  stats.p99_ms = Percentile(ms, 0.99);
  stats.p999_ms = Percentile(ms, 0.999);
  stats.max_ms = ms.empty() ? 0 : ms.back();
  return stats;
}

std::string ServiceMetrics::PrometheusText() const {
  return registry_.Text() + serving::metrics::ServingMetrics::Global().PrometheusText();
}

}  // namespace reco::online::service
