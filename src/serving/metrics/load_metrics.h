// MetricsLoaderFactory: model lifecycle metrics without touching the manager.
//
// Wraps the server's LoaderFactory: every Load() is timed into reco_serving_model_load_seconds (failures also
// counted in reco_serving_model_load_failures_total), and each loaded servable bumps
// reco_serving_loaded_versions{model} until it is actually freed (the last ServableHandle dropped after unload),
// so the gauge shows the versions holding memory.
// Thread-safety: as the wrapped factory; the metrics are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "serving/metrics/serving_metrics.h"
#include "serving/servable.h"

namespace reco::serving::metrics {

class MetricsLoaderFactory final : public LoaderFactory {
 public:
  // Neither owned; both must outlive every Loader and Servable made. `metrics` null: ServingMetrics::Global().
  explicit MetricsLoaderFactory(LoaderFactory* inner, ServingMetrics* metrics = nullptr);

  std::unique_ptr<Loader> Create(const std::string& model_name, int64_t version,
                                 const std::string& version_path) override;

 private:
  LoaderFactory* const inner_;
  ServingMetrics* const metrics_;
};

}  // namespace reco::serving::metrics
