// RemoteRanker: ranks through a reco-model-server (or TF Serving) over gRPC PredictionService.Predict.
//
// The vocabularies still come from a local copy of the model folder (a vocab-only RankerModel under the same
// ServableManager lifecycle, so they follow new versions too). The request carries the contract's seven inputs
// with H = 1; if the server answers INVALID_ARGUMENT for that (a server whose model wants H = B), the ranker
// switches to H = B once and for all. Every call has a deadline; a failure (server down, slow, bad answer)
// returns Unavailable/DeadlineExceeded and the caller falls back to retrieval order. gRPC's channel keeps
// reconnecting in the background, so calls against a dead server fail fast instead of piling up.
// Thread-safety: Rank may be called concurrently (the stub is thread-safe; scratch is per thread).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "online/ranking/ranker.h"
#include "serving/servable_manager.h"

namespace reco::online::ranking {

struct RemoteRankerOptions {
  std::string target;                  // host:port of the model server's gRPC port
  std::string model_name = "ranker";   // ModelSpec.name on the server
  std::chrono::milliseconds deadline{50};
};

class RemoteRanker final : public Ranker {
 public:
  // `vocab_manager` is not owned and must outlive the ranker; it holds vocab-only RankerModels under
  // `vocab_model_name`.
  RemoteRanker(const serving::ServableManager* vocab_manager, std::string vocab_model_name,
               RemoteRankerOptions options);
  ~RemoteRanker() override;

  Status Rank(const RankRequest& request, RankResult* result) const override;
  std::string Describe() const override { return "remote " + options_.target; }
  Status Ready() const override;
  int64_t ModelVersion() const override { return last_version_.load(std::memory_order_relaxed); }

 private:
  struct Impl;
  const serving::ServableManager* const vocab_manager_;
  const std::string vocab_model_name_;
  const RemoteRankerOptions options_;
  std::unique_ptr<Impl> impl_;
  // The model-folder version for which the served model refused one shared history row (INVALID_ARGUMENT): rows
  // are then sent one history each until another version is loaded, which is tried with the shared row again.
  mutable std::atomic<int64_t> no_broadcast_version_{-1};
  mutable std::atomic<int64_t> last_version_{0};
};

}  // namespace reco::online::ranking
