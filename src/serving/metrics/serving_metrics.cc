#include "serving/metrics/serving_metrics.h"

#include <fstream>
#include <sstream>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "tensorflow_serving/config/monitoring_config.pb.h"

namespace reco::serving::metrics {
namespace {

// 50 µs .. ~13 s: the server's overhead goal is tens of microseconds, big models take seconds.
std::vector<double> LatencyBounds() { return Histogram::ExponentialBounds(50e-6, 2.0, 19); }
std::vector<double> BatchSizeBounds() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}; }
std::vector<double> LoadBounds() { return Histogram::ExponentialBounds(1e-3, 4.0, 10); }

class CollectingErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first.empty()) first = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  std::string first;
};

}  // namespace

ServingMetrics::ServingMetrics()
    : requests_(registry_.AddCounter("reco_serving_requests_total", "Requests finished, by model, version, API "
                                     "and status code.", {"model", "version", "api", "status"})),
      latency_(registry_.AddHistogram("reco_serving_request_latency_seconds",
                                      "Request latency from decoded request to encoded response.", {"model", "api"},
                                      LatencyBounds())),
      batch_size_(registry_.AddHistogram("reco_serving_batch_size", "Rows per merged batch run by dynamic batching.",
                                         {"model"}, BatchSizeBounds())),
      queue_time_(registry_.AddHistogram("reco_serving_batch_queue_seconds",
                                         "Time a request waited in the dynamic batching queue.", {"model"},
                                         LatencyBounds())),
      load_time_(registry_.AddHistogram("reco_serving_model_load_seconds", "Model version load and warm-up time.",
                                        {"model"}, LoadBounds())),
      load_failures_(registry_.AddCounter("reco_serving_model_load_failures_total",
                                          "Model version loads that failed.", {"model"})),
      loaded_versions_(registry_.AddGauge("reco_serving_loaded_versions", "Model versions currently loaded.",
                                          {"model"})) {}

ServingMetrics& ServingMetrics::Global() {
  static ServingMetrics* const metrics = new ServingMetrics();  // never destroyed: used by detached threads
  return *metrics;
}

void ServingMetrics::RecordRequest(std::string_view model, int64_t version, std::string_view api, StatusCode code,
                                   double latency_seconds) {
  char version_text[24];
  const int n = std::snprintf(version_text, sizeof(version_text), "%lld", static_cast<long long>(version));
  requests_.Get({model, std::string_view(version_text, n), api, StatusCodeName(code)}).Increment();
  latency_.Get({model, api}).Observe(latency_seconds);
}

void ServingMetrics::RecordBatch(std::string_view model, int64_t batch_size) {
  batch_size_.Get({model}).Observe(static_cast<double>(batch_size));
}

void ServingMetrics::RecordQueueTime(std::string_view model, double seconds) { queue_time_.Get({model}).Observe(seconds); }

void ServingMetrics::RecordModelLoad(std::string_view model, int64_t version, const Status& status,
                                     double seconds) {
  load_time_.Get({model}).Observe(seconds);
  if (!status.ok()) load_failures_.Get({model}).Increment();
}

void ServingMetrics::SetLoadedVersions(std::string_view model, int64_t count) {
  loaded_versions_.Get({model}).Set(static_cast<double>(count));
}

StatusOr<MonitoringOptions> ParseMonitoringConfig(std::string_view text, std::string_view file_name) {
  tensorflow::serving::MonitoringConfig config;
  google::protobuf::TextFormat::Parser parser;
  CollectingErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return InvalidArgumentError("monitoring config " + std::string(file_name) + ":" + errors.first);
  }
  MonitoringOptions options;
  options.enabled = config.prometheus_config().enable();
  if (!config.prometheus_config().path().empty()) options.path = config.prometheus_config().path();
  if (options.path.front() != '/') {
    return InvalidArgumentError("monitoring config " + std::string(file_name) + ": prometheus_config.path '" +
                                options.path + "' must start with '/'");
  }
  return options;
}

StatusOr<MonitoringOptions> ReadMonitoringConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open monitoring config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseMonitoringConfig(text.str(), path);
}

}  // namespace reco::serving::metrics
