#include "online/service/api_handler.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <exception>
#include <iterator>
#include <unordered_map>

#include <fmt/format.h>

#include "core/logging.h"
#include "online/events/event_json.h"
#include "online/retrieval/candidate_source.h"
#include "online/service/query.h"
#include "serving/http_status.h"

namespace reco::online::service {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr size_t kMaxRecentUsers = 50;
constexpr int kSampleUsers = 20;  // store shoppers listed by GET /v1/users besides the recent ones
constexpr size_t kMaxExclude = 1000;
constexpr size_t kMaxItemsPerPut = 100000;

// Per-thread output buffer: cleared, not freed, between requests.
rapidjson::StringBuffer& Buffer() {
  thread_local rapidjson::StringBuffer buffer;
  buffer.Clear();
  return buffer;
}

void Finish(const rapidjson::StringBuffer& buffer, HttpResponse* response) {
  response->body.assign(buffer.GetString(), buffer.GetSize());
}

void Key(JsonWriter& w, const char* key) { w.Key(key); }

// `earlier`: the items read before this one in the same request (item id -> entry), which count as known: a
// request may introduce an item and then refer to it without repeating its category.
Status ReadItem(const rapidjson::Value& v, size_t index, const Store& store,
                const std::unordered_map<uint64_t, ItemInfo>& earlier, ItemInfo* out) {
  const std::string where = fmt::format("items[{}]", index);
  if (!v.IsObject()) return InvalidArgumentError(where + ": must be an object");
  auto id = v.FindMember("item_id");
  if (id == v.MemberEnd()) return InvalidArgumentError(where + ".item_id: missing");
  if (!id->value.IsUint64() || id->value.GetUint64() > data::kMaxRawId) {
    return InvalidArgumentError(where + ".item_id: must be an integer in [0, 2^53]");
  }
  out->item_id = id->value.GetUint64();
  std::optional<ItemInfo> known;
  if (auto e = earlier.find(out->item_id); e != earlier.end()) {
    known = e->second;
  } else {
    known = store.GetItem(out->item_id);
  }
  auto cate = v.FindMember("category_id");
  if (cate != v.MemberEnd() && !cate->value.IsNull()) {
    if (!cate->value.IsUint64() || cate->value.GetUint64() > data::kMaxRawId) {
      return InvalidArgumentError(where + ".category_id: must be an integer in [0, 2^53]");
    }
    out->category_id = cate->value.GetUint64();
  } else if (known) {
    out->category_id = known->category_id;
  } else {
    return InvalidArgumentError(fmt::format("{}.category_id: missing, and item {} is not in the catalog", where,
                                            out->item_id));
  }
  auto available = v.FindMember("available");
  if (available != v.MemberEnd()) {
    if (!available->value.IsBool()) return InvalidArgumentError(where + ".available: must be true or false");
    out->available = available->value.GetBool();
  } else {
    out->available = known ? known->available : true;
  }
  return Status::Ok();
}

}  // namespace

RecommenderApi::RecommenderApi(Store* store, const Recommender* recommender, ServiceMetrics* metrics,
                               const StaticFiles* web)
    : store_(store), recommender_(recommender), metrics_(metrics), web_(web) {}

