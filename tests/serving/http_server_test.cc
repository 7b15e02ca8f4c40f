// The REST transport over real loopback sockets (ephemeral port) with fake servables: keep-alive, gzip bodies,
// the body limit (413), malformed HTTP, and slow clients that are cut off without holding the only worker.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <zlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <sstream>
#include <thread>

#include "serving/model_config.h"
#include "serving/prediction_service.h"
#include "serving/rest/http_server.h"
#include "serving/server_core.h"
#include "testutil/fake_file_system.h"
#include "testutil/fake_servable.h"

namespace reco::serving::rest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

const std::string kBody =
    R"({"inputs": {"user_input": [[1,1,1,1,1,1,1,1]], "item_input": [[0.5,0,0,0,0,0,0,0]]}})";

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.WriteFile("/m/seed/1/model.onnx", "ok");
    ASSERT_TRUE(core_.ReloadConfig(SingleModelConfig("seed", "/m/seed")).ok());
    HttpServerOptions options;
    options.port = 0;
    options.num_threads = 1;  // one worker: a slow client must not be able to block it
    options.request_timeout_ms = 400;
    options.max_request_bytes = 4096;
    server_ = std::make_unique<HttpServer>(options, &handler_);
    ASSERT_TRUE(server_->Start().ok());
  }

  tcp::socket Connect() {
    tcp::socket socket(ioc_);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())));
    return socket;
  }

  http::response<http::string_body> Send(tcp::socket& socket, http::request<http::string_body> req) {
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
  }

  http::request<http::string_body> Predict(std::string body) {
    http::request<http::string_body> req{http::verb::post, "/v1/models/seed:predict", 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    return req;
  }

  testutil::FakeFileSystem fs_;
  testutil::FakeLoaderFactory loaders_{&fs_};
  ServerCore core_{&fs_, &loaders_};
  PredictionService service_{&core_.manager()};
  RestHandler handler_{&service_, {}};
  std::unique_ptr<HttpServer> server_;
  asio::io_context ioc_;
};

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  tcp::socket socket = Connect();
  for (int i = 0; i < 20; ++i) {
    auto res = Send(socket, Predict(kBody));
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(res[http::field::content_type], "application/json");
    EXPECT_NE(res.body().find("1008.5"), std::string::npos) << res.body();
  }
}

TEST_F(HttpServerTest, GzipRequestBodies) {
  tcp::socket socket = Connect();
  auto req = Predict(Gzip(kBody));
  req.set(http::field::content_encoding, "gzip");
  auto res = Send(socket, req);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_NE(res.body().find("1008.5"), std::string::npos);

  auto bad = Predict("this is not gzip");
  bad.set(http::field::content_encoding, "gzip");
  res = Send(socket, bad);
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_NE(res.body().find("gzip"), std::string::npos) << res.body();

  auto br = Predict(kBody);
  br.set(http::field::content_encoding, "br");
  res = Send(socket, br);
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_NE(res.body().find("Content-Encoding"), std::string::npos) << res.body();
}

TEST_F(HttpServerTest, BodiesOverTheLimitAre413) {
  tcp::socket socket = Connect();
  auto res = Send(socket, Predict(std::string(5000, ' ') + kBody));
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_NE(res.body().find("\"error\""), std::string::npos) << res.body();
  // A small gzip body that inflates past the limit (a zip bomb) is 413 as well.
  tcp::socket second = Connect();
  auto bomb = Predict(Gzip(std::string(100000, ' ') + kBody));
  bomb.set(http::field::content_encoding, "gzip");
  res = Send(second, bomb);
  EXPECT_EQ(res.result_int(), 413u) << res.body();
}

TEST_F(HttpServerTest, MalformedHttpIs400) {
  tcp::socket socket = Connect();
  asio::write(socket, asio::buffer(std::string("THIS IS NOT HTTP\r\n\r\n")));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_NE(res.body().find("\"error\""), std::string::npos);
}

// Reads one response from `buffer` + `socket` (what is left over stays in `buffer` for the next one).
http::response<http::string_body> ReadResponse(tcp::socket& socket, beast::flat_buffer& buffer) {
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return res;
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  // Three requests in one write: the server must answer all of them, in order, from what it buffered.
  tcp::socket socket = Connect();
  std::string wire;
  for (const std::string& body : {kBody, std::string("not json"), kBody}) {
    auto req = Predict(body);
    req.prepare_payload();
    std::ostringstream os;
    os << req;
    wire += os.str();
  }
  asio::write(socket, asio::buffer(wire));
  beast::flat_buffer buffer;
  EXPECT_EQ(ReadResponse(socket, buffer).result_int(), 200u);
  EXPECT_EQ(ReadResponse(socket, buffer).result_int(), 400u);
  auto third = ReadResponse(socket, buffer);
  EXPECT_EQ(third.result_int(), 200u);
  EXPECT_NE(third.body().find("1008.5"), std::string::npos) << third.body();
}

