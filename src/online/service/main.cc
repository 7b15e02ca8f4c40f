// reco-recommender: the online recommender (issue 6). `reco-recommender [flags]` serves the HTTP API and the
// storefront page; `reco-recommender import --events FILE --data-dir DIR` bulk-loads a Taobao-format CSV.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/logging.h"
#include "online/service/recommender_server.h"
#include "online/store/csv_import.h"
#include "online/store/store.h"

#ifndef RECO_WEB_DIR
#define RECO_WEB_DIR ""
#endif

namespace {

int RunImport(const std::string& events, const std::string& data_dir, int max_history, bool taobao_window) {
  reco::online::StoreOptions options;
  options.data_dir = data_dir;
  options.max_history = max_history;
  auto store = reco::online::Store::Open(options);
  if (!store.ok()) {
    RECO_LOG_ERROR("reco-recommender import: {}", store.status().ToString());
    return 1;
  }
  reco::online::ImportOptions import;
  if (taobao_window) import.reader = reco::data::TaobaoWindowOptions();
  reco::online::ImportStats stats;
  reco::Status status = reco::online::ImportCsv(store->get(), events, import, &stats);
  if (!status.ok()) {
    RECO_LOG_ERROR("reco-recommender import: {}", status.ToString());
    return 1;
  }
  std::printf("%s\n", stats.Summary().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  reco::InitLogging();
  reco::online::service::RecommenderServerOptions o;
  o.web_dir = RECO_WEB_DIR;
  std::string log_level = "info";
  std::string port_file;
  float min_score = -1;
  CLI::App app{"reco-recommender: live behaviour events -> ranked products (issue 6)"};
  app.add_option("--bind", o.bind, "address to listen on")->capture_default_str();
  app.add_option("--port", o.port, "HTTP port (0: a free one, see --port-file)")->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port to this file once serving");
  app.add_option("--data-dir", o.data_dir, "the embedded store (RocksDB), created if missing");
  app.add_option("--model-dir", o.model_dir,
                 "ranker model folder (docs/ranker_model.md); new versions are picked up by polling");
  app.add_option("--model-server", o.model_server, "host:port of a reco-model-server gRPC port: rank remotely");
  app.add_option("--model-name", o.remote_model_name, "model name on the model server")->capture_default_str();
  app.add_option("--model-deadline-ms", o.remote_deadline_ms, "deadline of one remote ranking call")
      ->capture_default_str();
  app.add_option("--model-poll-seconds", o.model_poll_seconds, "how often --model-dir is checked for new versions")
      ->capture_default_str();
  app.add_option("--candidates", o.candidates, "candidates retrieved and ranked per request")->capture_default_str();
  app.add_option("--max-per-category", o.max_per_category, "at most N items of one category in the top-k (0: no cap)")
      ->capture_default_str();
  app.add_option("--min-score", min_score, "drop ranked items scoring below this (negative: no minimum)")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "HTTP worker threads (0: 2 x cores; event writes wait on fsync)")
      ->capture_default_str();
  app.add_option("--rank-concurrency", o.rank_concurrency,
                 "in-process model runs at a time, the rest wait in arrival order (0: no limit; -1: one per core, "
                 "for a machine that runs nothing else)")
      ->capture_default_str();
  app.add_option("--max-history", o.max_history, "behaviours kept per user")->capture_default_str();
  app.add_option("--checkpoint-seconds", o.checkpoint_seconds,
                 "snapshot the store this often while events arrive, so a crash replays at most this much log "
                 "(0: only at a clean stop)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--web-dir", o.web_dir, "storefront page folder (\"\": no page)")->capture_default_str();
  app.add_option("--log_level,--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();

  std::string import_events, import_dir;
  bool taobao_window = false;
  CLI::App* import = app.add_subcommand("import", "bulk-load Taobao-format behaviour CSV into the store");
  import->add_option("--events", import_events, "CSV: user_id,item_id,category_id,behavior_type,timestamp")
      ->required();
  import->add_option("--data-dir", import_dir, "the store to load into")->required();
  import->add_option("--max-history", o.max_history, "behaviours kept per user")->capture_default_str();
  import->add_flag("--taobao-window", taobao_window, "drop rows outside the public dataset's dates");
  CLI11_PARSE(app, argc, argv);
  if (!reco::SetLogLevel(log_level)) {
    std::fprintf(stderr, "reco-recommender: unknown --log-level '%s'\n", log_level.c_str());
    return 2;
  }
  if (*import) return RunImport(import_events, import_dir, o.max_history, taobao_window);
  if (min_score >= 0) o.min_score = min_score;

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  reco::online::service::RecommenderServer server;
  reco::Status status = server.Start(o);
  if (!status.ok()) {
    RECO_LOG_ERROR("reco-recommender: {}", status.ToString());
    return 1;
  }
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << server.port() << "\n";
    std::rename(tmp.c_str(), port_file.c_str());  // readers never see a half-written file
  }
  std::printf("reco-recommender: serving http://%s:%d/\n", o.bind.c_str(), server.port());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  RECO_LOG_INFO("reco-recommender: signal {} received, shutting down", signal);
  server.Stop();
  return 0;
}
