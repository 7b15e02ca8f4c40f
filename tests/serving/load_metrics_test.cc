// MetricsLoaderFactory: load time and failures are recorded, and the loaded-versions gauge drops only when the
// servable is actually freed.
#include <gtest/gtest.h>

#include "serving/metrics/load_metrics.h"

namespace reco::serving::metrics {
namespace {

class NullServable : public Servable {
 public:
  const std::vector<TensorInfo>& inputs() const override { return none_; }
  const std::vector<TensorInfo>& outputs() const override { return none_; }
  Status Run(std::span<const NamedTensor>, std::span<const std::string>, std::vector<NamedTensor>*) const override {
    return Status::Ok();
  }
  std::vector<TensorInfo> none_;
};

class FakeFactory : public LoaderFactory {
 public:
  std::unique_ptr<Loader> Create(const std::string&, int64_t version, const std::string&) override {
    class L : public Loader {
     public:
      explicit L(bool fail) : fail_(fail) {}
      StatusOr<std::shared_ptr<const Servable>> Load() override {
        if (fail_) return InvalidArgumentError("broken model");
        return std::shared_ptr<const Servable>(std::make_shared<NullServable>());
      }
      bool fail_;
    };
    return std::make_unique<L>(version == 3);
  }
};

double Sample(const std::string& text, const std::string& line_prefix) {
  const size_t at = text.find(line_prefix);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + line_prefix.size()));
}

TEST(LoadMetrics, TimesLoadsCountsFailuresAndTracksLiveVersions) {
  ServingMetrics m;
  FakeFactory inner;
  MetricsLoaderFactory factory(&inner, &m);
  auto v1 = factory.Create("din", 1, "/x/1")->Load();
  auto v2 = factory.Create("din", 2, "/x/2")->Load();
  auto v3 = factory.Create("din", 3, "/x/3")->Load();
  ASSERT_TRUE(v1.ok());
  ASSERT_TRUE(v2.ok());
  EXPECT_FALSE(v3.ok());
  std::string text = m.PrometheusText();
  EXPECT_EQ(Sample(text, "reco_serving_loaded_versions{model=\"din\"} "), 2) << text;
  EXPECT_EQ(Sample(text, "reco_serving_model_load_failures_total{model=\"din\"} "), 1);
  EXPECT_EQ(Sample(text, "reco_serving_model_load_seconds_count{model=\"din\"} "), 3);

  std::shared_ptr<const Servable> still_used = *v1;  // a request still holds version 1
  v1 = UnavailableError("unloaded");
  EXPECT_EQ(Sample(m.PrometheusText(), "reco_serving_loaded_versions{model=\"din\"} "), 2);
  still_used.reset();
  EXPECT_EQ(Sample(m.PrometheusText(), "reco_serving_loaded_versions{model=\"din\"} "), 1);
}

}  // namespace
}  // namespace reco::serving::metrics
