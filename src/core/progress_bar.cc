#include "core/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace reco {

std::string FormatDuration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
  }
  return buf;
}

std::string FormatRate(double r) {
  char buf[32];
  if (r >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", r / 1e6);
  } else if (r >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1fk", r / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", r);
  }
  return buf;
}

ProgressBar::ProgressBar(Options options)
    : opt_(std::move(options)),
      tty_(opt_.tty.value_or(isatty(fileno(opt_.out)) != 0)),
      start_(Clock::now()),
      last_print_(start_) {}

double ProgressBar::ElapsedSeconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

std::string ProgressBar::FormatLine(int64_t step, int64_t samples, double loss, double metric,
                                    double elapsed) const {
  std::string line = opt_.label;
  char buf[160];
  if (opt_.total_steps > 0) {
    constexpr int kWidth = 24;
    const double frac = std::clamp(static_cast<double>(step) / opt_.total_steps, 0.0, 1.0);
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(kWidth, ' ');
    std::fill(bar.begin(), bar.begin() + filled, '=');
    if (filled < kWidth) bar[filled] = '>';
    std::snprintf(buf, sizeof buf, " [%s] %lld/%lld", bar.c_str(), static_cast<long long>(step),
                  static_cast<long long>(opt_.total_steps));
  } else {
    std::snprintf(buf, sizeof buf, " %lld", static_cast<long long>(step));
  }
  line += buf;
  if (opt_.show_loss) {
    std::snprintf(buf, sizeof buf, " loss %.4f", loss);
    line += buf;
  }
  if (!opt_.metric_name.empty()) {
    std::snprintf(buf, sizeof buf, " %s %.4f", opt_.metric_name.c_str(), metric);
    line += buf;
  }
  const double rate = elapsed > 0 ? samples / elapsed : 0.0;
  line += " | " + FormatRate(rate) + " " + opt_.unit + "/s";
  if (opt_.total_steps > 0 && step > 0) {
    const double eta = elapsed / step * std::max<int64_t>(opt_.total_steps - step, 0);
    line += " | ETA " + FormatDuration(eta);
  } else {
    line += " | " + FormatDuration(elapsed);
  }
  return line;
}

void ProgressBar::Update(int64_t step, int64_t samples, double loss, double metric) {
  if (finished_) return;
  const auto now = Clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (tty_) {
    if (since < 0.1) return;
    std::fprintf(opt_.out, "\r%s\x1b[K", FormatLine(step, samples, loss, metric, ElapsedSeconds()).c_str());
    std::fflush(opt_.out);
  } else {
    if (since < opt_.plain_interval_seconds) return;
    std::fprintf(opt_.out, "%s\n", FormatLine(step, samples, loss, metric, ElapsedSeconds()).c_str());
    std::fflush(opt_.out);
  }
  last_print_ = now;
}

void ProgressBar::Finish(int64_t step, int64_t samples, double loss, double metric) {
  if (finished_) return;
  finished_ = true;
  const std::string line = FormatLine(step, samples, loss, metric, ElapsedSeconds());
  if (tty_) {
    std::fprintf(opt_.out, "\r%s\x1b[K\n", line.c_str());
  } else {
    std::fprintf(opt_.out, "%s\n", line.c_str());
  }
  std::fflush(opt_.out);
}

}  // namespace reco
