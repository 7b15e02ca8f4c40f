// ParseEventsJson / ValidateEvent: accepted shapes, defaults, and one test per kind of bad input, each checking that
// the message names the event index and the field.
#include "online/events/event_json.h"

#include <gtest/gtest.h>

#include <string>

namespace reco::online {
namespace {

using data::BehaviorType;

std::string ErrorOf(std::string_view body) {
  auto parsed = ParseEventsJson(body);
  EXPECT_FALSE(parsed.ok()) << body;
  if (!parsed.ok()) {
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << parsed.status().ToString();
  }
  return parsed.ok() ? std::string() : parsed.status().message();
}

TEST(EventJsonTest, SingleObjectWithAllFields) {
  auto events = ParseEventsJson(
      R"({"user_id": 1, "item_id": 2268318, "category_id": 2520377, "behavior": "cart", "timestamp": 1511544070})");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0], (Event{1, 2268318, 2520377, BehaviorType::kCart, 1511544070}));
}

TEST(EventJsonTest, OptionalFieldsDefaultAndStringIds) {
  auto events = ParseEventsJson(R"({"user_id": "42", "item_id": "9007199254740992", "behavior": "buy",
                                    "category_id": null, "extra": {"ignored": true}})");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  const Event& e = (*events)[0];
  EXPECT_EQ(e.user_id, 42u);
  EXPECT_EQ(e.item_id, uint64_t{1} << 53);  // exactly 2^53 is allowed
  EXPECT_EQ(e.category_id, kUnknownCategory);
  EXPECT_EQ(e.behavior, BehaviorType::kBuy);
  EXPECT_EQ(e.timestamp, 0);  // "now", filled by the store
}

TEST(EventJsonTest, ArrayAndEventsMemberAndBehaviorTypeAlias) {
  const char* kArray = R"([{"user_id": 1, "item_id": 2, "behavior": "pv"},
                           {"user_id": 1, "item_id": 3, "behavior_type": "fav", "timestamp": 5}])";
  auto a = ParseEventsJson(kArray);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[1], (Event{1, 3, kUnknownCategory, BehaviorType::kFav, 5}));
  auto b = ParseEventsJson(std::string(R"({"events": )") + kArray + "}");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*a, *b);
  auto empty = ParseEventsJson(R"({"events": []})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(EventJsonTest, ReusesBufferAndClearsItOnError) {
  std::vector<Event> out;
  ASSERT_TRUE(ParseEventsJson(R"([{"user_id":1,"item_id":2,"behavior":"pv"}])", {}, &out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_FALSE(ParseEventsJson(R"([{"user_id":1,"item_id":2,"behavior":"pv"}, 7])", {}, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(EventJsonTest, MalformedJson) {
  EXPECT_NE(ErrorOf(R"({"user_id": 1,)").find("malformed JSON at offset"), std::string::npos);
  EXPECT_NE(ErrorOf("").find("malformed JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2").find("malformed JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("42").find("expected an event object"), std::string::npos);
  EXPECT_EQ(ErrorOf(R"({"events": 3})"), "events: expected an array, got a number");
  EXPECT_EQ(ErrorOf(R"([{"user_id":1,"item_id":2,"behavior":"pv"}, "x"])"),
            "events[1]: expected an event object, got a string");
}

TEST(EventJsonTest, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(200'000, '[') + std::string(200'000, ']');
  EXPECT_EQ(ErrorOf(deep), "events[0]: expected an event object, got an array");
  EXPECT_NE(ErrorOf(std::string(200'000, '[')).find("malformed JSON"), std::string::npos);
}

TEST(EventJsonTest, UnknownBehaviourNamesIndexAndField) {
  const std::string body = R"({"events": [)" + std::string(3, ' ') +
                           R"({"user_id":1,"item_id":2,"behavior":"pv"}, {"user_id":1,"item_id":2,"behavior":"pv"},
      {"user_id":1,"item_id":2,"behavior":"pv"}, {"user_id":1,"item_id":2,"behavior":"click"}]})";
  EXPECT_EQ(ErrorOf(body), "events[3].behavior: unknown behaviour 'click' (pv|cart|fav|buy)");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"item_id":2,"behavior":"PV"})"),
            "behavior: unknown behaviour 'PV' (pv|cart|fav|buy)");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"item_id":2})"), "behavior: missing (pv|cart|fav|buy)");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"item_id":2,"behavior":3})"),
            "behavior: expected a string (pv|cart|fav|buy), got a number");
}

TEST(EventJsonTest, MissingUserOrItem) {
  EXPECT_EQ(ErrorOf(R"({"item_id":2,"behavior":"pv"})"), "user_id: missing");
  EXPECT_EQ(ErrorOf(R"([{"user_id":null,"item_id":2,"behavior":"pv"}])"), "events[0].user_id: missing");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"behavior":"pv"})"), "item_id: missing");
}

