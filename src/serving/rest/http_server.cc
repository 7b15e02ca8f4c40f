#include "serving/rest/http_server.h"

#include <zlib.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/logging.h"
#include "serving/http/beast_common.h"
#include "serving/http/deadline_sweeper.h"
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

// A whole HTTP response: status line and headers composed by hand into one buffer with the body, so a response
// is one send() (Beast's serializer hands the kernel eight pieces; same call count, but more work per request).
void ComposeResponse(int status, std::string_view content_type, std::string_view body, bool keep_alive,
                     unsigned version, bool head, std::string* out) {
  const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  out->clear();
  fmt::format_to(std::back_inserter(*out), "HTTP/{}.{} {} {}\r\nServer: reco-model-server\r\nContent-Type: {}\r\n"
                 "Content-Length: {}\r\n", version / 10, version % 10, status,
                 std::string_view(reason.data(), reason.size()), content_type, body.size());
  if (!keep_alive && version >= 11) out->append("Connection: close\r\n");
  if (keep_alive && version < 11) out->append("Connection: keep-alive\r\n");
  out->append("\r\n");
  if (!head) out->append(body);
}

// One client connection, without Beast's composed async_read/async_write: bytes come from plain async_read_some
// and are fed to Beast's request parser, and the response goes out with a synchronous write_some on the
// non-blocking socket (waiting for writability only when the kernel's buffer is full). A warm keep-alive request
// then costs three system calls (epoll_wait, recvmsg, sendmsg) instead of seven or eight (the composed
// operations' extra speculative reads, completions queued through the loop, two timerfd re-arms): ~5 µs each on
// this VM, most of the server overhead the benchmark measures.
// Timeouts come from the worker's DeadlineSweeper (one timer per thread; see deadline_sweeper.h).
class Connection final : public std::enable_shared_from_this<Connection>, public serving::http::DeadlineSweeper::Entry {
 public:
  Connection(tcp::socket socket, const HttpServerOptions& options, const RestHandler* handler)
      : socket_(std::move(socket)), options_(options), handler_(handler) {}

  void Start(serving::http::DeadlineSweeper& sweeper) {
    beast::error_code ec;
    socket_.non_blocking(true, ec);
    if (ec) return Close();
    sweeper.Track(*this);
    BeginRequest();
    Process();
  }

  void Expire() override { Close(); }

 private:
  static constexpr size_t kReadChunk = 64 * 1024;

  // curl and libcurl send `Expect: 100-continue` with bodies over 1 MB and wait up to a second for the interim
  // answer before sending the body. A best-effort non-blocking write: if the socket buffer is full the client
  // just sends the body after its timeout.
  void SendContinueIfExpected() {
    continue_sent_ = true;
    const http::request<http::string_body>& req = parser_->get();
    auto expect = req.find(http::field::expect);
    if (expect == req.end() || req.version() < 11 || !beast::iequals(expect->value(), "100-continue")) return;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ec;
    socket_.write_some(asio::buffer(kContinue.data(), kContinue.size()), ec);
  }

