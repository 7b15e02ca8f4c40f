#include "online/service/recommender_server.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "core/logging.h"
#include "online/ranking/in_process_ranker.h"
#include "online/ranking/ranker_model.h"
#include "online/ranking/remote_ranker.h"
#include "online/retrieval/retriever.h"
#include "online/service/api_handler.h"
#include "online/service/http_server.h"
#include "online/service/recommender.h"
#include "online/service/service_metrics.h"
#include "online/service/static_files.h"
#include "online/store/checkpointer.h"
#include "online/store/store.h"
#include "serving/metrics/serving_metrics.h"
#include "serving/model_config.h"
#include "serving/server_core.h"

namespace reco::online::service {

namespace {
constexpr char kRankerModelName[] = "ranker";
}  // namespace

struct RecommenderServer::Impl {
  std::unique_ptr<Store> store;
  std::unique_ptr<PeriodicCheckpointer> checkpointer;  // declared after `store`: destroyed (joined) before it
  std::unique_ptr<ranking::RankerLoaderFactory> loaders;
  std::unique_ptr<serving::ServerCore> core;
  std::unique_ptr<ranking::Ranker> ranker;
  std::unique_ptr<Retriever> retriever;
  std::unique_ptr<Recommender> recommender;
  std::unique_ptr<ServiceMetrics> metrics;
  std::optional<StaticFiles> web;
  std::unique_ptr<RecommenderApi> api;
  std::unique_ptr<HttpServer> http;
  bool stopped = false;
};

RecommenderServer::RecommenderServer() : impl_(std::make_unique<Impl>()) {}
RecommenderServer::~RecommenderServer() { Stop(); }

int RecommenderServer::port() const { return impl_->http ? impl_->http->port() : 0; }

Status RecommenderServer::Start(const RecommenderServerOptions& o) {
  Impl& s = *impl_;
  if (o.data_dir.empty()) return InvalidArgumentError("--data-dir is required");
  if (o.candidates <= 0 || o.candidates > 5000) return InvalidArgumentError("--candidates must be in [1, 5000]");
  if (o.max_history <= 0 || o.max_history > 10000) {
    return InvalidArgumentError("--max-history must be in [1, 10000] (0 would keep no history: no personalisation)");
  }
  if (o.max_per_category < 0) return InvalidArgumentError("--max-per-category must be >= 0 (0: no cap)");
  if (!(o.checkpoint_seconds >= 0)) return InvalidArgumentError("--checkpoint-seconds must be >= 0 (0: off)");
  if (!o.model_server.empty() && o.model_dir.empty()) {
    return InvalidArgumentError("--model-server needs --model-dir too: the vocabularies and manifest come from the "
                                "model folder (the one the model server serves, or a copy)");
  }
  StoreOptions store_options;
  store_options.data_dir = o.data_dir;
  store_options.max_history = o.max_history;
  store_options.sync = o.sync;
  ASSIGN_OR_RETURN(s.store, Store::Open(store_options));
  if (o.checkpoint_seconds > 0) {
    s.checkpointer = std::make_unique<PeriodicCheckpointer>(
        s.store.get(), std::chrono::milliseconds(static_cast<int64_t>(o.checkpoint_seconds * 1000)));
  }

  if (!o.model_dir.empty()) {
    ranking::RankerLoadOptions load;
    load.vocab_only = !o.model_server.empty();
    load.warm_up_max_batch = o.candidates;
    s.loaders = std::make_unique<ranking::RankerLoaderFactory>(load);
    s.core = std::make_unique<serving::ServerCore>(serving::DefaultFileSystem(), s.loaders.get());
    s.core->set_manager_observer(serving::ServableManager::Observer{
        .on_load = [](const std::string& model, int64_t version, const Status& status, double seconds) {
          serving::metrics::ServingMetrics::Global().RecordModelLoad(model, version, status, seconds);
        },
        .on_loaded_versions = [](const std::string& model, int64_t count) {
          serving::metrics::ServingMetrics::Global().SetLoadedVersions(model, count);
        }});
    // A folder without a loadable version is not fatal: the service answers in retrieval order and /readyz says
    // why until a version appears (the poller keeps looking).
    Status config = s.core->ReloadConfig(serving::SingleModelConfig(kRankerModelName, o.model_dir));
    // FailedPrecondition: installed, but no version is available yet (handled just below).
    if (!config.ok() && config.code() != StatusCode::kFailedPrecondition) return config.WithContext("--model-dir");
    if (Status ready = s.core->manager().GetHandle(kRankerModelName, {}).status(); !ready.ok()) {
      RECO_LOG_WARN("no ranker model version loaded from {} yet ({}); serving in retrieval order", o.model_dir,
                    ready.message());
    }
    s.core->StartPolling(o.model_poll_seconds, 0);
    if (o.model_server.empty()) {
      const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
      s.ranker = std::make_unique<ranking::InProcessRanker>(
          &s.core->manager(), kRankerModelName, o.rank_concurrency < 0 ? cores : o.rank_concurrency);
    } else {
      ranking::RemoteRankerOptions remote;
      remote.target = o.model_server;
      remote.model_name = o.remote_model_name;
      remote.deadline = std::chrono::milliseconds(o.remote_deadline_ms);
      s.ranker = std::make_unique<ranking::RemoteRanker>(&s.core->manager(), kRankerModelName, remote);
    }
  }

  RetrieverOptions retriever_options;
  retriever_options.default_want = o.candidates;
  s.retriever = std::make_unique<Retriever>(s.store.get(), retriever_options);
  RecommenderOptions rec;
  rec.candidates = o.candidates;
  rec.max_per_category = o.max_per_category;
  rec.min_score = o.min_score;
  rec.remote = !o.model_server.empty();
  s.recommender = std::make_unique<Recommender>(s.store.get(), s.retriever.get(), s.ranker.get(), rec);
  s.metrics = std::make_unique<ServiceMetrics>();
  if (!o.web_dir.empty()) {
    StatusOr<StaticFiles> web = StaticFiles::Load(o.web_dir);
    if (web.ok()) {
      s.web = std::move(*web);
    } else {
      RECO_LOG_WARN("storefront page disabled: {}", web.status().message());
    }
  }
  s.api = std::make_unique<RecommenderApi>(s.store.get(), s.recommender.get(), s.metrics.get(),
                                           s.web ? &*s.web : nullptr);
  HttpServerOptions http;
  http.bind_address = o.bind;
  http.port = o.port;
  http.num_threads = o.threads;
  s.http = std::make_unique<HttpServer>(http, s.api.get());
  RETURN_IF_ERROR(s.http->Start());
  const StoreStats stats = s.store->stats();
  RECO_LOG_INFO("reco-recommender: {} users, {} items, {} events in {}; ranking: {}", stats.num_users,
                stats.num_items, stats.events_total, o.data_dir,
                s.ranker ? s.ranker->Describe() : "none (retrieval order)");
  return Status::Ok();
}

void RecommenderServer::Stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  if (s.http) s.http->Stop();
  if (s.core) s.core->StopPolling();
  if (s.checkpointer) s.checkpointer->Stop();
}

}  // namespace reco::online::service