// curl sends `Expect: 100-continue` with bodies over 1 MB and waits a second for the interim answer: the server
// sends it as soon as the headers are in, then reads the body.
TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  tcp::socket socket = Connect();
  timeval timeout{2, 0};  // a server that never answers fails the read instead of hanging the test
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  auto req = Predict(kBody);
  req.set(http::field::expect, "100-continue");
  req.prepare_payload();
  http::request_serializer<http::string_body> serializer(req);
  beast::error_code ec;
  http::write_header(socket, serializer, ec);
  ASSERT_FALSE(ec) << ec.message();
  beast::flat_buffer buffer;
  http::response<http::string_body> interim;
  http::read(socket, buffer, interim, ec);
  ASSERT_FALSE(ec) << "no interim response: " << ec.message();
  EXPECT_EQ(interim.result_int(), 100u);
  asio::write(socket, asio::buffer(req.body()));
  auto res = ReadResponse(socket, buffer);
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_NE(res.body().find("1008.5"), std::string::npos) << res.body();
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10) {
  {  // HTTP/1.1 with Connection: close -> answered with Connection: close, then the server closes.
    tcp::socket socket = Connect();
    auto req = Predict(kBody);
    req.keep_alive(false);
    auto res = Send(socket, req);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_FALSE(res.keep_alive());
    char byte;
    beast::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    EXPECT_EQ(ec, asio::error::eof);
  }
  {  // HTTP/1.0 asking for keep-alive -> HTTP/1.0 response that says keep-alive, and the connection stays usable.
    tcp::socket socket = Connect();
    auto req = Predict(kBody);
    req.version(10);
    req.keep_alive(true);
    auto res = Send(socket, req);
    EXPECT_EQ(res.version(), 10u);
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(Send(socket, req).result_int(), 200u);
  }
  {  // HEAD (not a route here: answered with an error): the headers with the length the body would have, no body,
     // and the connection goes on.
    tcp::socket socket = Connect();
    http::request<http::empty_body> req{http::verb::head, "/v1/models/seed", 11};
    req.set(http::field::host, "localhost");
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // a response to HEAD has no body whatever its Content-Length says
    http::read(socket, buffer, parser);
    EXPECT_GT(parser.content_length().value_or(0), 0u);
    EXPECT_EQ(buffer.size(), 0u);
    EXPECT_EQ(Send(socket, Predict(kBody)).result_int(), 200u);
  }
}

TEST_F(HttpServerTest, LargeResponseToASlowReaderDoesNotHoldTheWorker) {
  // A response far larger than the socket buffers, to a client that does not read for a while: the write must
  // wait for the socket (not block the only worker), then finish intact. The metrics route serves the big body.
  const std::string big(8 << 20, 'x');
  RestHandler::Options options;
  options.metrics_text = [&big] { return big; };
  RestHandler handler(&service_, options);
  HttpServerOptions server_options;
  server_options.port = 0;
  server_options.num_threads = 1;
  HttpServer server(server_options, &handler);
  ASSERT_TRUE(server.Start().ok());
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server.port()));

  tcp::socket reader(ioc_);
  reader.open(tcp::v4());
  reader.set_option(asio::socket_base::receive_buffer_size(4096));
  reader.connect(endpoint);
  http::request<http::empty_body> get{http::verb::get, options.metrics_path, 11};
  get.set(http::field::host, "localhost");
  http::write(reader, get);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the server is now stuck on a full socket

  tcp::socket other(ioc_);
  other.connect(endpoint);
  http::request<http::empty_body> status{http::verb::get, "/v1/models/seed", 11};
  status.set(http::field::host, "localhost");
  http::write(other, status);
  beast::flat_buffer other_buffer;
  http::response<http::string_body> other_res;
  http::read(other, other_buffer, other_res);
  EXPECT_EQ(other_res.result_int(), 200u) << other_res.body();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(big.size() + 1);
  http::read(reader, buffer, parser);
  EXPECT_EQ(parser.get().result_int(), 200u);
  EXPECT_EQ(parser.get().body().size(), big.size());
  EXPECT_EQ(parser.get().body(), big);
}

TEST_F(HttpServerTest, SlowClientIsCutOffWithoutHoldingTheWorker) {
  // The slow client starts a request and trickles bytes; the only worker thread must stay free for others.
  tcp::socket slow = Connect();
  const std::string head = "POST /v1/models/seed:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{";
  asio::write(slow, asio::buffer(head));
  const auto start = std::chrono::steady_clock::now();
  tcp::socket fast = Connect();
  auto res = Send(fast, Predict(kBody));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));

  // Keep trickling a byte every 100 ms: the server closes the connection at its 400 ms request timeout.
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    beast::error_code ec;
    asio::write(slow, asio::buffer(" ", 1), ec);
    if (ec) closed = true;
    if (!closed && slow.available(ec) == 0) {
      // A closed peer shows up as a readable EOF.
      slow.non_blocking(true);
      char byte;
      slow.read_some(asio::buffer(&byte, 1), ec);
      slow.non_blocking(false);
      if (ec && ec != asio::error::would_block) closed = true;
    }
  }
  EXPECT_TRUE(closed) << "the slow connection was never closed";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
}

}  // namespace
}  // namespace reco::serving::rest
