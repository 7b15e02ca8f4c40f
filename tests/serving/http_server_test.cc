// The REST transport over real loopback sockets (ephemeral port) with fake servables: keep-alive, gzip bodies,
// the body limit (413), malformed HTTP, and slow clients that are cut off without holding the only worker.
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
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
