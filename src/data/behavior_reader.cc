#include "data/behavior_reader.h"

#include <charconv>
#include <cstring>

#include "data/behavior_mapped_file.h"

namespace reco::data {
namespace {

constexpr size_t kMaxExampleBytes = 200;

// Columnar buffers reused across batches (allocated once per read).
struct BatchBuffers {
  explicit BatchBuffers(size_t n) : capacity(n) {
    user.resize(n), item.resize(n), cate.resize(n), type.resize(n), ts.resize(n), line.resize(n);
  }
  EventBatch View() const {
    return EventBatch{{user.data(), size}, {item.data(), size}, {cate.data(), size},
                      {type.data(), size}, {ts.data(), size},   {line.data(), size}};
  }
  size_t capacity;
  size_t size = 0;
  std::vector<uint64_t> user, item, cate;
  std::vector<uint8_t> type;
  std::vector<int64_t> ts, line;
};

// Parses an unsigned decimal field; rejects empty, signs, spaces and trailing garbage.
inline bool ParseU64(const char* b, const char* e, uint64_t* out) {
  if (b == e) return false;
  auto [p, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && p == e;
}

// Returns OK or the reason the id field is dirty.
inline bool ParseId(const char* b, const char* e, uint64_t* out, DirtyReason* why) {
  if (!ParseU64(b, e, out)) {
    // All-digit overflow is "too large", anything else is malformed.
    bool digits = b != e;
    for (const char* p = b; p < e && digits; ++p) digits = *p >= '0' && *p <= '9';
    *why = digits ? DirtyReason::kIdTooLarge : DirtyReason::kBadId;
    return false;
  }
  if (*out > kMaxRawId) return *why = DirtyReason::kIdTooLarge, false;
  return true;
}

void RecordDirty(BehaviorReadStats* stats, size_t max_examples, int64_t line, DirtyReason reason,
                 std::string_view text) {
  ++stats->dirty[static_cast<int>(reason)];
  if (stats->examples.size() < max_examples) {
    stats->examples.push_back({line, reason, std::string(text.substr(0, kMaxExampleBytes))});
  }
}

}  // namespace

std::string_view BehaviorTypeName(BehaviorType type) {
  switch (type) {
    case BehaviorType::kPv: return "pv";
    case BehaviorType::kCart: return "cart";
    case BehaviorType::kFav: return "fav";
    case BehaviorType::kBuy: return "buy";
  }
  return "?";
}

std::string_view DirtyReasonName(DirtyReason reason) {
  switch (reason) {
    case DirtyReason::kEmptyLine: return "empty_line";
    case DirtyReason::kFieldCount: return "field_count";
    case DirtyReason::kBadId: return "bad_id";
    case DirtyReason::kIdTooLarge: return "id_too_large";
    case DirtyReason::kBadBehaviorType: return "bad_behavior_type";
    case DirtyReason::kBadTimestamp: return "bad_timestamp";
    case DirtyReason::kTimestampOutOfWindow: return "timestamp_out_of_window";
    case DirtyReason::kNumReasons: break;
  }
  return "?";
}

BehaviorReaderOptions TaobaoWindowOptions() {
  BehaviorReaderOptions o;
  o.min_timestamp = kTaobaoMinTimestamp;
  o.max_timestamp = kTaobaoMaxTimestamp;
  return o;
}

int64_t BehaviorReadStats::dirty_total() const {
  int64_t n = 0;
  for (int64_t d : dirty) n += d;
  return n;
}

std::string BehaviorReadStats::Summary() const {
  std::string s = std::to_string(rows_ok) + " good rows, " + std::to_string(dirty_total()) + " dirty of " +
                  std::to_string(lines) + " lines";
  if (crlf_lines > 0) s += " (" + std::to_string(crlf_lines) + " CRLF)";
  for (int r = 0; r < kNumDirtyReasons; ++r) {
    if (dirty[r] > 0) s += "\n  " + std::string(DirtyReasonName(static_cast<DirtyReason>(r))) + ": " + std::to_string(dirty[r]);
  }
  for (const auto& ex : examples) {
    s += "\n  line " + std::to_string(ex.line) + " [" + std::string(DirtyReasonName(ex.reason)) + "]: \"" + ex.text +
         "\"";
  }
  return s;
}

Status ParseBehaviorCsv(std::string_view text, std::string_view name, const BehaviorReaderOptions& options,
                        const EventBatchFn& fn, BehaviorReadStats* stats) {
  BehaviorReadStats local;
  if (stats == nullptr) stats = &local;
  BatchBuffers buf(options.batch_rows == 0 ? 1 : options.batch_rows);
  stats->bytes += static_cast<int64_t>(text.size());
  auto flush = [&]() -> Status {
    if (buf.size == 0) return Status::Ok();
    Status s = fn(buf.View());
    buf.size = 0;
    return s.ok() ? s : s.WithContext(name);
  };
  const char* p = text.data();
  const char* const end = p + text.size();
  int64_t line_no = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* le = nl ? nl : end;
    const char* next = nl ? nl + 1 : end;
    ++line_no;
    if (le > p && le[-1] == '\r') {
      --le;
      ++stats->crlf_lines;
    }
    const std::string_view row(p, static_cast<size_t>(le - p));
    p = next;
    if (row.empty()) {
      RecordDirty(stats, options.max_examples, line_no, DirtyReason::kEmptyLine, row);
      continue;
    }
    // Split into exactly 5 fields.
    const char* f[6];
    int n = 0;
    f[0] = row.data();
    for (const char* q = row.data(); q < le; ++q) {
      if (*q == ',') {
        if (++n >= 5) break;
        f[n] = q + 1;
      }
    }
    if (n != 4) {
      RecordDirty(stats, options.max_examples, line_no, DirtyReason::kFieldCount, row);
      continue;
    }
    f[5] = le + 1;  // so that field k ends at f[k+1] - 1
    uint64_t user, item, cate, ts;
    DirtyReason why;
    if (!ParseId(f[0], f[1] - 1, &user, &why) || !ParseId(f[1], f[2] - 1, &item, &why) ||
        !ParseId(f[2], f[3] - 1, &cate, &why)) {
      RecordDirty(stats, options.max_examples, line_no, why, row);
      continue;
    }
    BehaviorType type;
    if (!ParseBehaviorType(std::string_view(f[3], static_cast<size_t>(f[4] - 1 - f[3])), &type)) {
      RecordDirty(stats, options.max_examples, line_no, DirtyReason::kBadBehaviorType, row);
      continue;
    }
    if (!ParseU64(f[4], le, &ts) || ts > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      RecordDirty(stats, options.max_examples, line_no, DirtyReason::kBadTimestamp, row);
      continue;
    }
    const int64_t t = static_cast<int64_t>(ts);
    if (t < options.min_timestamp || t >= options.max_timestamp) {
      RecordDirty(stats, options.max_examples, line_no, DirtyReason::kTimestampOutOfWindow, row);
      continue;
    }
    const size_t k = buf.size++;
    buf.user[k] = user, buf.item[k] = item, buf.cate[k] = cate, buf.type[k] = static_cast<uint8_t>(type);
    buf.ts[k] = t, buf.line[k] = line_no;
    ++stats->rows_ok;
    if (buf.size == buf.capacity) RETURN_IF_ERROR(flush());
  }
  stats->lines += line_no;
  return flush();
}

Status ReadBehaviorCsv(const std::string& path, const BehaviorReaderOptions& options, const EventBatchFn& fn,
                       BehaviorReadStats* stats) {
  ASSIGN_OR_RETURN(auto file, MappedFile::Open(path, /*sequential=*/true));
  return ParseBehaviorCsv(file->view(), path, options, fn, stats);
}

StatusOr<EventColumns> LoadBehaviorCsv(const std::string& path, const BehaviorReaderOptions& options,
                                       BehaviorReadStats* stats) {
  EventColumns cols;
  auto append = [&cols](const EventBatch& b) -> Status {
    cols.user.insert(cols.user.end(), b.user.begin(), b.user.end());
    cols.item.insert(cols.item.end(), b.item.begin(), b.item.end());
    cols.cate.insert(cols.cate.end(), b.cate.begin(), b.cate.end());
    cols.type.insert(cols.type.end(), b.type.begin(), b.type.end());
    cols.ts.insert(cols.ts.end(), b.ts.begin(), b.ts.end());
    return Status::Ok();
  };
  RETURN_IF_ERROR(ReadBehaviorCsv(path, options, append, stats));
  return cols;
}

}  // namespace reco::data
