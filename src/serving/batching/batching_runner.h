// BatchingServableRunner: TF Serving-style dynamic batching behind the PredictionService's ServableRunner seam.
//
// Contract: concurrent Run() calls whose requests are compatible (same servable, same outputs, inputs equal in
// names/dtypes/non-batch dims; see batch_merge.h) are queued together and merged into one batch of at most
// max_batch_size rows. A batch runs when it is full, when a later request no longer fits in it, or when its
// oldest request has waited batch_timeout_micros, on one of num_batch_threads threads; outputs are split back
// so every caller gets exactly its rows. Incompatible requests are never merged. Per compatible-request queue at
// most max_enqueued_batches batches wait; beyond that Run() returns Unavailable at once (REST 503, gRPC
// UNAVAILABLE, as TF Serving's batch scheduler). Requests that cannot be batched (scalar inputs, inputs disagreeing on dim 0, more rows
// than max_batch_size) run directly on the caller's thread. Run() blocks until its request has run.
// Destruction fails still-queued requests with Unavailable and joins the batch threads.
// Thread-safety: Run() may be called concurrently from any number of threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "serving/batching/batching_options.h"
#include "serving/metrics/serving_metrics.h"
#include "serving/prediction_service.h"

namespace reco::serving::batching {

class BatchingServableRunner final : public ServableRunner {
 public:
  // `inner` runs the merged batches (null: DirectServableRunner()); `metrics` null: ServingMetrics::Global().
  // Neither is owned; both must outlive the runner. `options` must have passed Validate().
  explicit BatchingServableRunner(BatchingOptions options, const ServableRunner* inner = nullptr,
                                  metrics::ServingMetrics* metrics = nullptr);
  ~BatchingServableRunner() override;
  BatchingServableRunner(const BatchingServableRunner&) = delete;
  BatchingServableRunner& operator=(const BatchingServableRunner&) = delete;

  Status Run(const ServableHandle& servable, std::span<const NamedTensor> inputs,
             std::span<const std::string> output_names, std::vector<NamedTensor>* outputs) const override;

  const BatchingOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;

  // One waiting request; lives on its caller's stack until `done`.
  struct Task {
    const ServableHandle* servable;
    std::span<const NamedTensor> inputs;
    std::span<const std::string> output_names;
    std::vector<NamedTensor>* outputs;
    int64_t rows;
    Clock::time_point enqueued;
    bool done = false;  // GUARDED_BY(mu_)
    Status status;
    std::condition_variable cv;
  };
  struct Batch {
    std::vector<Task*> tasks;
    int64_t rows = 0;
  };
  struct Queue {
    std::deque<Batch> batches;  // front: oldest; only the back one accepts more requests
  };
  // Per batch thread: buffers reused from batch to batch.
  struct Scratch {
    std::vector<std::span<const NamedTensor>> parts;
    std::vector<NamedTensor> inputs;
    std::vector<NamedTensor> outputs;
  };

  void BatchThread();
  // Picks the ready batch with the oldest request; sets `wake` to when the next one becomes ready otherwise.
  bool TakeReadyBatchLocked(Clock::time_point now, Batch* batch, Clock::time_point* wake) const;
  void ProcessBatch(Batch& batch, Scratch& scratch) const;
  void Finish(Task* task, Status status) const;

  const BatchingOptions options_;
  const ServableRunner* const inner_;
  metrics::ServingMetrics* const metrics_;
  const Clock::duration timeout_;

  mutable std::mutex mu_;
  mutable std::condition_variable work_cv_;
  mutable std::unordered_map<std::string, Queue> queues_;  // GUARDED_BY(mu_), key: BatchKey()
  bool stop_ = false;                                       // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

}  // namespace reco::serving::batching
