// Parsing behaviour events from a JSON request body (POST /v1/events).
//
// Accepted shapes: one event object, an array of event objects, or {"events": [ ... ]}. An event object has
//   "user_id"     required, integer 0..2^53 as a JSON number or a decimal string ("2268318")
//   "item_id"     required, same rules
//   "category_id" optional (absent or null: the store looks it up in the catalog), same rules
//   "behavior"    required, exactly "pv" | "cart" | "fav" | "buy" ("behavior_type" is accepted as an alias)
//   "timestamp"   optional Unix seconds ≥ 0 (absent, null or 0: now, filled in by the store)
// Unknown members are ignored (clients may send more than we use). Numbers with a fraction or exponent, negative
// numbers, ids above 2^53 and strings that are not plain decimal digits are rejected.
//
// Errors are InvalidArgument and name the event and field, e.g.
//   "events[3].behavior: unknown behaviour 'click' (pv|cart|fav|buy)"     (array or {"events": [...]})
//   "user_id: missing"                                                  (a single object)
//   "malformed JSON at offset 17: Missing a comma or '}' after an object member."
// The whole body is rejected if any event is bad, so a batch is all-or-nothing.
// Thread-safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "online/events/event.h"

namespace reco::online {

struct EventJsonOptions {
  size_t max_events = 10000;  // a larger batch is rejected (ResourceExhausted is not used: it is the client's fault)
  // A timestamp later than now + this many seconds is rejected. Milliseconds sent as seconds (or a broken clock)
  // would otherwise put events far in the future: they would outrank every later real event in the user's kept
  // history (acknowledged, then invisible) and swamp the time-decayed trending scores. < 0: no bound (tests).
  int64_t max_future_seconds = 86400;
};

// Replaces *out with the parsed events (its capacity is reused across calls).
Status ParseEventsJson(std::string_view body, const EventJsonOptions& options, std::vector<Event>* out);
StatusOr<std::vector<Event>> ParseEventsJson(std::string_view body);

}  // namespace reco::online
