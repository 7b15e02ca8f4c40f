#include "core/progress_bar.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace reco {
namespace {

std::string ReadAll(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

TEST(ProgressBarTest, PlainLinesWhenNotATty) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar({.label = "epoch 1/2", .total_steps = 4, .metric_name = "acc", .out = f, .tty = false,
                     .plain_interval_seconds = 0.0});
    for (int step = 1; step <= 4; ++step) bar.Update(step, step * 64, 1.0 / step, 0.5);
    bar.Finish(4, 256, 0.25, 0.75);
  }
  const std::string out = ReadAll(f);
  std::fclose(f);
  // No carriage returns or escape codes in logs; one line per update plus the final line.
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  int lines = 0;
  for (char c : out) lines += c == '\n';
  EXPECT_EQ(lines, 5);
  EXPECT_NE(out.find("epoch 1/2"), std::string::npos);
  EXPECT_NE(out.find("4/4"), std::string::npos);
  EXPECT_NE(out.find("loss 0.2500"), std::string::npos);
  EXPECT_NE(out.find("acc 0.7500"), std::string::npos);
  EXPECT_NE(out.find("samples/s"), std::string::npos);
  EXPECT_NE(out.find("ETA"), std::string::npos);
}

TEST(ProgressBarTest, PlainModeIsThrottled) {
  std::FILE* f = std::tmpfile();
  ProgressBar bar({.label = "x", .total_steps = 1000, .out = f, .tty = false, .plain_interval_seconds = 3600});
  for (int step = 1; step <= 1000; ++step) bar.Update(step, step, 0.1);
  bar.Finish(1000, 1000, 0.1);
  const std::string out = ReadAll(f);
  std::fclose(f);
  int lines = 0;
  for (char c : out) lines += c == '\n';
  EXPECT_EQ(lines, 1);  // only the final line
}

TEST(ProgressBarTest, LineShowsEtaFromElapsed) {
  ProgressBar bar({.label = "e", .total_steps = 10, .out = stderr, .tty = false});
  const std::string line = bar.FormatLine(5, 500, 0.5, 0.0, /*elapsed_s=*/10.0);
  EXPECT_NE(line.find("5/10"), std::string::npos);
  EXPECT_NE(line.find("50 samples/s"), std::string::npos);
  EXPECT_NE(line.find("ETA 10.0s"), std::string::npos);
}

TEST(FormatTest, DurationsAndRates) {
  EXPECT_EQ(FormatDuration(1.25), "1.2s");
  EXPECT_EQ(FormatDuration(184), "3m04s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
  EXPECT_EQ(FormatRate(950), "950");
  EXPECT_EQ(FormatRate(45200), "45.2k");
  EXPECT_EQ(FormatRate(1.3e6), "1.30M");
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

TEST(ProgressBarTest, LoopsWithoutLossShowTheirUnit) {
  ProgressBar bar({.label = "import", .total_steps = 4, .show_loss = false, .unit = "events", .out = stderr,
                   .tty = false});
  const std::string line = bar.FormatLine(2, 1000, 0.0, 0.0, /*elapsed_s=*/1.0);
  EXPECT_EQ(line.find("loss"), std::string::npos) << line;
  EXPECT_NE(line.find("1000 events/s"), std::string::npos) << line;
}

}  // namespace
}  // namespace reco
