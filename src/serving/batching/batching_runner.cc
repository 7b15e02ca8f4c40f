#include "serving/batching/batching_runner.h"

#include <algorithm>

#include "serving/batching/batch_merge.h"

namespace reco::serving::batching {

BatchingServableRunner::BatchingServableRunner(BatchingOptions options, const ServableRunner* inner,
                                               metrics::ServingMetrics* metrics)
    : options_(std::move(options)),
      inner_(inner != nullptr ? inner : DirectServableRunner()),
      metrics_(metrics != nullptr ? metrics : &metrics::ServingMetrics::Global()),
      timeout_(std::chrono::microseconds(options_.batch_timeout_micros)) {
  int64_t n = options_.num_batch_threads;
  if (n <= 0) n = std::max(1u, std::thread::hardware_concurrency());
  threads_.reserve(n);
  for (int64_t i = 0; i < n; ++i) threads_.emplace_back([this] { BatchThread(); });
}

BatchingServableRunner::~BatchingServableRunner() {
  std::vector<Task*> orphans;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    for (auto& [key, queue] : queues_) {
      for (Batch& b : queue.batches) orphans.insert(orphans.end(), b.tasks.begin(), b.tasks.end());
    }
    queues_.clear();
  }
  work_cv_.notify_all();
  for (Task* t : orphans) Finish(t, UnavailableError("dynamic batching: the server is shutting down"));
  for (std::thread& t : threads_) t.join();
}

Status BatchingServableRunner::Run(const ServableHandle& servable, std::span<const NamedTensor> inputs,
                                   std::span<const std::string> output_names,
                                   std::vector<NamedTensor>* outputs) const {
  thread_local std::string key;
  const std::optional<int64_t> rows = BatchKey(&*servable, inputs, output_names, &key);
  if (!rows || *rows > options_.max_batch_size) return inner_->Run(servable, inputs, output_names, outputs);

  Task task{&servable, inputs, output_names, outputs, *rows, Clock::now()};
  std::unique_lock lock(mu_);
  if (stop_) return UnavailableError("dynamic batching: the server is shutting down");
  Queue& queue = queues_[key];
  if (queue.batches.empty() || queue.batches.back().rows + *rows > options_.max_batch_size) {
    if (static_cast<int64_t>(queue.batches.size()) >= options_.max_enqueued_batches) {
      if (queue.batches.empty()) queues_.erase(key);
      // UNAVAILABLE, as TF Serving's batch scheduler answers ("The batch scheduling queue ... is full"): clients
      // written against it retry on that code.
      return UnavailableError("dynamic batching: the queue of model '" + servable.model() + "' version " +
                                    std::to_string(servable.version()) + " is full (" +
                                    std::to_string(options_.max_enqueued_batches) +
                                    " batches waiting); retry later");
    }
    queue.batches.emplace_back();
  }
  Batch& batch = queue.batches.back();
  batch.tasks.push_back(&task);
  batch.rows += *rows;
  // A full batch, or a new one with no timeout, is ready now; otherwise a thread is waiting for its deadline
  // and must learn about the new one.
  work_cv_.notify_one();
  task.cv.wait(lock, [&] { return task.done; });
  return task.status;
}

bool BatchingServableRunner::TakeReadyBatchLocked(Clock::time_point now, Batch* batch,
                                                  Clock::time_point* wake) const {
  auto best = queues_.end();
  Clock::time_point best_enqueued = Clock::time_point::max();
  *wake = Clock::time_point::max();
  for (auto it = queues_.begin(); it != queues_.end(); ++it) {
    const Queue& q = it->second;
    if (q.batches.empty()) continue;
    const Batch& front = q.batches.front();
    const Clock::time_point enqueued = front.tasks.front()->enqueued;
    const bool closed = q.batches.size() > 1 || front.rows >= options_.max_batch_size;
    const Clock::time_point deadline = enqueued + timeout_;
    if (closed || deadline <= now) {
      if (enqueued < best_enqueued) {
        best = it;
        best_enqueued = enqueued;
      }
    } else {
      *wake = std::min(*wake, deadline);
    }
  }
  if (best == queues_.end()) return false;
  *batch = std::move(best->second.batches.front());
  best->second.batches.pop_front();
  if (best->second.batches.empty()) queues_.erase(best);
  return true;
}

void BatchingServableRunner::BatchThread() {
  Scratch scratch;
  std::unique_lock lock(mu_);
  while (!stop_) {
    Batch batch;
    Clock::time_point wake;
    if (!TakeReadyBatchLocked(Clock::now(), &batch, &wake)) {
      if (wake == Clock::time_point::max()) {
        work_cv_.wait(lock);
      } else {
        work_cv_.wait_until(lock, wake);
      }
      continue;
    }
    lock.unlock();
    ProcessBatch(batch, scratch);
    lock.lock();
  }
}

void BatchingServableRunner::ProcessBatch(Batch& batch, Scratch& scratch) const {
  const Clock::time_point start = Clock::now();
  const ServableHandle& servable = *batch.tasks.front()->servable;
  for (const Task* t : batch.tasks) {
    metrics_->RecordQueueTime(servable.model(), std::chrono::duration<double>(start - t->enqueued).count());
  }
  const int64_t padded = options_.PaddedSize(batch.rows);
  metrics_->RecordBatch(servable.model(), padded);

  if (batch.tasks.size() == 1 && padded == batch.rows) {  // nothing to merge: no copies
    Task* t = batch.tasks.front();
    Finish(t, inner_->Run(servable, t->inputs, t->output_names, t->outputs));
    return;
  }
  scratch.parts.clear();
  for (const Task* t : batch.tasks) scratch.parts.push_back(t->inputs);
  ConcatInputs(scratch.parts, padded, &scratch.inputs);
  Status status = inner_->Run(servable, scratch.inputs, batch.tasks.front()->output_names, &scratch.outputs);
  if (!status.ok() && batch.tasks.size() > 1) {
    // One request's data (an out-of-range embedding id, say) fails the merged run: each request runs on its own
    // so only that one fails, and nobody else sees its error (which may quote its data).
    for (Task* t : batch.tasks) Finish(t, inner_->Run(servable, t->inputs, t->output_names, t->outputs));
    return;
  }
  int64_t row = 0;
  for (Task* t : batch.tasks) {
    Status task_status = status;
    if (task_status.ok()) task_status = SliceOutputs(scratch.outputs, padded, row, t->rows, t->outputs);
    row += t->rows;
    Finish(t, std::move(task_status));
  }
}

void BatchingServableRunner::Finish(Task* task, Status status) const {
  std::lock_guard lock(mu_);
  task->status = std::move(status);
  task->done = true;
  // Notify under the lock: once `done` is seen the waiter returns and its Task (with this cv) is destroyed.
  task->cv.notify_one();
}

}  // namespace reco::serving::batching
