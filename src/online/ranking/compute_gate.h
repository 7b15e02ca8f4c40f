// ComputeGate: admits at most N callers at a time into a CPU-bound section, first come first served.
//
// Why: the HTTP pool has more threads than cores (event requests block on fsync), so without a gate four
// recommend requests would share two cores and each would take twice as long — every request's latency grows
// together, and their ~3 MB engine arenas evict each other from the caches. With the gate, N = cores requests run
// at full speed and later ones wait their turn in arrival order, which gives a lower tail at the same throughput.
// Tickets make the order strict: a caller is admitted when every earlier ticket has been admitted and a slot is free.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace reco::online::ranking {

class ComputeGate {
 public:
  // `slots` <= 0: no limit (Enter never waits).
  explicit ComputeGate(int slots) : slots_(slots) {}
  ComputeGate(const ComputeGate&) = delete;
  ComputeGate& operator=(const ComputeGate&) = delete;

  // RAII admission: the constructor waits for a slot, the destructor frees it.
  class Pass {
   public:
    explicit Pass(ComputeGate* gate) : gate_(gate) { gate_->Enter(); }
    ~Pass() { gate_->Leave(); }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

   private:
    ComputeGate* gate_;
  };

  int slots() const { return slots_; }

 private:
  void Enter() {
    if (slots_ <= 0) return;
    std::unique_lock lock(mu_);
    const uint64_t ticket = next_ticket_++;
    cv_.wait(lock, [&] { return ticket < left_ + static_cast<uint64_t>(slots_); });
  }
  void Leave() {
    if (slots_ <= 0) return;
    {
      std::lock_guard lock(mu_);
      ++left_;
    }
    cv_.notify_all();
  }

  const int slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_ticket_ = 0;  // GUARDED_BY(mu_)
  uint64_t left_ = 0;         // GUARDED_BY(mu_): callers that have left; tickets below left_ + slots_ may run
};

}  // namespace reco::online::ranking
