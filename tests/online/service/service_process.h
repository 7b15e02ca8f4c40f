// Test helpers for reco-recommender end-to-end tests: start the real binary (port 0, --port-file) in a temp data
// dir, talk HTTP to it over a keep-alive connection, kill it (SIGKILL or SIGTERM), read JSON answers.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace reco::online::testing {

struct Reply {
  int status = 0;  // -1: transport failure
  std::string body;
  rapidjson::Document Json() const {
    rapidjson::Document d;
    d.Parse(body.c_str());
    return d;
  }
};

// One keep-alive HTTP/1.1 connection (reconnects after a failure).
class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}
  Reply Call(boost::beast::http::verb verb, const std::string& target, const std::string& body = "") {
    namespace http = boost::beast::http;
    Reply reply;
    try {
      if (!socket_) {
        socket_.emplace(ioc_);
        socket_->connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
      }
      http::request<http::string_body> req{verb, target, 11};
      req.set(http::field::host, "localhost");
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      http::write(*socket_, req);
      http::response<http::string_body> res;
      http::read(*socket_, buffer_, res);
      reply.status = static_cast<int>(res.result_int());
      reply.body = res.body();
      if (!res.keep_alive()) socket_.reset();
    } catch (const std::exception& e) {
      socket_.reset();
      buffer_.clear();
      reply.status = -1;
      reply.body = e.what();
    }
    return reply;
  }
  Reply Get(const std::string& target) { return Call(boost::beast::http::verb::get, target); }
  Reply Post(const std::string& target, const std::string& body) {
    return Call(boost::beast::http::verb::post, target, body);
  }
  Reply Put(const std::string& target, const std::string& body) {
    return Call(boost::beast::http::verb::put, target, body);
  }

 private:
  int port_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
  boost::beast::flat_buffer buffer_;
};

inline std::filesystem::path BinDir() {
  const char* bin = std::getenv("RECO_BIN_DIR");
  return bin ? std::filesystem::path(bin) : std::filesystem::path();
}

// A running reco-recommender (or any binary that writes --port-file).
class ServiceProcess {
 public:
  ~ServiceProcess() { Kill(SIGKILL); }

  // Starts `binary` with `args` plus --port 0 --port-file; waits until /healthz answers. Returns false on failure.
  bool Start(const std::filesystem::path& binary, std::vector<std::string> args, const std::filesystem::path& dir) {
    const std::filesystem::path port_file = dir / "port";
    std::filesystem::remove(port_file);
    args.insert(args.begin(), binary.string());
    args.insert(args.end(), {"--port", "0", "--port-file", port_file.string(), "--log-level", "warn"});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return false;
    for (int i = 0; i < 300; ++i) {
      int port = 0;
      std::ifstream in(port_file);
      if (in >> port && port > 0) {
        port_ = port;
        HttpClient probe(port_);
        if (probe.Get("/healthz").status == 200) return true;
      }
      int wstatus = 0;
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Kill(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace reco::online::testing
