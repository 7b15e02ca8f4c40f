// What both Boost.Beast HTTP servers share — the model server's REST transport (serving/rest/http_server.cc) and
// the recommender's (online/service/http_server.cc): listening with the error messages users see, which read
// errors mean the client simply went away, and closing a connection. The servers differ in threading (one
// io_context per thread vs a shared pool whose handlers may block on fsync), gzip support and handler interface,
// so each keeps its own connection class.
// Thread-safety: free functions; each touches only the objects passed in.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>

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

}  // namespace reco::serving::http
