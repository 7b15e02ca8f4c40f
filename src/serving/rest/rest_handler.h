// RestHandler: routes one HTTP request (method, target, body) to the shared PredictionService and writes the
// JSON response. Transport-free, so the whole REST API is tested without sockets; http_server.h feeds it.
//
// Routes (TF Serving's REST API and KServe v2):
//   GET  /v1/models/{m}[/versions/{v}|/labels/{l}]             model status
//   GET  /v1/models/{m}[/versions/{v}|/labels/{l}]/metadata    model metadata
//   POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict     predict (row or columnar); :classify/:regress 501
//   GET  /v2, /v2/health/live, /v2/health/ready
//   GET  /v2/models/{m}[/versions/{v}][/ready]                 KServe metadata / readiness
//   POST /v2/models/{m}[/versions/{v}]/infer                   KServe inference
//   GET  <metrics path>                                        Prometheus text, if a metrics source is set
// Errors are {"error": "..."} with the status code from http_status.h.
// Thread-safety: Handle is const and reentrant; each concurrent caller passes its own RestContext.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "serving/prediction_service.h"

namespace reco::serving::rest {

// Per-connection scratch space, reused across requests so a warm connection parses and answers without
// growing the heap: the JSON DOM's pool, the decoded request/response tensors and the response buffer.
class RestContext {
 public:
  RestContext();
  ~RestContext();
  RestContext(const RestContext&) = delete;
  RestContext& operator=(const RestContext&) = delete;

 private:
  friend class RestHandler;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct RestResponse {
  int status = 200;
  std::string_view content_type = "application/json";
  std::string_view body;  // valid until the next Handle call with the same context
};

class RestHandler {
 public:
  struct Options {
    std::string metrics_path = "/monitoring/prometheus/metrics";
    // Returns the Prometheus text; unset -> the metrics path answers 404.
    std::function<std::string()> metrics_text;
    // Called after every predict/infer/metadata/status request that named a model (for request metrics).
    // `api` is "predict", "kserve_infer", "metadata", "kserve_metadata" or "status"; version 0 if none resolved.
    std::function<void(std::string_view model, int64_t version, std::string_view api, StatusCode code,
                       double seconds)>
        on_request;
  };

  // `service` is not owned and must outlive the handler.
  RestHandler(const PredictionService* service, Options options);

  // `body` may be modified (parsed in place). Never throws; every failure becomes an error response.
  void Handle(std::string_view method, std::string_view target, std::string& body, RestContext* context,
              RestResponse* response) const;

 private:
  Status Route(std::string_view method, std::string_view path, std::string& body, RestContext::Impl* ctx,
               RestResponse* response) const;
  Status HandleV1(std::string_view method, std::string_view rest, std::string& body, RestContext::Impl* ctx) const;
  Status HandleV2(std::string_view method, std::string_view rest, std::string& body, RestContext::Impl* ctx,
                  RestResponse* response) const;

  const PredictionService* const service_;
  const Options options_;
};

}  // namespace reco::serving::rest
