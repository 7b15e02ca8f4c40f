// Writes a flat metrics object as JSON (for --metrics-json): numbers, strings and number arrays.
// A non-finite number (an undefined metric) is written as null.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.h"

namespace reco::cli {

using MetricValue = std::variant<double, int64_t, std::string, std::vector<double>>;
using Metrics = std::vector<std::pair<std::string, MetricValue>>;

std::string MetricsToJson(const Metrics& metrics);
// Writes to `path` ("-" = stdout). An empty path writes nothing.
Status WriteMetricsJson(const std::string& path, const Metrics& metrics);

}  // namespace reco::cli
