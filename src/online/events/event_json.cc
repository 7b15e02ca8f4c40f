#include "online/events/event_json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <charconv>
#include <chrono>
#include <string>

namespace reco::online {
namespace {

// "events[3].user_id" for batches, "user_id" for a single object.
std::string Where(bool batch, size_t index, std::string_view field) {
  std::string s;
  if (batch) {
    s = "events[" + std::to_string(index) + "]";
    if (!field.empty()) s += '.';
  }
  s += field;
  return s;
}

// At most ~40 bytes of client text for an error message, cut on a UTF-8 character boundary (a cut inside a
// multi-byte character made the error body invalid UTF-8, which strict JSON clients cannot read).
std::string Shorten(std::string_view s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return std::string(s);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // s[cut] continues a character
  return std::string(s.substr(0, cut)) + "...";
}

const char* TypeName(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
  }
  return "?";
}

// An integer 0..max as a JSON number (no fraction/exponent) or a string of decimal digits.
Status ParseUnsigned(const rapidjson::Value& v, uint64_t max, std::string_view max_name, const std::string& where,
                     uint64_t* out) {
  if (v.IsUint64()) {
    *out = v.GetUint64();
  } else if (v.IsInt64()) {
    return InvalidArgumentError(where + ": " + std::to_string(v.GetInt64()) + " is negative");
  } else if (v.IsNumber()) {
    // A double: a fraction, an exponent, or an integer beyond 64 bits.
    const double d = v.GetDouble();
    if (d < 0) return InvalidArgumentError(where + ": negative number");
    if (d >= 1.8e19) return InvalidArgumentError(where + ": number > " + std::string(max_name));
    return InvalidArgumentError(where + ": must be an integer (got " + std::to_string(d) + ")");
  } else if (v.IsString()) {
    const std::string_view s(v.GetString(), v.GetStringLength());
    if (s.empty()) return InvalidArgumentError(where + ": empty string");
    if (s[0] == '-') return InvalidArgumentError(where + ": '" + Shorten(s) + "' is negative");
    for (char c : s) {
      if (c < '0' || c > '9') {
        return InvalidArgumentError(where + ": '" + Shorten(s) + "' is not a decimal integer");
      }
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec != std::errc() || end != s.data() + s.size()) {
      return InvalidArgumentError(where + ": '" + Shorten(s) + "' > " + std::string(max_name));
    }
  } else {
    return InvalidArgumentError(where + ": expected an integer or a decimal string, got " + TypeName(v));
  }
  if (*out > max) {
    return InvalidArgumentError(where + ": " + std::to_string(*out) + " > " + std::string(max_name));
  }
  return Status::Ok();
}

Status ParseId(const rapidjson::Value& v, const std::string& where, uint64_t* out) {
  return ParseUnsigned(v, data::kMaxRawId, "2^53", where, out);
}

Status ParseEvent(const rapidjson::Value& v, bool batch, size_t index, int64_t max_timestamp, Event* event) {
  if (!v.IsObject()) {
    return InvalidArgumentError(Where(batch, index, "") + (batch ? ": " : "") + "expected an event object, got " +
                                TypeName(v));
  }
  *event = Event();
  const auto required = [&](const char* name, const rapidjson::Value** out) -> Status {
    const auto it = v.FindMember(name);
    if (it == v.MemberEnd() || it->value.IsNull()) return InvalidArgumentError(Where(batch, index, name) + ": missing");
    *out = &it->value;
    return Status::Ok();
  };
  const rapidjson::Value* field = nullptr;
  RETURN_IF_ERROR(required("user_id", &field));
  RETURN_IF_ERROR(ParseId(*field, Where(batch, index, "user_id"), &event->user_id));
  RETURN_IF_ERROR(required("item_id", &field));
  RETURN_IF_ERROR(ParseId(*field, Where(batch, index, "item_id"), &event->item_id));

  if (const auto it = v.FindMember("category_id"); it != v.MemberEnd() && !it->value.IsNull()) {
    uint64_t category = 0;
    RETURN_IF_ERROR(ParseId(it->value, Where(batch, index, "category_id"), &category));
    event->category_id = static_cast<int64_t>(category);
  }

  const char* behavior_name = "behavior";
  auto behavior = v.FindMember("behavior");
  if (behavior == v.MemberEnd() || behavior->value.IsNull()) {
    behavior = v.FindMember("behavior_type");
    behavior_name = "behavior_type";
  }
  if (behavior == v.MemberEnd() || behavior->value.IsNull()) {
    return InvalidArgumentError(Where(batch, index, "behavior") + ": missing (pv|cart|fav|buy)");
  }
  if (!behavior->value.IsString()) {
    return InvalidArgumentError(Where(batch, index, behavior_name) + ": expected a string (pv|cart|fav|buy), got " +
                                TypeName(behavior->value));
  }
  const std::string_view name(behavior->value.GetString(), behavior->value.GetStringLength());
  if (!data::ParseBehaviorType(name, &event->behavior)) {
    return InvalidArgumentError(Where(batch, index, behavior_name) + ": unknown behaviour '" + Shorten(name) +
                                "' (pv|cart|fav|buy)");
  }

  if (const auto it = v.FindMember("timestamp"); it != v.MemberEnd() && !it->value.IsNull()) {
    uint64_t ts = 0;
    RETURN_IF_ERROR(ParseUnsigned(it->value, static_cast<uint64_t>(INT64_MAX), "2^63-1",
                                  Where(batch, index, "timestamp"), &ts));
    if (max_timestamp >= 0 && ts > static_cast<uint64_t>(max_timestamp)) {
      return InvalidArgumentError(Where(batch, index, "timestamp") + ": " + std::to_string(ts) +
                                  " is more than a day in the future (Unix seconds expected, not milliseconds)");
    }
    event->timestamp = static_cast<int64_t>(ts);
  }
  return Status::Ok();
}

}  // namespace