TEST(EventJsonTest, IdsAbove2Pow53AreRejected) {
  EXPECT_EQ(ErrorOf(R"({"user_id":9007199254740993,"item_id":2,"behavior":"pv"})"),
            "user_id: 9007199254740993 > 2^53");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"item_id":"9007199254740993","behavior":"pv"})"),
            "item_id: 9007199254740993 > 2^53");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"item_id":"99999999999999999999999","behavior":"pv"})"),
            "item_id: '99999999999999999999999' > 2^53");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"item_id":1e30,"behavior":"pv"})"), "item_id: number > 2^53");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"item_id":2,"category_id":18446744073709551615,"behavior":"pv"})"),
            "category_id: 18446744073709551615 > 2^53");
}

TEST(EventJsonTest, NegativeFractionalAndNonNumericIds) {
  EXPECT_EQ(ErrorOf(R"({"user_id":-1,"item_id":2,"behavior":"pv"})"), "user_id: -1 is negative");
  EXPECT_EQ(ErrorOf(R"({"user_id":"-1","item_id":2,"behavior":"pv"})"), "user_id: '-1' is negative");
  EXPECT_EQ(ErrorOf(R"({"user_id":1,"item_id":2,"behavior":"pv","timestamp":-5})"), "timestamp: -5 is negative");
  EXPECT_EQ(ErrorOf(R"({"user_id":1.5,"item_id":2,"behavior":"pv"})"), "user_id: must be an integer (got 1.500000)");
  EXPECT_EQ(ErrorOf(R"({"user_id":"12a","item_id":2,"behavior":"pv"})"), "user_id: '12a' is not a decimal integer");
  EXPECT_EQ(ErrorOf(R"({"user_id":" 12","item_id":2,"behavior":"pv"})"), "user_id: ' 12' is not a decimal integer");
  EXPECT_EQ(ErrorOf(R"({"user_id":"","item_id":2,"behavior":"pv"})"), "user_id: empty string");
  EXPECT_EQ(ErrorOf(R"({"user_id":true,"item_id":2,"behavior":"pv"})"),
            "user_id: expected an integer or a decimal string, got a boolean");
}

TEST(EventJsonTest, BatchLimit) {
  std::string body = "[";
  for (int i = 0; i < 4; ++i) body += std::string(i ? "," : "") + R"({"user_id":1,"item_id":2,"behavior":"pv"})";
  body += "]";
  std::vector<Event> out;
  EventJsonOptions options;
  options.max_events = 3;
  Status status = ParseEventsJson(body, options, &out);
  EXPECT_EQ(status.message(), "events: 4 events in one request, at most 3");
  options.max_events = 4;
  EXPECT_TRUE(ParseEventsJson(body, options, &out).ok());
}

TEST(EventValidateTest, NamesTheField) {
  EXPECT_TRUE(ValidateEvent(Event{1, 2, 3, BehaviorType::kPv, 4}, "events[0]").ok());
  EXPECT_EQ(ValidateEvent(Event{1, (uint64_t{1} << 53) + 1, 3, BehaviorType::kPv, 4}, "events[2]").message(),
            "events[2].item_id: 9007199254740993 > 2^53");
  EXPECT_EQ(ValidateEvent(Event{1, 2, -7, BehaviorType::kPv, 4}, "").message(),
            "category_id: -7 is not in 0..2^53 (or -1 for 'look up in the catalog')");
  EXPECT_EQ(ValidateEvent(Event{1, 2, 3, static_cast<BehaviorType>(9), 4}, "e").message(),
            "e.behavior: invalid value 9");
  EXPECT_EQ(ValidateEvent(Event{1, 2, 3, BehaviorType::kPv, -1}, "e").message(), "e.timestamp: -1 is negative");
}

}  // namespace
}  // namespace reco::online
