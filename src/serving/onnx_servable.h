// The engine-backed Servable and Loader: a model version is an engine::Session over base_path/<v>/model.onnx.
//
// Each Run borrows a RunContext from a small per-servable pool (created on first use, then reused), so warm runs
// reuse the engine's arena; outputs are copied from the context's views into the response tensors' buffers.
// Load() also warms the model up with a batch-1 request of zeros for every input whose shape it can fill, so the
// first client request does not pay for planning.
// Thread-safety: OnnxServable::Run is safe to call concurrently (the session is, and contexts are not shared).
#pragma once

#include <memory>
#include <string>

#include "serving/servable.h"

namespace reco::serving {

struct OnnxLoaderOptions {
  int intra_op_threads = 1;
  bool warm_up = true;
  // Execution plans the session keeps (one per input-shape signature; engine::SessionOptions::max_cached_plans).
  // A caller that feeds many shapes on purpose (the online ranker: history lengths x candidate counts) raises it.
  size_t max_cached_plans = 64;
};

class OnnxLoaderFactory final : public LoaderFactory {
 public:
  explicit OnnxLoaderFactory(OnnxLoaderOptions options = {}) : options_(options) {}
  std::unique_ptr<Loader> Create(const std::string& model_name, int64_t version,
                                 const std::string& version_path) override;

 private:
  OnnxLoaderOptions options_;
};

// Loads `path` (a model.onnx file) directly; for tools and tests.
StatusOr<std::shared_ptr<const Servable>> LoadOnnxServable(const std::string& path, const OnnxLoaderOptions& options);

}  // namespace reco::serving