Status ParseEventsJson(std::string_view body, const EventJsonOptions& options, std::vector<Event>* out) {
  out->clear();
  const int64_t max_timestamp =
      options.max_future_seconds < 0
          ? -1
          : std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                    .count() + options.max_future_seconds;
  rapidjson::Document doc;
  // Iterative parsing: a hostile body of 100k nested '[' must not exhaust the request thread's stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError()) {
    return InvalidArgumentError("malformed JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                                rapidjson::GetParseError_En(doc.GetParseError()));
  }
  const rapidjson::Value* array = nullptr;
  if (doc.IsArray()) {
    array = &doc;
  } else if (doc.IsObject()) {
    const auto it = doc.FindMember("events");
    if (it != doc.MemberEnd()) {
      if (!it->value.IsArray()) {
        return InvalidArgumentError(std::string("events: expected an array, got ") + TypeName(it->value));
      }
      array = &it->value;
    }
  } else {
    return InvalidArgumentError(std::string("expected an event object, an array of events or {\"events\": [...]}, "
                                            "got ") + TypeName(doc));
  }
  if (array == nullptr) {
    out->resize(1);
    Status status = ParseEvent(doc, /*batch=*/false, 0, max_timestamp, &(*out)[0]);
    if (!status.ok()) out->clear();
    return status;
  }
  const size_t n = array->Size();
  if (n > options.max_events) {
    return InvalidArgumentError("events: " + std::to_string(n) + " events in one request, at most " +
                                std::to_string(options.max_events));
  }
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    Status status = ParseEvent((*array)[static_cast<rapidjson::SizeType>(i)], /*batch=*/true, i, max_timestamp, &(*out)[i]);
    if (!status.ok()) {
      out->clear();
      return status;
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<Event>> ParseEventsJson(std::string_view body) {
  std::vector<Event> events;
  RETURN_IF_ERROR(ParseEventsJson(body, EventJsonOptions(), &events));
  return events;
}

}  // namespace reco::online
