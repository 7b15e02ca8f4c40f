#include "online/service/query.h"

#include <charconv>

#include <fmt/format.h>

#include "data/behavior_event.h"

namespace reco::online::service {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Target SplitTarget(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    if (key == name) return Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return std::nullopt;
}

StatusOr<uint64_t> ParseId(std::string_view text, std::string_view field) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgumentError(fmt::format("{}: '{}' is not a non-negative integer id", field, text));
  }
  if (value > data::kMaxRawId) return InvalidArgumentError(fmt::format("{}: {} > 2^53", field, value));
  return value;
}

StatusOr<int64_t> ParseInt(std::string_view text, std::string_view field, int64_t min, int64_t max) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || end != text.data() + text.size() || ec == std::errc::invalid_argument) {
    return InvalidArgumentError(fmt::format("{}: '{}' is not an integer", field, text));
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return InvalidArgumentError(fmt::format("{} must be in [{}, {}], got {}", field, min, max, text));
  }
  return value;
}

Status ParseIdList(std::string_view text, std::string_view field, size_t max_count, std::vector<uint64_t>* out) {
  out->clear();
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view one = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (one.empty()) continue;
    ASSIGN_OR_RETURN(uint64_t id, ParseId(one, field));
    if (out->size() >= max_count) {
      return InvalidArgumentError(fmt::format("{}: more than {} ids", field, max_count));
    }
    out->push_back(id);
  }
  return Status::Ok();
}

}  // namespace reco::online::service
