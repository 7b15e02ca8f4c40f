// RecommenderServer: wires reco-recommender together from its flags — the store under --data-dir, the model
// lifecycle (the model server's ServerCore polling --model-dir, loading RankerModels; vocab-only when ranking is
// remote), the ranker (in-process, remote over gRPC, or none), retrieval, rules, the HTTP API and the page.
// Thread-safety: Start/Stop from one controlling thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/status.h"

namespace reco::online::service {

struct RecommenderServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;
  std::string data_dir;
  std::string model_dir;     // "" = no model: retrieval order
  std::string model_server;  // host:port: rank in a remote reco-model-server / TF Serving
  std::string remote_model_name = "ranker";
  int remote_deadline_ms = 50;
  double model_poll_seconds = 2;
  int candidates = 500;
  int max_per_category = 0;
  std::optional<float> min_score;
  int threads = 0;           // HTTP workers; 0: 2 x cores
  int rank_concurrency = 0;  // in-process model runs at a time, first come first served; 0: no limit, -1: cores
  int max_history = 50;      // behaviours kept per user
  bool sync = true;          // fsync before acknowledging events
  // Snapshot the store's derived state this often while events arrive, so a restart after a crash replays at most
  // this much log (a clean stop snapshots anyway). 0: only at a clean stop.
  double checkpoint_seconds = 300;
  std::string web_dir;       // "" = no page
};

class RecommenderServer {
 public:
  RecommenderServer();
  ~RecommenderServer();
  RecommenderServer(const RecommenderServer&) = delete;
  RecommenderServer& operator=(const RecommenderServer&) = delete;

  Status Start(const RecommenderServerOptions& options);
  int port() const;
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::online::service
