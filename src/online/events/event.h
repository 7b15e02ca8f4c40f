// Event: one shopper behaviour as the online recommender receives it (POST /v1/events, CSV import).
//
// Same id rules as the offline data (docs/data.md §1): raw ids are unsigned integers ≤ data::kMaxRawId = 2^53, so
// JSON clients that carry ids as doubles stay exact. Two fields may be left for the store to fill in:
// category_id = -1 means "look it up in the catalog", timestamp = 0 means "now" (server time, Unix seconds).
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "data/behavior_event.h"

namespace reco::online {

inline constexpr int64_t kUnknownCategory = -1;

struct Event {
  uint64_t user_id = 0;
  uint64_t item_id = 0;
  int64_t category_id = kUnknownCategory;  // -1: look up in the catalog
  data::BehaviorType behavior = data::BehaviorType::kPv;
  int64_t timestamp = 0;  // Unix seconds; 0: now (server time)

  friend bool operator==(const Event&, const Event&) = default;
};

// Checks the id and timestamp ranges and the behaviour value of an Event built in code (the JSON parser already
// enforces them). `where` prefixes the message, e.g. "events[3]" → "events[3].item_id: 9007199254740993 > 2^53".
Status ValidateEvent(const Event& event, std::string_view where);

// Relative weight of a behaviour as a signal of interest (pv 1, fav 2, cart 3, buy 4); used by co-visitation and
// popularity so that a purchase counts more than a glance.
inline float BehaviorWeight(data::BehaviorType type) {
  static constexpr float kWeights[data::kNumBehaviorTypes] = {1.0f, 3.0f, 2.0f, 4.0f};  // pv, cart, fav, buy
  const auto i = static_cast<unsigned>(type);
  return i < static_cast<unsigned>(data::kNumBehaviorTypes) ? kWeights[i] : 0.0f;
}

}  // namespace reco::online
