// HttpServer: the REST transport. Beast's HTTP parser over Asio, asynchronous: a connection that is slow to send
// its request holds no thread, only a deadline (--rest_api_timeout_in_ms bounds reading one request, writing its
// response, and an idle keep-alive connection; enforced by a per-thread sweep). Each worker thread runs its own
// io_context and executes its connections' requests through RestHandler.
//
// Per request: body limit (--max_request_bytes, Content-Length checked before reading; 413), gzip request
// bodies (Content-Encoding: gzip, inflated under the same limit), keep-alive, errors as JSON.
// Thread-safety: Start/Stop from one controlling thread; the handler is called from worker threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "serving/rest/rest_handler.h"

namespace reco::serving::rest {

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8501;                   // 0 picks a free port (see HttpServer::port())
  int num_threads = 0;               // 0: hardware concurrency
  int64_t request_timeout_ms = 30000;  // reading one request / keep-alive idle time
  int64_t max_request_bytes = 64ll << 20;
};

class HttpServer {
 public:
  // `handler` is not owned and must outlive the server.
  HttpServer(HttpServerOptions options, const RestHandler* handler);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the worker threads. Unavailable if the address/port cannot be bound.
  Status Start();
  // The bound port (after Start).
  int port() const;
  // Stops accepting, closes connections, joins the workers. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::serving::rest
