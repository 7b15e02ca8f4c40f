// reco train-ranker | eval-ranker: behaviour log → samples → din/base/seed-mlp ranker → metrics.
//
// A run directory (--out DIR) holds:
//   samples/            samples.bin + vocabularies + build.txt (what the samples were built from; reused when the
//                       CSV's size/mtime and the sample options are unchanged)
//   best.pt             best checkpoint by validation GAUC (nn::SaveRanker)
//   user_vocab.txt, item_vocab.txt, cate_vocab.txt   copies of the sample vocabularies (what export ships)
//   user_features.tsv, item_features.tsv            seed-mlp features (data/ranker_features.h)
//   curves.csv, curves.svg, run.json                 per-epoch curves; config + metrics
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/command.h"
#include "cli/metrics_json.h"
#include "data/ranker_features.h"
#include "data/samples_pipeline.h"
#include "train/ranker_trainer.h"

namespace reco::cli {
namespace {

namespace fs = std::filesystem;
constexpr const char* kVocabFiles[] = {"user_vocab.txt", "item_vocab.txt", "cate_vocab.txt"};

struct TrainArgs {
  std::string events, metrics_json, split = "last";
  train::RankerTrainConfig cfg;
  data::SampleBuildOptions samples;
  bool taobao_window = false, rebuild = false;
};

// One line describing the CSV (path, size, mtime) and every sample option: equal text = reusable samples.
StatusOr<std::string> SampleStamp(const TrainArgs& a) {
  struct stat st {};
  if (::stat(a.events.c_str(), &st) != 0) return NotFoundError(a.events + ": events file not found");
  const auto& o = a.samples;
  std::ostringstream s;
  s << "reco-samples-stamp v1 csv=" << fs::absolute(a.events).string() << " size=" << st.st_size
    << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " max_history=" << o.max_history
    << " negatives=" << o.num_negatives << " seed=" << o.seed << " min_count=" << o.item_min_count
    << " split=" << static_cast<int>(o.split) << " train_end=" << o.train_end << " valid_end=" << o.valid_end
    << " taobao_window=" << a.taobao_window << "\n";
  return s.str();
}

Status PrepareSamples(const TrainArgs& a, const std::string& dir) {
  ASSIGN_OR_RETURN(std::string stamp, SampleStamp(a));
  const std::string stamp_path = dir + "/build.txt";
  std::ifstream in(stamp_path);
  std::stringstream old;
  old << in.rdbuf();
  if (!a.rebuild && old.str() == stamp && fs::exists(dir + "/" + data::kSampleFileName)) {
    std::printf("reusing samples in %s (same CSV size/mtime and options)\n", dir.c_str());
    return Status::Ok();
  }
  fs::remove(stamp_path);
  data::SamplePipelineReport report;
  const auto read = a.taobao_window ? data::TaobaoWindowOptions() : data::BehaviorReaderOptions{};
  RETURN_IF_ERROR(data::BuildSampleDirFromCsv(a.events, read, a.samples, dir, &report));
  std::printf("%s\nsamples built in %.2fs (%.0f events/s)\n", report.Summary().c_str(), report.seconds,
              report.seconds > 0 ? static_cast<double>(report.build.events) / report.seconds : 0.0);
  std::ofstream(stamp_path) << stamp;
  return Status::Ok();
}

Metrics SplitMetrics(const std::string& prefix, const train::RankingMetrics& m) {
  return {{prefix + "auc", m.auc}, {prefix + "gauc", m.gauc}, {prefix + "logloss", m.logloss},
          {prefix + "rows", m.rows}, {prefix + "gauc_users", m.gauc_users}};
}

RunFn SetupTrain(CLI::App& sub) {
  auto a = std::make_shared<TrainArgs>();
  auto& c = a->cfg;
  sub.add_option("--events", a->events, "behaviour log CSV (user,item,category,behavior,timestamp)")->required();
  sub.add_option("--out", c.out_dir, "run directory (samples, best.pt, vocabularies, curves, run.json)")->required();
  sub.add_option("--model", c.model, "din | base | seed-mlp")
      ->check(CLI::IsMember({"din", "base", "seed-mlp"}))->capture_default_str();
  sub.add_option("--epochs", c.epochs, "maximum epochs")->check(CLI::Range(1, 100000))->capture_default_str();
  sub.add_option("--batch-size", c.batch_size, "samples per step (each gives 1 + negatives examples)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->capture_default_str();
  sub.add_option("--lr", c.lr, "Adam learning rate")->check(kPositive)->capture_default_str();
  sub.add_option("--emb-dim", c.emb_dim, "item/category embedding width")->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub.add_option("--max-history", a->samples.max_history, "L: behaviours kept per history (older ones dropped)")
      ->check(CLI::Range(1, 65535))->capture_default_str();
  sub.add_option("--negatives", a->samples.num_negatives, "popularity negatives per positive")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  sub.add_option("--split", a->split, "last (each user's last sample = test, the one before = validation) | time")
      ->check(CLI::IsMember({"last", "time"}))->capture_default_str();
  sub.add_option("--train-end", a->samples.train_end, "time split: targets before this Unix time train");
  sub.add_option("--valid-end", a->samples.valid_end, "time split: targets before this Unix time validate");
  sub.add_option("--min-count", a->samples.item_min_count, "items seen fewer times become OOV")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))->capture_default_str();
  sub.add_option("--threads", c.threads, "LibTorch threads (0 = measured default)")->check(CLI::Range(0, 1024))
      ->capture_default_str();
  sub.add_option("--seed", c.seed, "random seed (initialisation, shuffling, negatives)")->capture_default_str();
  sub.add_option("--patience", c.patience, "stop after N epochs without a better validation GAUC (0 = never)")
      ->check(CLI::Range(0, 1000))->capture_default_str();
  sub.add_option("--activation", c.activation, "dice | prelu")->check(CLI::IsMember({"dice", "prelu"}))
      ->capture_default_str();
  sub.add_flag("--softmax", c.attention_softmax, "din: softmax-normalised attention (default: raw weights)");
  sub.add_option("--pooling", c.pooling, "base: sum | mean")->check(CLI::IsMember({"sum", "mean"}))
      ->capture_default_str();
  sub.add_option("--optimizer", c.optimizer, "lazy-adam (SparseAdam on embedding rows) | adam (all dense)")
      ->check(CLI::IsMember({"lazy-adam", "adam"}))->capture_default_str();
  sub.add_option("--l2-emb", c.l2_emb, "mini-batch-aware L2 on embedding rows (lazy-adam)")
      ->check(kNonNegative);
  sub.add_option("--limit", c.train_limit, "train on at most N samples per epoch (0 = all)")
      ->check(kNonNegative);
  sub.add_flag("--taobao-window", a->taobao_window, "drop rows outside the public dataset's 9-day window");
  sub.add_flag("--rebuild-samples", a->rebuild, "rebuild samples even if they look up to date");
  sub.add_option("--metrics-json", a->metrics_json, "write final metrics as JSON to this file ('-' = stdout)");
  sub.add_flag("--no-progress{false}", c.progress, "no progress bar");
  return [a]() -> Status {
    auto& c = a->cfg;
    a->samples.seed = c.seed;
    if (a->split == "time") {
      if (a->samples.train_end <= 0 || a->samples.valid_end < a->samples.train_end) {
        return InvalidArgumentError("--split time needs --train-end and --valid-end (Unix seconds, train <= valid)");
      }
      a->samples.split = data::SplitMode::kTime;
    }
    c.samples_dir = c.out_dir + "/samples";
    RETURN_IF_ERROR(PrepareSamples(*a, c.samples_dir));
    for (const char* f : kVocabFiles) {
      std::error_code ec;
      fs::copy_file(c.samples_dir + "/" + f, c.out_dir + "/" + f, fs::copy_options::overwrite_existing, ec);
      if (ec) return InternalError(c.out_dir + "/" + f + ": cannot copy vocabulary: " + ec.message());
    }
    ASSIGN_OR_RETURN(train::RankerTrainReport r, train::TrainRanker(c));
    std::printf("best epoch %d: valid gauc %.4f auc %.4f | test gauc %.4f auc %.4f logloss %.4f | %.0f examples/s, "
                "%d thread(s)\nwrote %s, %s, %s\n", r.best_epoch, r.best_validation.gauc, r.best_validation.auc,
                r.test.gauc, r.test.auc, r.test.logloss, r.examples_per_second, r.threads, r.checkpoint.c_str(),
                r.curves_csv.c_str(), r.curves_svg.c_str());
    std::vector<double> train_loss, valid_gauc, epoch_seconds;
    for (const auto& e : r.epochs) {
      train_loss.push_back(e.train_loss), valid_gauc.push_back(e.validation.gauc), epoch_seconds.push_back(e.seconds);
    }
    Metrics m = {{"format", std::string("reco-ranker-run-v1")},
                 {"model_kind", c.model},
                 {"events", a->events},
                 {"max_history", static_cast<int64_t>(a->samples.max_history)},
                 {"emb_dim", c.emb_dim},
                 {"negatives", static_cast<int64_t>(a->samples.num_negatives)},
                 {"batch_size", c.batch_size},
                 {"lr", c.lr},
                 {"optimizer", c.optimizer},
                 {"epochs", static_cast<int64_t>(r.epochs.size())},
                 {"best_epoch", static_cast<int64_t>(r.best_epoch)},
                 {"train_samples", r.train_samples},
                 {"examples_per_second", r.examples_per_second},
                 {"threads", static_cast<int64_t>(r.threads)},
                 {"checkpoint", r.checkpoint},
                 {"epoch_train_loss", train_loss},
                 {"epoch_valid_gauc", valid_gauc},
                 {"epoch_seconds", epoch_seconds}};
    for (auto& kv : SplitMetrics("valid_", r.best_validation)) m.push_back(kv);
    for (auto& kv : SplitMetrics("test_", r.test)) m.push_back(kv);
    RETURN_IF_ERROR(WriteMetricsJson(c.out_dir + "/run.json", m));
    return WriteMetricsJson(a->metrics_json, m);
  };
}

RunFn SetupEval(CLI::App& sub) {
  struct Args {
    std::string model, events, metrics_json, splits = "all";
    int threads = 0, negatives = 1;
    uint64_t seed = 42;  // train-ranker's default: the same log then gets the same negatives as in training
    bool taobao_window = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("--model", a->model, "run directory of train-ranker (or its best.pt)")->required();
  sub.add_option("--events", a->events, "behaviour log CSV to evaluate on")->required();
  sub.add_option("--splits", a->splits, "all | test (score only each user's last sample)")
      ->check(CLI::IsMember({"all", "test"}))->capture_default_str();
  sub.add_option("--negatives", a->negatives, "popularity negatives per positive")->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub.add_option("--seed", a->seed, "negative sampling seed (train-ranker's --seed reproduces its samples)")
      ->capture_default_str();
  sub.add_option("--threads", a->threads, "LibTorch threads (0 = measured default)")->check(CLI::Range(0, 1024));
  sub.add_flag("--taobao-window", a->taobao_window, "drop rows outside the public dataset's 9-day window");
  sub.add_option("--metrics-json", a->metrics_json, "write metrics as JSON to this file ('-' = stdout)");
  return [a]() -> Status {
    train::RankerEvalConfig ec;
    std::error_code err;
    if (fs::is_directory(a->model, err)) {
      ec.checkpoint = a->model + "/" + train::kBestCheckpointFile;
      ec.vocab_dir = a->model;
    } else {
      ec.checkpoint = a->model;
      ec.vocab_dir = fs::path(a->model).parent_path().string();
      if (ec.vocab_dir.empty()) ec.vocab_dir = ".";
    }
    if (!fs::exists(ec.checkpoint, err)) return NotFoundError(ec.checkpoint + ": ranker checkpoint not found");
    const fs::path work = fs::temp_directory_path() / ("reco-eval-" + std::to_string(::getpid()));
    ec.events_csv = a->events;
    ec.work_dir = work.string();
    ec.read_options = a->taobao_window ? data::TaobaoWindowOptions() : data::BehaviorReaderOptions{};
    ec.num_negatives = a->negatives;
    ec.seed = a->seed;
    ec.threads = a->threads;
    if (a->splits == "test") ec.splits = {2};
    data::SamplePipelineReport pipeline;
    ec.pipeline_report = &pipeline;
    auto r = train::EvaluateRanker(ec);
    fs::remove_all(work, err);
    if (!r.ok()) return r.status();
    const auto& m = r->metrics;
    std::printf("%s\n%s on %lld samples (%lld rows): auc %.4f gauc %.4f (%lld users) logloss %.4f; %lld items and "
                "%lld categories unknown to the model (OOV); %.2fs\n", pipeline.Summary().c_str(),
                r->model_kind.c_str(), static_cast<long long>(r->samples), static_cast<long long>(m.rows), m.auc,
                m.gauc, static_cast<long long>(m.gauc_users), m.logloss, static_cast<long long>(r->unknown_items),
                static_cast<long long>(r->unknown_cates), r->seconds);
    Metrics out = {{"model_kind", r->model_kind}, {"events", a->events}, {"samples", r->samples},
                   {"unknown_items", r->unknown_items}, {"unknown_cates", r->unknown_cates},
                   {"dirty_rows", pipeline.read.dirty_total()}, {"seconds", r->seconds}};
    for (auto& kv : SplitMetrics("", m)) out.push_back(kv);
    return WriteMetricsJson(a->metrics_json, out);
  };
}

}  // namespace

RECO_REGISTER_COMMAND(train_ranker, "train-ranker",
                      "train a recommendation ranker (din | base | seed-mlp) on a behaviour log", SetupTrain, 30);
RECO_REGISTER_COMMAND(eval_ranker, "eval-ranker", "evaluate a trained ranker on a behaviour log (AUC/GAUC/logloss)",
                      SetupEval, 31);

}  // namespace reco::cli