void RecommenderApi::Handle(std::string_view method, std::string_view target, std::string_view body,
                            HttpResponse* response) const {
  const auto start = std::chrono::steady_clock::now();
  const Target t = SplitTarget(target);
  std::string_view endpoint = "other";
  Status status;
  try {
    status = Route(method, t.path, t.query, body, response, &endpoint);
  } catch (const std::exception& e) {
    status = InternalError(fmt::format("unexpected exception: {}", e.what()));
  } catch (...) {
    status = InternalError("unexpected exception");
  }
  if (!status.ok()) {
    response->status = serving::HttpStatusCode(status);
    if (status.code() == StatusCode::kUnimplemented) response->status = 405;  // known path, wrong method
    response->content_type = "application/json";
    response->body = serving::ErrorJson(status.message());
    if (response->status >= 500) RECO_LOG_WARN("{} {}: {}", method, target, status.ToString());
  }
  metrics_->RecordRequest(endpoint, response->status,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

Status RecommenderApi::Route(std::string_view method, std::string_view path, std::string_view query,
                             std::string_view body, HttpResponse* response, std::string_view* endpoint) const {
  auto expect = [&](std::string_view want) -> Status {
    if (method == want) return Status::Ok();
    return UnimplementedError(fmt::format("{} does not accept {} (use {})", path, method, want));
  };
  if (path == "/v1/recommend") {
    *endpoint = "recommend";
    RETURN_IF_ERROR(expect("GET"));
    return GetRecommend(query, response);
  }
  if (path == "/v1/events") {
    *endpoint = "events";
    RETURN_IF_ERROR(expect("POST"));
    return PostEvents(body, response);
  }
  if (path == "/v1/items") {
    *endpoint = "items";
    RETURN_IF_ERROR(expect("PUT"));
    return PutItems(body, response);
  }
  if (path.starts_with("/v1/items/")) {
    *endpoint = "item";
    RETURN_IF_ERROR(expect("GET"));
    return GetItem(path.substr(10), response);
  }
  if (path == "/v1/users") {
    *endpoint = "users";
    RETURN_IF_ERROR(expect("GET"));
    return GetUsers(response);
  }
  if (path.starts_with("/v1/users/") && path.ends_with("/history")) {
    *endpoint = "history";
    RETURN_IF_ERROR(expect("GET"));
    return GetHistory(path.substr(10, path.size() - 10 - 8), response);
  }
  if (path == "/v1/stats") {
    *endpoint = "stats";
    RETURN_IF_ERROR(expect("GET"));
    return GetStats(response);
  }
  if (path == "/healthz") {
    *endpoint = "healthz";
    response->body = R"({"status":"ok"})";
    return Status::Ok();
  }
  if (path == "/readyz") {
    *endpoint = "readyz";
    return GetReady(response);
  }
  if (path == "/metrics") {
    *endpoint = "metrics";
    RETURN_IF_ERROR(expect("GET"));
    response->content_type = "text/plain; version=0.0.4; charset=utf-8";
    response->body = metrics_->PrometheusText();
    return Status::Ok();
  }
  if (web_ != nullptr && (method == "GET" || method == "HEAD")) {
    if (const StaticFile* file = web_->Find(path)) {
      *endpoint = "static";
      response->content_type = file->content_type;
      response->cache_control = "no-cache";
      response->body = file->body;
      return Status::Ok();
    }
  }
  return NotFoundError(fmt::format("no route for {} {}", method, path));
}

Status RecommenderApi::PostEvents(std::string_view body, HttpResponse* response) const {
  thread_local std::vector<Event> events;
  RETURN_IF_ERROR(ParseEventsJson(body, EventJsonOptions(), &events));
  if (events.empty()) return InvalidArgumentError("no events in the body");
  RETURN_IF_ERROR(store_->Append(events));  // durable when OK
  metrics_->RecordEvents(static_cast<int64_t>(events.size()));
  NoteUser(events.back().user_id);
  response->body = fmt::format(R"({{"accepted":{}}})", events.size());
  return Status::Ok();
}

Status RecommenderApi::GetRecommend(std::string_view query, HttpResponse* response) const {
  thread_local RecommendRequest request;
  thread_local RecommendResponse result;
  std::optional<std::string> user = QueryParam(query, "user_id");
  if (!user) return InvalidArgumentError("user_id: missing (GET /v1/recommend?user_id=U&k=10)");
  ASSIGN_OR_RETURN(request.user_id, ParseId(*user, "user_id"));
  request.k = 10;
  if (std::optional<std::string> k = QueryParam(query, "k")) {
    ASSIGN_OR_RETURN(int64_t kv, ParseInt(*k, "k", 1, recommender_->options().max_k));
    request.k = static_cast<int>(kv);
  }
  request.exclude.clear();
  if (std::optional<std::string> ex = QueryParam(query, "exclude")) {
    RETURN_IF_ERROR(ParseIdList(*ex, "exclude", kMaxExclude, &request.exclude));
  }
  request.category.reset();
  if (std::optional<std::string> c = QueryParam(query, "category")) {
    if (!c->empty()) {
      ASSIGN_OR_RETURN(uint64_t cv, ParseId(*c, "category"));
      request.category = cv;
    }
  }
  RETURN_IF_ERROR(recommender_->Recommend(request, &result));
  metrics_->RecordRecommend(result.latency_ms / 1e3, result.candidates_considered,
                            result.ranking.starts_with("fallback"));

  rapidjson::StringBuffer& buffer = Buffer();
  JsonWriter w(buffer);
  w.SetMaxDecimalPlaces(6);
  w.StartObject();
  Key(w, "user_id"), w.Uint64(result.user_id);
  Key(w, "items"), w.StartArray();
  thread_local std::string reason;
  for (const RecommendedItem& item : result.items) {
    w.StartObject();
    Key(w, "item_id"), w.Uint64(item.item_id);
    Key(w, "category_id"), w.Uint64(item.category_id);
    Key(w, "score"), w.Double(static_cast<double>(item.score));
    reason = ReasonText(item);
    Key(w, "reason"), w.String(reason.data(), static_cast<rapidjson::SizeType>(reason.size()));
    if (item.has_history_reason) Key(w, "reason_item_id"), w.Uint64(item.reason_item);
    const std::string source = SourceBitsName(item.source);
    Key(w, "source"), w.String(source.data(), static_cast<rapidjson::SizeType>(source.size()));
    w.EndObject();
  }
  w.EndArray();
  Key(w, "model_version"), w.Int64(result.model_version);
  Key(w, "ranking"), w.String(result.ranking.data(), static_cast<rapidjson::SizeType>(result.ranking.size()));
  Key(w, "candidates_considered"), w.Int(result.candidates_considered);
  Key(w, "history_length"), w.Int(result.history_length);
  Key(w, "cold_start"), w.Bool(result.cold_start);
  Key(w, "latency_ms"), w.Double(result.latency_ms);
  w.EndObject();
  Finish(buffer, response);
  const RecommendTiming& t = result.timing;
  response->server_timing.clear();
  fmt::format_to(std::back_inserter(response->server_timing),
                 "retrieve;dur={:.3f}, filter;dur={:.3f}, queue;dur={:.3f}, rank;dur={:.3f}, select;dur={:.3f}, "
                 "total;dur={:.3f}",
                 t.retrieve_ms, t.filter_ms, t.queue_ms, t.rank_ms, t.select_ms, result.latency_ms);
  return Status::Ok();
}

Status RecommenderApi::GetHistory(std::string_view id, HttpResponse* response) const {
  ASSIGN_OR_RETURN(uint64_t user, ParseId(id, "user id"));
  thread_local std::vector<HistoryEntry> history;
  RETURN_IF_ERROR(store_->History(user, store_->options().max_history, &history));
  rapidjson::StringBuffer& buffer = Buffer();
  JsonWriter w(buffer);
  w.SetMaxDecimalPlaces(6);
  w.StartObject();
  Key(w, "user_id"), w.Uint64(user);
  Key(w, "history"), w.StartArray();
  for (auto it = history.rbegin(); it != history.rend(); ++it) {  // newest first
    w.StartObject();
    Key(w, "item_id"), w.Uint64(it->item_id);
    Key(w, "category_id"), w.Uint64(it->category_id);
    const std::string_view behavior = data::BehaviorTypeName(it->behavior);
    Key(w, "behavior"), w.String(behavior.data(), static_cast<rapidjson::SizeType>(behavior.size()));
    Key(w, "timestamp"), w.Int64(it->timestamp);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  Finish(buffer, response);
  return Status::Ok();
}

Status RecommenderApi::PutItems(std::string_view body, HttpResponse* response) const {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());  // no stack use per nesting level
  if (doc.HasParseError()) {
    return InvalidArgumentError(fmt::format("malformed JSON at offset {}: {}", doc.GetErrorOffset(),
                                            rapidjson::GetParseError_En(doc.GetParseError())));
  }
  const rapidjson::Value* list = &doc;
  if (doc.IsObject() && doc.HasMember("items")) list = &doc["items"];
  std::vector<ItemInfo> items;
  if (list->IsArray()) {
    if (list->Size() > kMaxItemsPerPut) {
      return InvalidArgumentError(fmt::format("at most {} items per request", kMaxItemsPerPut));
    }
    items.resize(list->Size());
    std::unordered_map<uint64_t, ItemInfo> earlier;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      RETURN_IF_ERROR(ReadItem((*list)[i], i, *store_, earlier, &items[i]));
      earlier[items[i].item_id] = items[i];
    }
  } else if (list->IsObject()) {
    items.resize(1);
    RETURN_IF_ERROR(ReadItem(*list, 0, *store_, {}, &items[0]));
  } else {
    return InvalidArgumentError("the body must be an item object, an array of them, or {\"items\": [...]}");
  }
  RETURN_IF_ERROR(store_->PutItems(items));
  response->body = fmt::format(R"({{"updated":{}}})", items.size());
  return Status::Ok();
}

Status RecommenderApi::GetItem(std::string_view id, HttpResponse* response) const {
  ASSIGN_OR_RETURN(uint64_t item, ParseId(id, "item id"));
  std::optional<ItemInfo> info = store_->GetItem(item);
  if (!info) return NotFoundError(fmt::format("item {} is not in the catalog", item));
  response->body = fmt::format(R"({{"item_id":{},"category_id":{},"available":{}}})", info->item_id,
                               info->category_id, info->available ? "true" : "false");
  return Status::Ok();
}

Status RecommenderApi::GetUsers(HttpResponse* response) const {
  rapidjson::StringBuffer& buffer = Buffer();
  JsonWriter w(buffer);
  w.SetMaxDecimalPlaces(6);
  w.StartObject();
  Key(w, "users"), w.StartArray();
  {
    std::lock_guard lock(users_mu_);
    for (uint64_t u : recent_users_) w.Uint64(u);
  }
  w.EndArray();
  // Shoppers the store knows with some history, for pickers: a fresh process has no recent users yet.
  std::vector<uint64_t> sample;
  store_->SampleUsers(kSampleUsers, 3, &sample);
  Key(w, "sample_users"), w.StartArray();
  for (uint64_t u : sample) w.Uint64(u);
  w.EndArray();
  const StoreStats stats = store_->stats();
  Key(w, "num_users"), w.Int64(stats.num_users);
  Key(w, "num_items"), w.Int64(stats.num_items);
  w.EndObject();
  Finish(buffer, response);
  return Status::Ok();
}

Status RecommenderApi::GetStats(HttpResponse* response) const {
  const LatencyStats s = metrics_->RecentRecommendStats();
  const ranking::Ranker* ranker = recommender_->ranker();
  const StoreStats store = store_->stats();
  rapidjson::StringBuffer& buffer = Buffer();
  JsonWriter w(buffer);
  w.SetMaxDecimalPlaces(6);
  w.StartObject();
  Key(w, "model_version"), w.Int64(ranker ? ranker->ModelVersion() : 0);
  const std::string mode = ranker ? ranker->Describe() : "retrieval order (no model)";
  Key(w, "ranking"), w.String(mode.c_str());
  Key(w, "window_seconds"), w.Double(s.window_seconds);
  Key(w, "requests_per_second"), w.Double(s.requests_per_second);
  Key(w, "latency_ms"), w.StartObject();
  Key(w, "p50"), w.Double(s.p50_ms);
  Key(w, "p90"), w.Double(s.p90_ms);
  Key(w, "p99"), w.Double(s.p99_ms);
  Key(w, "p999"), w.Double(s.p999_ms);
  Key(w, "max"), w.Double(s.max_ms);
  w.EndObject();
  Key(w, "recommend_total"), w.Int64(metrics_->recommend_total());
  Key(w, "events_total"), w.Int64(metrics_->events_total());
  Key(w, "store_events"), w.Int64(store.events_total);
  Key(w, "users"), w.Int64(store.num_users);
  Key(w, "items"), w.Int64(store.num_items);
  w.EndObject();
  Finish(buffer, response);
  return Status::Ok();
}

Status RecommenderApi::GetReady(HttpResponse* response) const {
  const ranking::Ranker* ranker = recommender_->ranker();
  if (ranker != nullptr) {
    Status ready = ranker->Ready();
    if (!ready.ok()) return UnavailableError(fmt::format("ranker ({}) not ready: {}", ranker->Describe(), ready.message()));
  }
  response->body = fmt::format(R"({{"ready":true,"ranking":"{}","model_version":{}}})",
                               ranker ? ranker->Describe() : "none", ranker ? ranker->ModelVersion() : 0);
  return Status::Ok();
}

void RecommenderApi::NoteUser(uint64_t user_id) const {
  std::lock_guard lock(users_mu_);
  if (!recent_users_.empty() && recent_users_.front() == user_id) return;
  std::erase(recent_users_, user_id);
  recent_users_.push_front(user_id);
  if (recent_users_.size() > kMaxRecentUsers) recent_users_.pop_back();
}

}  // namespace reco::online::service
