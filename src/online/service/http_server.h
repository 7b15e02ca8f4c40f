// HttpServer: the recommender's HTTP transport — Boost.Beast over Asio, asynchronous reads and writes, handlers
// run on a fixed pool of worker threads.
//
// A sibling of serving/rest/http_server.h (same connection handling: read timeout, keep-alive, body limit -> 413,
// errors as JSON; listening and closing come from serving/http/beast_common.h) whose handler is an interface
// rather than the model server's RestHandler, so the recommender's routes (events, recommend, the storefront page)
// plug in without touching the model server. A handler may block
// (POST /v1/events waits for its group commit), which is why the pool is larger than the core count by default.
// Thread-safety: Start/Stop from one controlling thread; the handler is called from worker threads concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::online::service {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;  // reused across requests of one connection
  std::string_view cache_control;  // "" = none
  std::string server_timing;  // "" = none; else the Server-Timing header (reused across requests)
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Must not throw; every failure becomes an error response. `response` is the connection's reused object.
  virtual void Handle(std::string_view method, std::string_view target, std::string_view body,
                      HttpResponse* response) const = 0;
};

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;  // 0 picks a free port (see port())
  int num_threads = 0;  // 0: 2 x hardware concurrency (handlers may wait on fsync)
  int64_t request_timeout_ms = 30000;
  int64_t max_request_bytes = 16ll << 20;
};

class HttpServer {
 public:
  // `handler` is not owned and must outlive the server.
  HttpServer(HttpServerOptions options, const HttpHandler* handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Status Start();  // Unavailable if the address cannot be bound
  int port() const;
  int num_threads() const;
  void Stop();     // idempotent

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::online::service
