// Streaming reader of Taobao UserBehavior CSV logs: `user_id,item_id,category_id,behavior_type,timestamp`, no header.
//
// The file is memory-mapped and parsed in place with std::from_chars; good rows are handed to the caller in
// columnar batches (no per-row heap objects), so 100M-row files stream at several million rows/s on one core.
// Dirty rows never stop the read: each is counted by reason and the first `max_examples` are kept with their
// 1-based line number and text. Handling decided here:
//   - CRLF line endings: accepted (the '\r' is stripped and counted in crlf_lines, not dirty);
//   - empty lines (also "\r" alone): dirty kEmptyLine;
//   - not exactly 5 fields: kFieldCount;
//   - an id that is empty, non-numeric, negative, has spaces or a sign: kBadId; an id > 2^53: kIdTooLarge;
//   - behavior_type not exactly pv|cart|fav|buy: kBadBehaviorType;
//   - timestamp empty/non-numeric/negative: kBadTimestamp; outside [min_timestamp, max_timestamp): kTimestampOutOfWindow.
// Only I/O failures and errors returned by the callback end the read with a non-OK Status.
// Thread-safety: free functions; the stats object belongs to the caller.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "data/behavior_event.h"

namespace reco::data {

enum class DirtyReason : uint8_t {
  kEmptyLine = 0,
  kFieldCount,
  kBadId,
  kIdTooLarge,
  kBadBehaviorType,
  kBadTimestamp,
  kTimestampOutOfWindow,
  kNumReasons,
};
inline constexpr int kNumDirtyReasons = static_cast<int>(DirtyReason::kNumReasons);
std::string_view DirtyReasonName(DirtyReason reason);

// The documented range of the public dataset, Nov 25 – Dec 3 2017 in Beijing time (UTC+8): [2017-11-25 00:00,
// 2017-12-04 00:00).
inline constexpr int64_t kTaobaoMinTimestamp = 1511539200;
inline constexpr int64_t kTaobaoMaxTimestamp = 1512316800;

struct BehaviorReaderOptions {
  int64_t min_timestamp = 0;                                    // inclusive
  int64_t max_timestamp = std::numeric_limits<int64_t>::max();  // exclusive
  size_t max_examples = 10;                                     // dirty rows kept verbatim
  size_t batch_rows = 1 << 16;                                  // rows per callback
};
// Options whose window is the public dataset's documented range.
BehaviorReaderOptions TaobaoWindowOptions();

struct DirtyExample {
  int64_t line = 0;  // 1-based
  DirtyReason reason = DirtyReason::kEmptyLine;
  std::string text;  // the row, truncated to 200 bytes
};

struct BehaviorReadStats {
  int64_t lines = 0;  // physical lines seen (a final line without '\n' counts)
  int64_t rows_ok = 0;
  int64_t crlf_lines = 0;
  std::array<int64_t, kNumDirtyReasons> dirty{};
  std::vector<DirtyExample> examples;
  int64_t bytes = 0;

  int64_t dirty_total() const;
  // Multi-line human-readable report: counts per reason and the kept examples.
  std::string Summary() const;
};

// A view of good rows; valid only during the callback.
struct EventBatch {
  std::span<const uint64_t> user, item, cate;
  std::span<const uint8_t> type;  // BehaviorType values
  std::span<const int64_t> ts;
  std::span<const int64_t> line;  // 1-based source line of each row
  size_t size() const { return user.size(); }
};
using EventBatchFn = std::function<Status(const EventBatch&)>;

// `stats` may be null. Reads `path` (memory-mapped). NotFound for a missing file; an empty file is OK with zero rows.
Status ReadBehaviorCsv(const std::string& path, const BehaviorReaderOptions& options, const EventBatchFn& fn,
                       BehaviorReadStats* stats);
// Parses an in-memory buffer; `name` prefixes error messages.
Status ParseBehaviorCsv(std::string_view text, std::string_view name, const BehaviorReaderOptions& options,
                        const EventBatchFn& fn, BehaviorReadStats* stats);
// Convenience: all good rows of a file into columns.
StatusOr<EventColumns> LoadBehaviorCsv(const std::string& path, const BehaviorReaderOptions& options,
                                       BehaviorReadStats* stats);

}  // namespace reco::data
