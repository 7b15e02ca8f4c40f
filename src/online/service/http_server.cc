#include "online/service/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
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

namespace reco::online::service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Connection final : public serving::http::BeastConnection<Connection> {
 public:
  Connection(tcp::socket socket, const HttpServerOptions& options, const HttpHandler* handler)
      : BeastConnection(std::move(socket), options.max_request_bytes, options.request_timeout_ms),
        handler_(handler) {}

 private:
  friend class serving::http::BeastConnection<Connection>;

  void OnRead(beast::error_code ec, std::size_t) {
    if (serving::http::IsQuietClose(ec)) return Close();
    if (ec == http::error::body_limit) {
      return SendError(413, fmt::format("the body exceeds {} bytes", max_request_bytes()));
    }
    if (ec) return SendError(400, fmt::format("malformed HTTP request: {}", ec.message()));
    http::request<http::string_body>& req = request();
    const beast::string_view method = req.method_string();
    const beast::string_view target = req.target();
    response_.status = 200;
    response_.content_type = "application/json";
    response_.cache_control = {};
    response_.server_timing.clear();
    response_.body.clear();
    handler_->Handle(std::string_view(method.data(), method.size()), std::string_view(target.data(), target.size()),
                     req.body(), &response_);
    Send(req.keep_alive(), req.version(), /*head=*/req.method() == http::verb::head);
  }

  void SendError(int status, const std::string& message) {
    response_.status = status;
    response_.content_type = "application/json";
    response_.cache_control = {};
    response_.server_timing.clear();
    response_.body = serving::ErrorJson(message);
    Send(/*keep_alive=*/false, 11);
  }

  // `head`: the answer to a HEAD request: GET's headers (its Content-Length included) and no body, else the
  // body would be read as the next response on a keep-alive connection.
  void Send(bool keep_alive, unsigned version, bool head = false) {
    out_.clear();
    out_.result(static_cast<unsigned>(response_.status));
    out_.version(version);
    out_.set(http::field::server, "reco-recommender");
    out_.set(http::field::content_type, response_.content_type);
    if (!response_.cache_control.empty()) {
      out_.set(http::field::cache_control,
               beast::string_view(response_.cache_control.data(), response_.cache_control.size()));
    }
    if (!response_.server_timing.empty()) {
      out_.set("Server-Timing",
               beast::string_view(response_.server_timing.data(), response_.server_timing.size()));
    }
    out_.keep_alive(keep_alive);
    out_.body().swap(response_.body);  // keeps both buffers' capacity alive across requests
    out_.prepare_payload();
    if (head) out_.body().clear();  // after prepare_payload: Content-Length stays the GET body's
    Write(out_, keep_alive);
  }

  const HttpHandler* handler_;
  HttpResponse response_;
  http::response<http::string_body> out_;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  const HttpHandler* handler = nullptr;
  asio::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  int port = 0;
  std::atomic<bool> stopped{false};

  void Accept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
        RECO_LOG_WARN("accept failed: {}", ec.message());
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Connection>(std::move(socket), options, handler)->Start();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, const HttpHandler* handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = handler;
}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }
int HttpServer::num_threads() const { return static_cast<int>(impl_->threads.size()); }

Status HttpServer::Start() {
  Impl& s = *impl_;
  s.acceptor.emplace(s.ioc);
  RETURN_IF_ERROR(serving::http::Listen(*s.acceptor, s.options.bind_address, s.options.port));
  s.port = s.acceptor->local_endpoint().port();
  s.Accept();
  const int threads = s.options.num_threads > 0
                          ? s.options.num_threads
                          : 2 * std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
  RECO_LOG_INFO("HTTP listening on {}:{} ({} threads)", s.options.bind_address, s.port, threads);
  return Status::Ok();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (s.stopped.exchange(true)) return;
  if (s.acceptor) {
    asio::post(s.ioc, [&s] {
      beast::error_code ec;
      s.acceptor->close(ec);
    });
  }
  s.ioc.stop();
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
}

}  // namespace reco::online::service
