// DeadlineSweeper: request timeouts for many connections with one periodic timer per event loop, instead of one
// timer re-armed on every read and write. Why: on this kind of VM a system call costs ~5 µs, and Beast's
// tcp_stream re-arms the loop's timerfd (timerfd_settime) twice per request; a connection that only stores a
// deadline in memory (read from the vDSO's coarse clock, ~20 ns) and a sweep every `period` that closes the
// expired ones keeps the same bound (timeout, plus at most one period) at no per-request cost.
//
// Use: each connection derives from DeadlineSweeper::Entry, calls Track(*this) once, sets deadline_ms with
// NowMs() + timeout while it waits on its peer, and implements Expire() (close the socket; the pending operation
// then completes with operation_aborted). Entries unlink themselves when destroyed.
// Thread-safety: none. The sweeper and its entries belong to one io_context run by exactly one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>

namespace reco::serving::http {

class DeadlineSweeper {
 public:
  using Hook = boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

  class Entry : public Hook {
   public:
    virtual ~Entry() = default;
    // Called by the sweep once deadline_ms has passed; the entry stays tracked until it is destroyed.
    virtual void Expire() = 0;
    int64_t deadline_ms = std::numeric_limits<int64_t>::max();  // max: not waiting on the peer
  };

  // Milliseconds on CLOCK_MONOTONIC_COARSE (a few ms of resolution, which a timeout of seconds does not notice).
  static int64_t NowMs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
  }

  // Sweeps every `period` (chosen by the caller, e.g. a quarter of the timeout) once Start() is called.
  DeadlineSweeper(boost::asio::io_context& ioc, std::chrono::milliseconds period) : timer_(ioc), period_(period) {}
  ~DeadlineSweeper() { entries_.clear(); }
  DeadlineSweeper(const DeadlineSweeper&) = delete;
  DeadlineSweeper& operator=(const DeadlineSweeper&) = delete;

  void Track(Entry& entry) { entries_.push_back(entry); }
  void Start() { Arm(); }

 private:
  void Arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // the loop is stopping
      const int64_t now = NowMs();
      for (Entry& e : entries_) {
        if (e.deadline_ms <= now) {
          e.deadline_ms = std::numeric_limits<int64_t>::max();
          e.Expire();
        }
      }
      Arm();
    });
  }

  boost::intrusive::list<Entry, boost::intrusive::constant_time_size<false>> entries_;
  boost::asio::steady_timer timer_;
  const std::chrono::milliseconds period_;
};

}  // namespace reco::serving::http
