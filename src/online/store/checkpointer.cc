// PeriodicCheckpointer (see checkpointer.h).
#include "online/store/checkpointer.h"

#include "core/logging.h"

namespace reco::online {

PeriodicCheckpointer::PeriodicCheckpointer(Store* store, std::chrono::milliseconds interval)
    : store_(store), interval_(interval), thread_([this] { Loop(); }) {}

PeriodicCheckpointer::~PeriodicCheckpointer() { Stop(); }

void PeriodicCheckpointer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t PeriodicCheckpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoints_;
}

void PeriodicCheckpointer::Loop() {
  // Events already covered by a snapshot (or by the log replayed at Open, which the next snapshot will cover).
  int64_t covered = store_->stats().events_total;
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    const int64_t total = store_->stats().events_total;
    bool wrote = false;
    if (total != covered) {
      const auto t0 = std::chrono::steady_clock::now();
      const Status s = store_->Checkpoint();
      if (s.ok()) {
        RECO_LOG_INFO("store checkpoint: {} events in {:.0f} ms", total,
                      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        covered = total;
        wrote = true;
      } else {
        RECO_LOG_WARN("store checkpoint failed (retrying in {} s): {}", interval_.count() / 1000.0, s.ToString());
      }
    }
    lock.lock();
    if (wrote) ++checkpoints_;
  }
}

}  // namespace reco::online
