// Request-target helpers: split "/path?a=1&b=2", find and percent-decode a parameter, parse ids strictly.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reco::online::service {

struct Target {
  std::string_view path;
  std::string_view query;  // without '?'
};
Target SplitTarget(std::string_view target);

// The decoded value of the first `name` parameter ('+' is a space, %XX bytes), or nullopt if absent.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

// A decimal id in [0, 2^53] (no sign, no spaces). InvalidArgument naming `field`.
StatusOr<uint64_t> ParseId(std::string_view text, std::string_view field);
// An integer in [min, max]. InvalidArgument naming `field`.
StatusOr<int64_t> ParseInt(std::string_view text, std::string_view field, int64_t min, int64_t max);
// A comma-separated list of ids ("1,2,3"; empty -> none), at most `max_count`.
Status ParseIdList(std::string_view text, std::string_view field, size_t max_count, std::vector<uint64_t>* out);

}  // namespace reco::online::service
