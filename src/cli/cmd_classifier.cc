// reco train-classifier | evaluate-classifier | predict-classifier
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/metrics_json.h"
#include "train/classifier_trainer.h"

namespace reco::cli {
namespace {

constexpr const char* kDataHelp = "folder with MNIST-format IDX files (raw or .gz), e.g. Fashion-MNIST";

RunFn SetupTrain(CLI::App& sub) {
  auto cfg = std::make_shared<train::ClassifierTrainConfig>();
  auto metrics_json = std::make_shared<std::string>();
  sub.add_option("--data", cfg->data_dir, kDataHelp)->capture_default_str();
  sub.add_option("--model", cfg->model, "mlp (784-128-64-10) or cnn")
      ->check(CLI::IsMember({"mlp", "cnn"}))
      ->capture_default_str();
  sub.add_option("--epochs", cfg->epochs, "training epochs")->check(CLI::Range(1, 100000))->capture_default_str();
  sub.add_option("--batch-size", cfg->batch_size, "mini-batch size")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  sub.add_option("--lr", cfg->lr, "Adam learning rate")->check(kPositive)->capture_default_str();
  sub.add_option("--threads", cfg->threads, "LibTorch threads (0 = measured best: 1 on this machine for both models)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  sub.add_option("--seed", cfg->seed, "random seed")->capture_default_str();
  sub.add_option("--out", cfg->out, "checkpoint to write (model + optimizer; rewritten every epoch)")
      ->capture_default_str();
  sub.add_option("--resume", cfg->resume, "continue training from this checkpoint");
  sub.add_option("--curves-csv", cfg->curves_csv, "per-epoch curves CSV (default: <out>.curves.csv)");
  sub.add_option("--curves-svg", cfg->curves_svg, "per-epoch curves plot (default: <out>.curves.svg)");
  sub.add_option("--limit", cfg->train_limit, "use only the first N training samples (0 = all)")
      ->check(kNonNegative);
  sub.add_option("--test-limit", cfg->test_limit, "use only the first N test samples (0 = all)")
      ->check(kNonNegative);
  sub.add_option("--metrics-json", *metrics_json, "write final metrics as JSON to this file ('-' = stdout)");
  sub.add_flag("--no-progress{false}", cfg->progress, "no progress bar");
  return [cfg, metrics_json]() -> Status {
    ASSIGN_OR_RETURN(train::ClassifierTrainReport r, train::TrainClassifier(*cfg));
    std::printf("test accuracy %.4f, test loss %.4f, %.0f samples/s, %d thread(s)\n", r.test_accuracy, r.test_loss,
                r.samples_per_second, r.threads);
    std::printf("wrote %s, %s, %s\n", r.checkpoint.c_str(), r.curves_csv.c_str(), r.curves_svg.c_str());
    std::vector<double> epoch_seconds, test_acc;
    for (const auto& e : r.epochs) epoch_seconds.push_back(e.seconds), test_acc.push_back(e.test_accuracy);
    return WriteMetricsJson(*metrics_json, {{"model", cfg->model},
                                            {"test_accuracy", r.test_accuracy},
                                            {"test_loss", r.test_loss},
                                            {"epochs", static_cast<int64_t>(r.epochs.size())},
                                            {"epoch_seconds", epoch_seconds},
                                            {"epoch_test_accuracy", test_acc},
                                            {"samples_per_second", r.samples_per_second},
                                            {"threads", static_cast<int64_t>(r.threads)},
                                            {"checkpoint", r.checkpoint}});
  };
}

RunFn SetupEvaluate(CLI::App& sub) {
  struct Args {
    std::string checkpoint, data = "/usr/share/datasets/fashion-mnist", metrics_json;
    int64_t limit = 0;
    int threads = 0;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("--checkpoint", a->checkpoint, "checkpoint written by train-classifier")->required();
  sub.add_option("--data", a->data, kDataHelp)->capture_default_str();
  sub.add_option("--limit", a->limit, "evaluate only the first N test samples (0 = all)")->check(kNonNegative);
  sub.add_option("--threads", a->threads, "LibTorch threads (0 = default for the model)")->check(CLI::Range(0, 1024));
  sub.add_option("--metrics-json", a->metrics_json, "write metrics as JSON to this file ('-' = stdout)");
  return [a]() -> Status {
    ASSIGN_OR_RETURN(train::ClassifierEvalReport r, train::EvaluateClassifier(a->checkpoint, a->data, a->limit,
                                                                              a->threads));
    std::printf("test accuracy %.4f, test loss %.4f on %lld samples (%.2fs)\n", r.accuracy, r.loss,
                static_cast<long long>(r.samples), r.seconds);
    return WriteMetricsJson(a->metrics_json, {{"test_accuracy", r.accuracy},
                                              {"test_loss", r.loss},
                                              {"samples", r.samples},
                                              {"seconds", r.seconds}});
  };
}

RunFn SetupPredict(CLI::App& sub) {
  struct Args {
    std::string checkpoint, data = "/usr/share/datasets/fashion-mnist";
    int64_t index = 0;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("--checkpoint", a->checkpoint, "checkpoint written by train-classifier")->required();
  sub.add_option("--data", a->data, kDataHelp)->capture_default_str();
  sub.add_option("--index", a->index, "index of the test image to classify")->capture_default_str();
  return [a]() -> Status {
    ASSIGN_OR_RETURN(train::ClassifierPrediction p, train::PredictClassifier(a->checkpoint, a->data, a->index));
    std::printf("image %lld: %s (class %d, probability %.4f); true label: %s (class %d)\n",
                static_cast<long long>(p.index), p.class_name.c_str(), p.label, p.probability,
                p.true_class_name.c_str(), p.true_label);
    return Status::Ok();
  };
}

}  // namespace

RECO_REGISTER_COMMAND(train_classifier, "train-classifier",
                      "train an image classifier (MLP or CNN) on MNIST-format data", SetupTrain, 10);
RECO_REGISTER_COMMAND(evaluate_classifier, "evaluate-classifier", "evaluate a classifier checkpoint on the test set",
                      SetupEvaluate, 11);
RECO_REGISTER_COMMAND(predict_classifier, "predict-classifier", "classify one test image with a checkpoint",
                      SetupPredict, 12);

}  // namespace reco::cli
