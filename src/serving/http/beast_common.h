// What both Boost.Beast HTTP servers share — the model server's REST transport (serving/rest/http_server.cc) and
// the recommender's (online/service/http_server.cc): listening with the error messages users see, which read
// errors mean the client simply went away, and closing a connection. BeastConnection is the recommender's
// connection loop (a shared io_context whose handlers may block on fsync, per-operation timers). The model server
// runs its own leaner loop (one io_context per thread, no composed operations, deadlines swept by
// deadline_sweeper.h) because its per-request cost is a few system calls on top of a microsecond model.
// Thread-safety: free functions; each touches only the objects passed in.
#pragma once

#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"

namespace reco::serving::http {

// Opens `acceptor` on bind_address:port (SO_REUSEADDR) and listens. InvalidArgument when bind_address is not an IP
// address or port is outside [0, 65535] (0 picks a free port); Unavailable when the address cannot be bound.
Status Listen(boost::asio::ip::tcp::acceptor& acceptor, const std::string& bind_address, int port);

// True for read results that end a connection without an answer: the client closed it or reset it, the read
// timed out (idle keep-alive), or the server is shutting down.
bool IsQuietClose(const boost::beast::error_code& ec);

// Shuts down the sending side, then closes the socket; errors are ignored (the peer may already be gone).
void CloseSocket(boost::asio::ip::tcp::socket& socket);

// A connection loop: read one request (body and header limits, a timeout covering the read and
// an idle keep-alive), let Derived::OnRead(ec, bytes) answer it through Write(), then read the next one or close.
// CRTP so the handlers bind without virtual calls; Derived is owned by the shared_ptrs the handlers hold.
template <typename Derived>
class BeastConnection : public std::enable_shared_from_this<Derived> {
 public:
  BeastConnection(boost::asio::ip::tcp::socket socket, int64_t max_request_bytes, int64_t timeout_ms)
      : stream_(std::move(socket)), max_request_bytes_(max_request_bytes), timeout_(timeout_ms) {}

  void Start() {
    boost::asio::dispatch(stream_.get_executor(),
                          boost::beast::bind_front_handler(&BeastConnection::Read, this->shared_from_this()));
  }

 protected:
  void Read() {
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(max_request_bytes_));
    parser_->header_limit(64 * 1024);
    stream_.expires_after(timeout_);
    boost::beast::http::async_read_header(
        stream_, buffer_, *parser_, boost::beast::bind_front_handler(&BeastConnection::OnHeader, this->shared_from_this()));
  }

  // curl and libcurl send `Expect: 100-continue` with bodies over 1 MB and wait up to a second for the interim
  // answer before sending the body (batched event ingestion is exactly that case).
  void OnHeader(boost::beast::error_code ec, std::size_t) {
    if (ec) return static_cast<Derived*>(this)->OnRead(ec, 0);
    const auto& req = parser_->get();
    const auto expect = req.find(boost::beast::http::field::expect);
    if (!parser_->is_done() && expect != req.end() && req.version() >= 11 &&
        boost::beast::iequals(expect->value(), "100-continue")) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      boost::asio::async_write(stream_, boost::asio::buffer(kContinue, sizeof(kContinue) - 1),
                               [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                                 if (ec) return self->Close();
                                 self->ReadBody();
                               });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    boost::beast::http::async_read(stream_, buffer_, *parser_,
                                   boost::beast::bind_front_handler(&Derived::OnRead, this->shared_from_this()));
  }

  // Sends `response` (which must live in Derived until the write completes), then reads the next request or closes.
  void Write(boost::beast::http::response<boost::beast::http::string_body>& response, bool keep_alive) {
    stream_.expires_after(timeout_);
    boost::beast::http::async_write(
        stream_, response,
        boost::beast::bind_front_handler(&BeastConnection::OnWrite, this->shared_from_this(), keep_alive));
  }

  void Close() { CloseSocket(stream_.socket()); }

  boost::beast::http::request<boost::beast::http::string_body>& request() { return parser_->get(); }
  int64_t max_request_bytes() const { return max_request_bytes_; }

 private:
  void OnWrite(bool keep_alive, boost::beast::error_code ec, std::size_t) {
    if (ec || !keep_alive) return Close();
    Read();
  }

  boost::beast::tcp_stream stream_;
  const int64_t max_request_bytes_;
  const std::chrono::milliseconds timeout_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace reco::serving::http
