#include "train/ranker_trainer.h"

#include <malloc.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "core/logging.h"
#include "core/progress_bar.h"
#include "data/ranker_features.h"
#include "data/samples_pipeline.h"
#include "nn/ranker.h"
#include "train/curves.h"
#include "train/fused_adam.h"
#include "train/lazy_adam.h"
#include "train/ranker_batch.h"
#include "train/ranker_tensors.h"
#include "train/threads.h"

namespace reco::train {
namespace {

using Clock = std::chrono::steady_clock;

Status ValidateConfig(const RankerTrainConfig& c) {
  if (c.model != "din" && c.model != "base" && c.model != "seed-mlp") {
    return InvalidArgumentError("--model must be din, base or seed-mlp, got '" + c.model + "'");
  }
  if (c.epochs < 1) return InvalidArgumentError("--epochs must be >= 1, got " + std::to_string(c.epochs));
  if (c.batch_size < 1) return InvalidArgumentError("--batch-size must be >= 1, got " + std::to_string(c.batch_size));
  if (!(c.lr > 0) || !std::isfinite(c.lr)) return InvalidArgumentError("--lr must be a positive number");
  if (c.optimizer != "lazy-adam" && c.optimizer != "adam") {
    return InvalidArgumentError("--optimizer must be lazy-adam or adam, got '" + c.optimizer + "'");
  }
  if (!(c.l2_emb >= 0) || !std::isfinite(c.l2_emb)) return InvalidArgumentError("--l2-emb must be a number >= 0");
  if (c.l2_emb > 0 && c.optimizer != "lazy-adam") {
    return InvalidArgumentError("--l2-emb (mini-batch-aware L2) needs --optimizer lazy-adam");
  }
  if (c.patience < 0) return InvalidArgumentError("--patience must be >= 0");
  if (c.eval_batch < 1) return InvalidArgumentError("eval batch must be >= 1");
  return Status::Ok();
}

// Model selection criterion: validation GAUC, AUC when no user has both classes, NaN when there is no validation.
double Criterion(const RankingMetrics& m) { return std::isnan(m.gauc) ? m.auc : m.gauc; }

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

Status WriteCurves(const RankerTrainReport& r, const std::string& title) {
  std::vector<Panel> panels(2);
  panels[0].title = "loss";
  panels[0].series = {{"train_loss", {}}, {"valid_logloss", {}}};
  panels[1].title = "validation AUC / GAUC";
  panels[1].series = {{"valid_auc", {}}, {"valid_gauc", {}}};
  for (const auto& e : r.epochs) {
    panels[0].series[0].values.push_back(e.train_loss);
    panels[0].series[1].values.push_back(e.validation.logloss);
    panels[1].series[0].values.push_back(e.validation.auc);
    panels[1].series[1].values.push_back(e.validation.gauc);
  }
  RETURN_IF_ERROR(WriteCurvesCsv(r.curves_csv, panels));
  return WriteCurvesSvg(r.curves_svg, title, panels);
}

}  // namespace

// Measured on the 2-core target machine with the default DIN (docs/ranker.md): see bench/ranker_vs_pytorch.sh.
int DefaultRankerThreads() { return 1; }

StatusOr<RankerTrainReport> TrainRanker(const RankerTrainConfig& c) {
  RETURN_IF_ERROR(ValidateConfig(c));
  try {
    RankerTrainReport report;
    // Every step allocates and frees the same multi-MB activation tensors; glibc would hand them back to the
    // kernel (mmap/trim) and page-fault them in again (~20% of a DIN step in perf). Keep freed memory instead.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    report.threads = c.threads > 0 ? c.threads : DefaultRankerThreads();
    SetTrainingThreads(report.threads);
    torch::manual_seed(c.seed);
    ASSIGN_OR_RETURN(std::unique_ptr<data::SampleFile> file,
                     data::SampleFile::Open(c.samples_dir + "/" + data::kSampleFileName));
    const size_t n_train = file->samples(data::Split::kTrain).size();
    if (n_train == 0) {
      return InvalidArgumentError(c.samples_dir + ": no training samples (every user has fewer than 2 usable "
                                  "events, or the split puts all samples in validation/test)");
    }
    std::error_code ec;
    std::filesystem::create_directories(c.out_dir, ec);
    if (ec) return InvalidArgumentError(c.out_dir + ": cannot create directory: " + ec.message());

    const data::RankerFeatures features = data::ComputeRankerFeatures(*file);
    report.user_features = c.out_dir + "/" + data::kUserFeatureFile;
    report.item_features = c.out_dir + "/" + data::kItemFeatureFile;
    RETURN_IF_ERROR(data::SaveFeatureTable(features.user, report.user_features));
    RETURN_IF_ERROR(data::SaveFeatureTable(features.item, report.item_features));

    nn::RankerConfig mc;
    mc.kind = c.model;
    mc.num_items = static_cast<int64_t>(file->header().num_items);
    mc.num_cates = static_cast<int64_t>(file->header().num_cates);
    mc.emb_dim = c.emb_dim;
    mc.max_history = file->max_history();
    mc.activation = c.activation;
    mc.attention_softmax = c.attention_softmax;
    mc.pooling = c.pooling;
    mc.seed_features = data::kRankerFeatureDim;
    const bool lazy = c.optimizer == "lazy-adam" && c.model != "seed-mlp";
    mc.sparse_embeddings = lazy;
    ASSIGN_OR_RETURN(std::shared_ptr<nn::RankerModel> model, nn::MakeRanker(mc));

    // Item/category tables with sparse gradients go to LazyAdam, everything else to the dense fused Adam.
    std::vector<torch::Tensor> dense, sparse;
    for (const auto& item : model->named_parameters()) {
      const bool is_sparse_table = lazy && (item.key() == "emb.item.weight" || item.key() == "emb.cate.weight");
      (is_sparse_table ? sparse : dense).push_back(item.value());
    }
    if (lazy && sparse.size() != 2) return InternalError("ranker has no emb.item/emb.cate tables for lazy-adam");
    FusedAdam dense_opt(dense, torch::optim::AdamOptions(c.lr));
    LazyAdam sparse_opt(sparse, {.lr = c.lr, .l2 = c.l2_emb});

    RankerBatcherOptions bo;
    if (c.model == "seed-mlp") bo.user_features = &features.user, bo.item_features = &features.item;
    const RankerBatcher batcher(*file, std::move(bo));
    std::vector<uint32_t> order(n_train);
    for (size_t i = 0; i < n_train; ++i) order[i] = static_cast<uint32_t>(i);
    std::mt19937_64 rng(c.seed);
    const size_t per_epoch = c.train_limit > 0 ? std::min(n_train, static_cast<size_t>(c.train_limit)) : n_train;
    const auto batch = static_cast<size_t>(c.batch_size);
    const int64_t steps = static_cast<int64_t>((per_epoch + batch - 1) / batch);
    report.train_samples = static_cast<int64_t>(per_epoch);
    report.train_examples = report.train_samples * batcher.rows_per_sample();
    report.checkpoint = c.out_dir + "/" + kBestCheckpointFile;
    report.curves_csv = c.out_dir + "/curves.csv";
    report.curves_svg = c.out_dir + "/curves.svg";

    RankerBatchBuffers buf;
    double best = -1, train_seconds = 0;
    int64_t train_rows = 0;
    int since_best = 0;
    for (int epoch = 1; epoch <= c.epochs; ++epoch) {
      model->train();
      std::shuffle(order.begin(), order.end(), rng);
      ProgressBar bar({.label = "epoch " + std::to_string(epoch) + "/" + std::to_string(c.epochs),
                       .total_steps = steps, .unit = "examples", .out = stdout});
      const auto t0 = Clock::now();
      double loss_sum = 0;
      int64_t seen = 0;
      for (int64_t s = 0; s < steps; ++s) {
        const size_t begin = static_cast<size_t>(s) * batch, len = std::min(batch, per_epoch - begin);
        batcher.Fill(data::Split::kTrain, {order.data() + begin, len}, &buf);
        ClearGradients(dense_opt);
        const nn::RankerOutput out = model->Forward(AsRankerBatch(buf));
        const torch::Tensor loss = torch::binary_cross_entropy_with_logits(out.logit, LabelTensor(buf));
        loss.backward();
        dense_opt.step();
        sparse_opt.Step();
        loss_sum += loss.item<double>() * static_cast<double>(buf.rows);
        seen += buf.rows;
        if (c.progress) bar.Update(s + 1, seen, loss_sum / static_cast<double>(seen));
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      if (c.progress) bar.Finish(steps, seen, loss_sum / static_cast<double>(seen));
      if (!std::isfinite(loss_sum)) {
        // A diverged model would be saved and exported as a "valid" model that scores NaN.
        return FailedPreconditionError("training diverged in epoch " + std::to_string(epoch) +
                                       " (the loss is not finite); lower --lr" +
                                       (report.best_epoch > 0 ? "; " + report.checkpoint + " keeps epoch " +
                                                                    std::to_string(report.best_epoch)
                                                              : std::string()));
      }
      train_seconds += seconds;
      train_rows += seen;

      RankerEpochRecord rec{epoch, loss_sum / static_cast<double>(seen),
                            ScoreSplits(*model, batcher, *file, {data::Split::kValidation}, c.eval_batch), seconds,
                            seconds > 0 ? static_cast<double>(seen) / seconds : 0};
      report.epochs.push_back(rec);
      const double crit = Criterion(rec.validation);
      const bool improved = std::isnan(crit) || crit > best;  // no validation split: keep the latest model
      if (improved) {
        best = std::isnan(crit) ? best : crit;
        report.best_epoch = epoch;
        report.best_validation = rec.validation;
        since_best = 0;
        RETURN_IF_ERROR(nn::SaveRanker(*model, report.checkpoint));
      } else {
        ++since_best;
      }
      if (c.progress) {
        std::printf("epoch %d/%d: train loss %s | valid auc %s gauc %s logloss %s | %.1fs%s\n", epoch, c.epochs,
                    Fmt(rec.train_loss).c_str(), Fmt(rec.validation.auc).c_str(), Fmt(rec.validation.gauc).c_str(),
                    Fmt(rec.validation.logloss).c_str(), seconds, improved ? " (best)" : "");
        std::fflush(stdout);
      }
      if (c.patience > 0 && since_best >= c.patience && epoch < c.epochs) {
        report.stopped_early = true;
        RECO_LOG_INFO("early stop after epoch {}: no better validation GAUC for {} epochs", epoch, since_best);
        break;
      }
    }
    report.examples_per_second = train_seconds > 0 ? static_cast<double>(train_rows) / train_seconds : 0;

    ASSIGN_OR_RETURN(std::shared_ptr<nn::RankerModel> best_model, nn::LoadRanker(report.checkpoint));
    report.test = ScoreSplits(*best_model, batcher, *file, {data::Split::kTest}, c.eval_batch);
    RETURN_IF_ERROR(WriteCurves(report, c.model + " ranker on " + c.samples_dir));
    return report;
  } catch (const c10::Error& e) {
    return InternalError(std::string("ranker training failed: ") + e.what_without_backtrace());
  }
}

}  // namespace reco::train