  void BeginRequest() {
    continue_sent_ = false;
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(options_.max_request_bytes));
    parser_->header_limit(64 * 1024);
    parser_->eager(true);
    deadline_ms = serving::http::DeadlineSweeper::NowMs() + options_.request_timeout_ms;
  }

  // Parses what is buffered and reads more until a request is complete; answers it and goes on with the next
  // (pipelined) one; returns after arranging to be called again when the socket is readable or writable.
  void Process() {
    for (;;) {
      if (buffer_.size() > 0) {
        beast::error_code ec;
        const size_t used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec && ec != http::error::need_more) return FailRequest(ec);
        if (!parser_->is_done() && parser_->is_header_done() && !continue_sent_) SendContinueIfExpected();
        if (parser_->is_done()) {
          if (!Answer()) return;  // closed, or the response waits for the socket to drain
          continue;
        }
        if (!ec && used > 0 && buffer_.size() > 0) continue;
      }
      return ReadMore();
    }
  }

  // asio reads in the event loop when the socket turns readable, and after a short read (the socket was emptied)
  // the next async_read_some just queues: no speculative recvmsg that would only return EAGAIN, and no epoll_ctl
  // (which socket.async_wait costs on every call).
  void ReadMore() {
    socket_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](const beast::error_code& ec, size_t n) {
                              // EOF, reset: the client went away (a partial request has nobody to answer to).
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->Process();
                            });
  }

  void FailRequest(const beast::error_code& ec) {
    Status status = ec == http::error::body_limit
                        ? PayloadTooLargeError(fmt::format("the body exceeds --max_request_bytes={}",
                                                           options_.max_request_bytes))
                        : InvalidArgumentError(fmt::format("malformed HTTP request: {}", ec.message()));
    error_body_ = ErrorJson(status.message());
    ComposeResponse(HttpStatusCode(status), "application/json", error_body_, /*keep_alive=*/false, 11, false, &out_);
    keep_alive_ = false;
    if (Flush()) Process();
  }

  // Runs the handler on the complete request and starts sending the response. True when the response went out
  // and the connection is ready for the next request.
  bool Answer() {
    http::request<http::string_body>& req = parser_->get();
    keep_alive_ = req.keep_alive();
    std::string* body = &req.body();
    RestResponse response;
    auto encoding = req.find(http::field::content_encoding);
    Status decode = Status::Ok();
    if (encoding != req.end()) {
      const beast::string_view value = encoding->value();
      if (beast::iequals(value, "gzip") || beast::iequals(value, "x-gzip")) {
        decode = Gunzip(req.body(), options_.max_request_bytes, &inflated_);
        body = &inflated_;
      } else if (!beast::iequals(value, "identity")) {
        decode = InvalidArgumentError(fmt::format("unsupported Content-Encoding '{}' (use gzip or identity)",
                                                  std::string_view(value.data(), value.size())));
      }
    }
    if (decode.ok()) {
      const beast::string_view method = req.method_string();
      const beast::string_view target = req.target();
      handler_->Handle(std::string_view(method.data(), method.size()),
                       std::string_view(target.data(), target.size()), *body, &context_, &response);
    } else {
      error_body_ = ErrorJson(decode.message());
      response.status = HttpStatusCode(decode);
      response.body = error_body_;
    }
    ComposeResponse(response.status, response.content_type, response.body, keep_alive_, req.version(),
                    req.method() == http::verb::head, &out_);
    return Flush();
  }

  // Writes out_ from sent_ on. True when all of it went out and the connection continues; otherwise it is closed
  // or a wait for writability is pending (which resumes Process).
  bool Flush() {
    while (sent_ < out_.size()) {
      beast::error_code ec;
      const size_t n = socket_.write_some(asio::buffer(out_.data() + sent_, out_.size() - sent_), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        deadline_ms = serving::http::DeadlineSweeper::NowMs() + options_.request_timeout_ms;
        socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](const beast::error_code& ec) {
          if (ec) return self->Close();
          if (self->Flush()) self->Process();
        });
        return false;
      }
      if (ec) {
        Close();
        return false;
      }
      sent_ += n;
    }
    sent_ = 0;
    if (!keep_alive_) {
      Close();
      return false;
    }
    BeginRequest();
    return true;
  }

  void Close() {
    deadline_ms = std::numeric_limits<int64_t>::max();
    serving::http::CloseSocket(socket_);
  }

  tcp::socket socket_;
  const HttpServerOptions& options_;
  const RestHandler* handler_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool continue_sent_ = false;  // this request's Expect header was looked at
  std::string out_;  // the response being sent
  size_t sent_ = 0;
  std::string inflated_;
  std::string error_body_;
  RestContext context_;
};

}  // namespace

// One io_context per thread, each connection pinned to one of them (round robin at accept): a request's read,
// handler and write all run on the thread that owns the connection. With one shared io_context run by N threads
// every completion could wake another thread (futex + context switch per step); measured on the seed model at one
// connection, p50 through HTTP went from 81-90 us (2 threads, shared) to 52-83 us (1 thread) on a loaded box.
// Each worker's io_context is told it runs on one thread (concurrency hint 1: no locking in its scheduler).
struct HttpServer::Impl {
  struct Worker {
    explicit Worker(std::chrono::milliseconds sweep_period) : sweeper(ioc, sweep_period) {}
    asio::io_context ioc{1};
    serving::http::DeadlineSweeper sweeper;  // after ioc: destroyed first, its timer still has its loop
    asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
  };
  HttpServerOptions options;
  const RestHandler* handler;
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  size_t next_worker = 0;  // only touched by the acceptor's handler (workers[0]'s thread)
  int port = 0;
  std::atomic<bool> stopped{false};

  void Accept() {
    Worker& target = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    acceptor->async_accept(target.ioc, [this, &target](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
        RECO_LOG_WARN("REST accept failed: {}", ec.message());
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        // Start on the connection's own thread: its sweeper and socket are only ever touched there.
        asio::post(target.ioc, [this, &target, socket = std::move(socket)]() mutable {
          std::make_shared<Connection>(std::move(socket), options, handler)->Start(target.sweeper);
        });
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
  // Timeouts are enforced to within a quarter of their length (at least 10 ms, at most 1 s late).
  const auto sweep = std::chrono::milliseconds(std::clamp<int64_t>(s.options.request_timeout_ms / 4, 10, 1000));
  for (int i = 0; i < threads; ++i) s.workers.push_back(std::make_unique<Impl::Worker>(sweep));
  s.acceptor.emplace(s.workers[0]->ioc);
  RETURN_IF_ERROR(serving::http::Listen(*s.acceptor, s.options.bind_address, s.options.port));
  s.port = s.acceptor->local_endpoint().port();
  s.Accept();
  for (auto& w : s.workers) {
    w->sweeper.Start();
    s.threads.emplace_back([ioc = &w->ioc] { ioc->run(); });
  }
  RECO_LOG_INFO("REST API listening on {}:{} ({} threads)", s.options.bind_address, s.port, threads);
  return Status::Ok();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (s.stopped.exchange(true)) return;
  if (s.acceptor && !s.workers.empty()) {
    asio::post(s.workers[0]->ioc, [&s] {
      beast::error_code ec;
      s.acceptor->close(ec);
    });
  }
  for (auto& w : s.workers) {
    w->guard.reset();
    w->ioc.stop();
  }
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
}

}  // namespace reco::serving::rest
