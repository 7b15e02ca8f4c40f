// ProgressBar: progress output for long loops (training epochs, imports, benchmarks).
//
// On a terminal it redraws one live line (at most ~10 times a second); when the output is not a TTY
// (CI logs, pipes) it prints a plain line every `plain_interval_seconds` and always a final line, so
// logs stay readable. A line shows: label, step/total, loss, running metric, samples/s and ETA.
// Thread-safety: not thread-safe; one loop owns one bar.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace reco {

class ProgressBar {
 public:
  struct Options {
    std::string label;             // e.g. "epoch 1/5"
    int64_t total_steps = 0;       // 0 = unknown (no bar, no ETA)
    std::string metric_name;       // e.g. "acc"; empty = no metric column
    bool show_loss = true;         // false for loops without a loss (imports, generators)
    std::string unit = "samples";  // what `samples` counts, e.g. "events"
    std::FILE* out = stdout;       // not owned
    std::optional<bool> tty;       // override TTY detection (tests)
    double plain_interval_seconds = 10.0;
  };

  explicit ProgressBar(Options options);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `step` is the number of completed steps, `samples` the number of samples seen so far in this loop.
  void Update(int64_t step, int64_t samples, double loss, double metric = 0.0);
  // Prints the final line (and a newline on a TTY). Idempotent.
  void Finish(int64_t step, int64_t samples, double loss, double metric = 0.0);

  // The text of one line, exposed for tests.
  std::string FormatLine(int64_t step, int64_t samples, double loss, double metric, double elapsed_s) const;

 private:
  using Clock = std::chrono::steady_clock;
  double ElapsedSeconds() const;

  Options opt_;
  bool tty_;
  bool finished_ = false;
  Clock::time_point start_;
  Clock::time_point last_print_;
};

// "1.2s", "3m04s", "1h02m".
std::string FormatDuration(double seconds);
// "950", "45.2k", "1.30M".
std::string FormatRate(double per_second);

}  // namespace reco
