// ServingMetrics: the metrics reco-model-server exports, and TF Serving's monitoring config.
//
// One instance per process (Global()); tests make their own. Families (Prometheus names):
//   reco_serving_requests_total{model,version,api,status}      counter  (api: "predict", "grpc_predict", ...;
//                                                                         status: "OK", "INVALID_ARGUMENT", ...)
//   reco_serving_request_latency_seconds{model,api}             histogram
//   reco_serving_batch_size{model}                              histogram (merged batch sizes, dynamic batching)
//   reco_serving_batch_queue_seconds{model}                     histogram (time a request waited to be batched)
//   reco_serving_model_load_seconds{model}                      histogram
//   reco_serving_model_load_failures_total{model}               counter
//   reco_serving_loaded_versions{model}                         gauge
// The REST transport serves PrometheusText() at MonitoringOptions::path when MonitoringOptions::enabled.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "serving/metrics/registry.h"

namespace reco::serving::metrics {

class ServingMetrics {
 public:
  ServingMetrics();
  ServingMetrics(const ServingMetrics&) = delete;
  ServingMetrics& operator=(const ServingMetrics&) = delete;

  // The process-wide instance.
  static ServingMetrics& Global();

  // One finished request. `version` is 0 when none was resolved (e.g. unknown model).
  void RecordRequest(std::string_view model, int64_t version, std::string_view api, StatusCode code,
                     double latency_seconds);
  // One merged batch run by the dynamic batcher, and how long one of its requests waited in the queue.
  void RecordBatch(std::string_view model, int64_t batch_size);
  void RecordQueueTime(std::string_view model, double seconds);
  // One model version load attempt.
  void RecordModelLoad(std::string_view model, int64_t version, const Status& status, double seconds);
  void SetLoadedVersions(std::string_view model, int64_t count);

  // The exposition text of every family.
  std::string PrometheusText() const { return registry_.Text(); }
  Registry& registry() { return registry_; }

 private:
  Registry registry_;
  Family<Counter>& requests_;
  Family<Histogram>& latency_;
  Family<Histogram>& batch_size_;
  Family<Histogram>& queue_time_;
  Family<Histogram>& load_time_;
  Family<Counter>& load_failures_;
  Family<Gauge>& loaded_versions_;
};

// The single call the REST transport makes for GET <path>: the global metrics text.
inline std::string PrometheusText() { return ServingMetrics::Global().PrometheusText(); }
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// TF Serving's --monitoring_config_file: `prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }`.
struct MonitoringOptions {
  bool enabled = false;
  std::string path = "/monitoring/prometheus/metrics";
};
// Parses the text-format MonitoringConfig (InvalidArgument naming the file and the parser's line:column).
StatusOr<MonitoringOptions> ParseMonitoringConfig(std::string_view text, std::string_view file_name = "<text>");
StatusOr<MonitoringOptions> ReadMonitoringConfigFile(const std::string& path);

}  // namespace reco::serving::metrics
