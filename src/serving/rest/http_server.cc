#include "serving/rest/http_server.h"

#include <zlib.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/logging.h"
#include "serving/http/beast_common.h"
#include "serving/http_status.h"

namespace reco::serving::rest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Inflates a gzip (or zlib) body into `out`, failing with 413 past `limit` bytes.
Status Gunzip(const std::string& in, int64_t limit, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return InternalError("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  out->clear();
  char chunk[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return InvalidArgumentError(fmt::format("request body is not valid gzip ({})", zs.msg ? zs.msg : "truncated"));
    }
    out->append(chunk, sizeof(chunk) - zs.avail_out);
    if (static_cast<int64_t>(out->size()) > limit) {
      inflateEnd(&zs);
      return PayloadTooLargeError(fmt::format("the gzip body inflates to more than {} bytes", limit));
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return InvalidArgumentError("request body is truncated gzip");
    }
  }
  inflateEnd(&zs);
  return Status::Ok();
}

class Connection final : public serving::http::BeastConnection<Connection> {
 public:
  Connection(tcp::socket socket, const HttpServerOptions& options, const RestHandler* handler)
      : BeastConnection(std::move(socket), options.max_request_bytes, options.request_timeout_ms),
        handler_(handler) {}

 private:
  friend class serving::http::BeastConnection<Connection>;

  void OnRead(beast::error_code ec, std::size_t) {
    if (serving::http::IsQuietClose(ec)) return Close();
    if (ec == http::error::body_limit) {
      return SendError(PayloadTooLargeError(fmt::format("the body exceeds --max_request_bytes={}",
                                                        max_request_bytes())), /*keep_alive=*/false);
    }
    if (ec) return SendError(InvalidArgumentError(fmt::format("malformed HTTP request: {}", ec.message())), false);

    http::request<http::string_body>& req = request();
    const bool keep_alive = req.keep_alive();
    std::string* body = &req.body();
    auto encoding = req.find(http::field::content_encoding);
    if (encoding != req.end()) {
      const beast::string_view value = encoding->value();
      if (beast::iequals(value, "gzip") || beast::iequals(value, "x-gzip")) {
        Status status = Gunzip(req.body(), max_request_bytes(), &inflated_);
        if (!status.ok()) return SendError(status, keep_alive);
        body = &inflated_;
      } else if (!beast::iequals(value, "identity")) {
        return SendError(InvalidArgumentError(fmt::format("unsupported Content-Encoding '{}' (use gzip or identity)",
                                                          std::string_view(value.data(), value.size()))),
                         keep_alive);
      }
    }
    RestResponse response;
    const beast::string_view method = req.method_string();
    const beast::string_view target = req.target();
    handler_->Handle(std::string_view(method.data(), method.size()), std::string_view(target.data(), target.size()),
                     *body, &context_, &response);
    Send(response.status, response.content_type, response.body, keep_alive, req.version());
  }

  void SendError(const Status& status, bool keep_alive) {
    error_body_ = ErrorJson(status.message());
    Send(HttpStatusCode(status), "application/json", error_body_, keep_alive, 11);
  }

  void Send(int status, std::string_view content_type, std::string_view body, bool keep_alive, unsigned version) {
    response_.clear();
    response_.result(static_cast<unsigned>(status));
    response_.version(version);
    response_.set(http::field::server, "reco-model-server");
    response_.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    response_.keep_alive(keep_alive);
    response_.body().assign(body.data(), body.size());
    response_.prepare_payload();
    Write(response_, keep_alive);
  }

  const RestHandler* handler_;
  http::response<http::string_body> response_;
  std::string inflated_;
  std::string error_body_;
  RestContext context_;
};

}  // namespace

// One io_context per thread, each connection pinned to one of them (round robin at accept): a request's read,
// handler and write all run on the thread that owns the connection. With one shared io_context run by N threads
// every completion could wake another thread (futex + context switch per step); measured on the seed model at one
// connection, p50 through HTTP went from 81-90 us (2 threads, shared) to 52-83 us (1 thread) on a loaded box.
struct HttpServer::Impl {
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  HttpServerOptions options;
  const RestHandler* handler;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<WorkGuard> guards;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  size_t next_context = 0;  // only touched by the acceptor's handler (contexts[0]'s thread)
  int port = 0;
  std::atomic<bool> stopped{false};

  void Accept() {
    asio::io_context& target = *contexts[next_context];
    next_context = (next_context + 1) % contexts.size();
    acceptor->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
        RECO_LOG_WARN("REST accept failed: {}", ec.message());
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Connection>(std::move(socket), options, handler)->Start();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, const RestHandler* handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = handler;
}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

Status HttpServer::Start() {
  Impl& s = *impl_;
  const int threads = s.options.num_threads > 0 ? s.options.num_threads
                                                : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    s.contexts.push_back(std::make_unique<asio::io_context>());
    s.guards.push_back(asio::make_work_guard(*s.contexts.back()));
  }
  s.acceptor.emplace(*s.contexts[0]);
  RETURN_IF_ERROR(serving::http::Listen(*s.acceptor, s.options.bind_address, s.options.port));
  s.port = s.acceptor->local_endpoint().port();
  s.Accept();
  for (int i = 0; i < threads; ++i) s.threads.emplace_back([ctx = s.contexts[i].get()] { ctx->run(); });
  RECO_LOG_INFO("REST API listening on {}:{} ({} threads)", s.options.bind_address, s.port, threads);
  return Status::Ok();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (s.stopped.exchange(true)) return;
  if (s.acceptor && !s.contexts.empty()) {
    asio::post(*s.contexts[0], [&s] {
      beast::error_code ec;
      s.acceptor->close(ec);
    });
  }
  s.guards.clear();
  for (auto& ctx : s.contexts) ctx->stop();
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
}

}  // namespace reco::serving::rest
