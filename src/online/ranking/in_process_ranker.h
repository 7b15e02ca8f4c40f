// InProcessRanker: ranks with the newest available RankerModel version of a ServableManager (the model server's
// lifecycle, run in-process: ServerCore polls the model folder and hot-swaps versions; a request holds its
// version's ServableHandle, so a swap never pulls a model from under it).
//
// Per request: one ModelInputs build into thread-local buffers (history [1, L] broadcast over the candidates),
// one engine run, one pass over prob/attention. Once a thread has seen a batch size, no heap allocation. That work
// is CPU-bound: a ComputeGate lets at most N requests (default in the service: one per core) do it at once.
// Thread-safety: Rank may be called concurrently.
#pragma once

#include <string>

#include "online/ranking/compute_gate.h"
#include "online/ranking/ranker.h"
#include "serving/servable_manager.h"

namespace reco::online::ranking {

class InProcessRanker final : public Ranker {
 public:
  // `manager` is not owned and must outlive the ranker; it must hold RankerModels (RankerLoaderFactory).
  // At most `max_concurrent_runs` Rank calls compute at once (ComputeGate, arrival order); <= 0: no limit.
  InProcessRanker(const serving::ServableManager* manager, std::string model_name, int max_concurrent_runs = 0)
      : manager_(manager), model_name_(std::move(model_name)), gate_(max_concurrent_runs) {}

  Status Rank(const RankRequest& request, RankResult* result) const override;
  std::string Describe() const override { return "in-process"; }
  Status Ready() const override;
  int64_t ModelVersion() const override;

 private:
  const serving::ServableManager* const manager_;
  const std::string model_name_;
  mutable ComputeGate gate_;
};

}  // namespace reco::online::ranking
