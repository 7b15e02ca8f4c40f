// RecommenderApi: the HTTP routes of reco-recommender (docs/online.md), transport-free so tests call it directly.
//
//   POST /v1/events                 one event, an array, or {"events": [...]}; 200 {"accepted": n} once durable
//   GET  /v1/recommend?user_id=U&k=10[&exclude=1,2][&category=C]
//   GET  /v1/users/{id}/history     the user's recent behaviour, newest first
//   GET  /v1/users                  shoppers recently seen by this process (for the storefront's picker)
//   PUT  /v1/items                  catalog: [{"item_id", "category_id", "available"}], or {"items": [...]}
//   GET  /v1/items/{id}
//   GET  /v1/stats                  model version, requests/s, latency percentiles (the storefront panel)
//   GET  /healthz, /readyz, /metrics (Prometheus)
//   GET  /, /app.js, /style.css ... the storefront page (web/)
// Errors are {"error": "..."} with 400 (bad input), 404 (unknown route), 405 (wrong method), 503 (not ready),
// 500 only for store failures. Nothing throws out of Handle.
// Thread-safety: Handle is const and may run concurrently on many threads.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "online/service/http_server.h"
#include "online/service/recommender.h"
#include "online/service/service_metrics.h"
#include "online/service/static_files.h"
#include "online/store/store.h"

namespace reco::online::service {

class RecommenderApi final : public HttpHandler {
 public:
  // Not owned; must outlive the handler. `web` may be null (no page).
  RecommenderApi(Store* store, const Recommender* recommender, ServiceMetrics* metrics, const StaticFiles* web);

  void Handle(std::string_view method, std::string_view target, std::string_view body,
              HttpResponse* response) const override;

 private:
  Status Route(std::string_view method, std::string_view path, std::string_view query, std::string_view body,
               HttpResponse* response, std::string_view* endpoint) const;
  Status PostEvents(std::string_view body, HttpResponse* response) const;
  Status GetRecommend(std::string_view query, HttpResponse* response) const;
  Status GetHistory(std::string_view id, HttpResponse* response) const;
  Status PutItems(std::string_view body, HttpResponse* response) const;
  Status GetItem(std::string_view id, HttpResponse* response) const;
  Status GetUsers(HttpResponse* response) const;
  Status GetStats(HttpResponse* response) const;
  Status GetReady(HttpResponse* response) const;
  void NoteUser(uint64_t user_id) const;

  Store* const store_;
  const Recommender* const recommender_;
  ServiceMetrics* const metrics_;
  const StaticFiles* const web_;
  mutable std::mutex users_mu_;
  mutable std::deque<uint64_t> recent_users_;  // GUARDED_BY(users_mu_), most recent first, distinct
};

}  // namespace reco::online::service
