// PeriodicCheckpointer: snapshots a Store's derived state every `interval` while events keep arriving, so that a
// crash (SIGKILL, power loss) costs a restart at most one interval of log replay instead of everything since the
// last clean close. Durability does not depend on it: every acknowledged event is in the RocksDB log already.
// An interval with no new events writes nothing. A failed checkpoint is logged and retried next interval.
// Thread-safety: one background thread; the destructor (or Stop) wakes it and joins it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "online/store/store.h"

namespace reco::online {

class PeriodicCheckpointer {
 public:
  // `store` must outlive this object. interval > 0.
  PeriodicCheckpointer(Store* store, std::chrono::milliseconds interval);
  ~PeriodicCheckpointer();
  PeriodicCheckpointer(const PeriodicCheckpointer&) = delete;
  PeriodicCheckpointer& operator=(const PeriodicCheckpointer&) = delete;

  void Stop();
  // Snapshots written so far (tests, logs).
  int64_t checkpoints() const;

 private:
  void Loop();

  Store* store_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  int64_t checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace reco::online
