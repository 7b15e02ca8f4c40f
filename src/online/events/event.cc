#include "online/events/event.h"

#include <string>

namespace reco::online {
namespace {

std::string Field(std::string_view where, std::string_view field) {
  std::string s(where);
  if (!s.empty()) s += '.';
  s += field;
  return s;
}

}  // namespace

Status ValidateEvent(const Event& event, std::string_view where) {
  if (event.user_id > data::kMaxRawId) {
    return InvalidArgumentError(Field(where, "user_id") + ": " + std::to_string(event.user_id) + " > 2^53");
  }
  if (event.item_id > data::kMaxRawId) {
    return InvalidArgumentError(Field(where, "item_id") + ": " + std::to_string(event.item_id) + " > 2^53");
  }
  if (event.category_id < kUnknownCategory || event.category_id > static_cast<int64_t>(data::kMaxRawId)) {
    return InvalidArgumentError(Field(where, "category_id") + ": " + std::to_string(event.category_id) +
                                " is not in 0..2^53 (or -1 for 'look up in the catalog')");
  }
  if (static_cast<unsigned>(event.behavior) >= static_cast<unsigned>(data::kNumBehaviorTypes)) {
    return InvalidArgumentError(Field(where, "behavior") + ": invalid value " +
                                std::to_string(static_cast<unsigned>(event.behavior)));
  }
  if (event.timestamp < 0) {
    return InvalidArgumentError(Field(where, "timestamp") + ": " + std::to_string(event.timestamp) + " is negative");
  }
  return Status::Ok();
}

}  // namespace reco::online
