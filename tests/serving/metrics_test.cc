// Prometheus registry: exposition text format, label escaping, histogram buckets, concurrency, monitoring config.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "serving/metrics/registry.h"
#include "serving/metrics/serving_metrics.h"

namespace reco::serving::metrics {
namespace {

TEST(MetricsRegistry, CounterAndGaugeText) {
  Registry r;
  auto& c = r.AddCounter("reqs_total", "Requests.", {"model", "status"});
  c.Get({"m1", "OK"}).Increment();
  c.Get({"m1", "OK"}).Increment(2);
  c.Get({"m0", "NOT_FOUND"}).Increment();
  c.Get({"m0", "NOT_FOUND"}).Increment(-5);  // ignored: counters never go down
  auto& g = r.AddGauge("loaded", "Loaded versions.", {});
  g.Get({}).Set(3);
  g.Get({}).Add(-1);
  EXPECT_EQ(r.Text(),
            "# HELP reqs_total Requests.\n"
            "# TYPE reqs_total counter\n"
            "reqs_total{model=\"m0\",status=\"NOT_FOUND\"} 1\n"
            "reqs_total{model=\"m1\",status=\"OK\"} 3\n"
            "# HELP loaded Loaded versions.\n"
            "# TYPE loaded gauge\n"
            "loaded 2\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  Registry r;
  r.AddCounter("c", "line1\nback\\slash", {"l"}).Get({"a\"b\\c\nd"}).Increment();
  EXPECT_EQ(r.Text(),
            "# HELP c line1\\nback\\\\slash\n"
            "# TYPE c counter\n"
            "c{l=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeAndInclusive) {
  Registry r;
  auto& h = r.AddHistogram("lat", "Latency.", {"api"}, {0.5, 1, 2});
  for (double v : {0.25, 0.5, 0.75, 1.0, 3.0, 100.0}) h.Get({"grpc"}).Observe(v);
  EXPECT_EQ(r.Text(),
            "# HELP lat Latency.\n"
            "# TYPE lat histogram\n"
            "lat_bucket{api=\"grpc\",le=\"0.5\"} 2\n"
            "lat_bucket{api=\"grpc\",le=\"1\"} 4\n"
            "lat_bucket{api=\"grpc\",le=\"2\"} 4\n"
            "lat_bucket{api=\"grpc\",le=\"+Inf\"} 6\n"
            "lat_sum{api=\"grpc\"} 105.5\n"
            "lat_count{api=\"grpc\"} 6\n");
}

TEST(MetricsRegistry, FormatsSpecialValues) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(12345678), "12345678");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(MetricsRegistry, SameNameReturnsSameFamily) {
  Registry r;
  auto& a = r.AddCounter("x", "X.", {"l"});
  auto& b = r.AddCounter("x", "other help", {"other"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.Get({"v"}), &b.Get({"v"}));  // children are stable
}

TEST(MetricsRegistry, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& c = r.AddCounter("c", "C.", {"t"});
  auto& h = r.AddHistogram("h", "H.", {}, {1});
  constexpr int kThreads = 8, kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.Get({t % 2 ? "odd" : "even"}).Increment();
        h.Get({}).Observe(i % 2 ? 0.5 : 2.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Get({"odd"}).Value() + c.Get({"even"}).Value(), kThreads * kPerThread);
  const auto snap = h.Get({}).Read();
  EXPECT_EQ(snap.count, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(snap.cumulative_counts[0], uint64_t{kThreads * kPerThread / 2});
}

TEST(ServingMetrics, RecordsEveryFamily) {
  ServingMetrics m;
  m.RecordRequest("din", 2, "grpc_predict", StatusCode::kOk, 0.0002);
  m.RecordRequest("din", 2, "grpc_predict", StatusCode::kInvalidArgument, 0.0001);
  m.RecordBatch("din", 5);
  m.RecordQueueTime("din", 0.001);
  m.RecordModelLoad("din", 3, InvalidArgumentError("bad"), 0.01);
  m.SetLoadedVersions("din", 1);
  const std::string text = m.PrometheusText();
  EXPECT_NE(text.find("reco_serving_requests_total{model=\"din\",version=\"2\",api=\"grpc_predict\",status=\"OK\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("status=\"INVALID_ARGUMENT\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("reco_serving_request_latency_seconds_count{model=\"din\",api=\"grpc_predict\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("reco_serving_batch_size_bucket{model=\"din\",le=\"4\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("reco_serving_batch_size_bucket{model=\"din\",le=\"8\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("reco_serving_batch_queue_seconds_count{model=\"din\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("reco_serving_model_load_failures_total{model=\"din\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("reco_serving_loaded_versions{model=\"din\"} 1\n"), std::string::npos);
}

TEST(MonitoringConfig, ParsesTfServingText) {
  auto opts = ParseMonitoringConfig("prometheus_config { enable: true, path: \"/metrics\" }\n");
  ASSERT_TRUE(opts.ok()) << opts.status().ToString();
  EXPECT_TRUE(opts->enabled);
  EXPECT_EQ(opts->path, "/metrics");

  auto defaults = ParseMonitoringConfig("# comment only\nprometheus_config { enable: true }");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->path, "/monitoring/prometheus/metrics");
  auto off = ParseMonitoringConfig("");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->enabled);
}

TEST(MonitoringConfig, RejectsBadText) {
  auto unknown = ParseMonitoringConfig("prometheus_config { enabled: true }", "mon.cfg");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("mon.cfg:1:"), std::string::npos) << unknown.status().message();
  EXPECT_NE(unknown.status().message().find("enabled"), std::string::npos);
  EXPECT_FALSE(ParseMonitoringConfig("prometheus_config { enable: true path: \"metrics\" }").ok());
  EXPECT_EQ(ReadMonitoringConfigFile("/nonexistent/mon.cfg").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::serving::metrics
