// Shared Beast server pieces (see beast_common.h).
#include "serving/http/beast_common.h"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <fmt/format.h>

namespace reco::serving::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

Status Listen(tcp::acceptor& acceptor, const std::string& bind_address, int port) {
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(bind_address, ec);
  if (ec) return InvalidArgumentError(fmt::format("--bind '{}' is not an IP address", bind_address));
  if (port < 0 || port > 65535) return InvalidArgumentError(fmt::format("--port {} is not in [0, 65535]", port));
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError(fmt::format("cannot listen on {}:{}: {}", bind_address, port, ec.message()));
  return Status::Ok();
}

bool IsQuietClose(const beast::error_code& ec) {
  return ec == beast::http::error::end_of_stream || ec == asio::error::operation_aborted ||
         ec == beast::error::timeout || ec == asio::error::connection_reset || ec == asio::error::eof;
}

void CloseSocket(tcp::socket& socket) {
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

}  // namespace reco::serving::http
