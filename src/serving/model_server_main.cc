// reco-model-server: a drop-in for tensorflow_model_server that serves ONNX models over TF Serving's REST (and
// gRPC) APIs and KServe v2. Flags are spelled as tensorflow_model_server spells them; `--flag value` and
// `--flag=value` both work. SIGINT/SIGTERM stop it cleanly.
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "core/logging.h"
#include "serving/model_server.h"

int main(int argc, char** argv) {
  reco::InitLogging();
  reco::serving::ModelServerOptions o;
  std::string log_level = "info";
  CLI::App app{"reco-model-server: TensorFlow Serving-compatible server for ONNX models"};
  app.add_option("--port", o.grpc_port, "gRPC port (0: no gRPC)")->capture_default_str();
  app.add_option("--rest_api_port", o.rest_api_port, "REST port (0: no REST)")->capture_default_str();
  app.add_option("--bind", o.bind, "address to listen on (0.0.0.0 for all interfaces)")->capture_default_str();
  app.add_option("--model_config_file", o.model_config_file, "text-format ModelServerConfig");
  app.add_option("--model_config_file_poll_wait_seconds", o.model_config_file_poll_wait_seconds,
                 "re-read --model_config_file this often (0: never)")->capture_default_str();
  app.add_option("--model_name", o.model_name, "name of the single model (with --model_base_path)")
      ->capture_default_str();
  app.add_option("--model_base_path", o.model_base_path, "folder of the single model's version folders");
  app.add_option("--file_system_poll_wait_seconds", o.file_system_poll_wait_seconds,
                 "look for new/removed versions this often (0: only at start)")->capture_default_str();
  app.add_option("--max_num_load_retries", o.max_num_load_retries,
                 "retry a version that failed to load this many times, on later polls")->capture_default_str();
  app.add_option("--load_retry_interval_micros", o.load_retry_interval_micros,
                 "wait at least this long between load retries of a version")->capture_default_str();
  app.add_flag("--enable_batching", o.enable_batching, "merge concurrent requests (dynamic batching)");
  app.add_option("--batching_parameters_file", o.batching_parameters_file, "text-format BatchingParameters");
  app.add_option("--rest_api_num_threads", o.rest_api_num_threads, "REST worker threads (0: number of CPUs)")
      ->capture_default_str();
  app.add_option("--rest_api_timeout_in_ms", o.rest_api_timeout_in_ms,
                 "time allowed to receive one request (slow clients are cut off)")->capture_default_str();
  app.add_option("--monitoring_config_file", o.monitoring_config_file, "text-format MonitoringConfig");
  app.add_option("--intra_op_threads", o.intra_op_threads, "threads one model run may use")->capture_default_str();
  app.add_option("--max_request_bytes", o.max_request_bytes, "largest request body (413 beyond)")
      ->capture_default_str();
  app.add_option("--log_level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!reco::SetLogLevel(log_level)) {
    std::fprintf(stderr, "reco-model-server: unknown --log_level '%s'\n", log_level.c_str());
    return 2;
  }

  // Block the stop signals in every thread (the servers' threads inherit the mask), then wait for them here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  reco::serving::ModelServer server;
  reco::Status status = server.Start(o);
  if (!status.ok()) {
    RECO_LOG_ERROR("reco-model-server: {}", status.ToString());
    return 1;
  }
  RECO_LOG_INFO("reco-model-server ready (REST port {}, gRPC port {})", server.rest_port(), server.grpc_port());
  int signal = 0;
  sigwait(&stop_signals, &signal);
  RECO_LOG_INFO("reco-model-server: signal {} received, shutting down", signal);
  server.Stop();
  return 0;
}
