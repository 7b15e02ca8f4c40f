#include "serving/metrics/load_metrics.h"

#include <chrono>

namespace reco::serving::metrics {
namespace {

class TimedLoader final : public Loader {
 public:
  TimedLoader(std::unique_ptr<Loader> inner, std::string model, int64_t version, ServingMetrics* metrics)
      : inner_(std::move(inner)), model_(std::move(model)), version_(version), metrics_(metrics) {}

  StatusOr<std::shared_ptr<const Servable>> Load() override {
    const auto start = std::chrono::steady_clock::now();
    StatusOr<std::shared_ptr<const Servable>> loaded = inner_->Load();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_->RecordModelLoad(model_, version_, loaded.status(), seconds);
    if (!loaded.ok()) return loaded;
    metrics_->AddLoadedVersions(model_, 1);
    // Same object, but the control block also lowers the gauge when the servable is finally freed.
    std::shared_ptr<const Servable> inner = std::move(loaded).value();
    const Servable* raw = inner.get();
    return std::shared_ptr<const Servable>(raw, [inner = std::move(inner), model = model_,
                                                 metrics = metrics_](const Servable*) mutable {
      inner.reset();
      metrics->AddLoadedVersions(model, -1);
    });
  }

 private:
  std::unique_ptr<Loader> inner_;
  const std::string model_;
  const int64_t version_;
  ServingMetrics* const metrics_;
};

}  // namespace

MetricsLoaderFactory::MetricsLoaderFactory(LoaderFactory* inner, ServingMetrics* metrics)
    : inner_(inner), metrics_(metrics ? metrics : &ServingMetrics::Global()) {}

std::unique_ptr<Loader> MetricsLoaderFactory::Create(const std::string& model_name, int64_t version,
                                                     const std::string& version_path) {
  std::unique_ptr<Loader> inner = inner_->Create(model_name, version, version_path);
  if (!inner) return nullptr;
  return std::make_unique<TimedLoader>(std::move(inner), model_name, version, metrics_);
}

}  // namespace reco::serving::metrics
