// Sequential::fit / evaluate / predict: the training loop, losses and metrics.
//
// Speed: the dataset stays two whole tensors; each epoch permutes them once (data::ShuffledBatches) and every
// batch is a zero-copy contiguous slice. Gradients are dropped (set to none) rather than zeroed, and the running
// numbers for the progress bar are read once per batch.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "core/progress_bar.h"
#include "data/mnist.h"
#include "nn/keras/internal.h"

namespace reco::keras {
namespace {

using internal::CatchTorch;
using internal::ShapeString;

constexpr double kProbEpsilon = 1e-7;  // Keras's clip for probability inputs to cross-entropy

bool IsSparse(const LossSpec& loss) { return loss.name == "sparse_categorical_crossentropy"; }

enum class MetricKind { kSparseCategoricalAccuracy, kBinaryAccuracy };
struct Metric {
  std::string name;
  MetricKind kind;
};

StatusOr<std::vector<Metric>> ResolveMetrics(const Metrics& names, const LossSpec& loss) {
  std::vector<Metric> out;
  for (const auto& name : names) {
    MetricKind kind = IsSparse(loss) ? MetricKind::kSparseCategoricalAccuracy : MetricKind::kBinaryAccuracy;
    if (name == "sparse_categorical_accuracy") kind = MetricKind::kSparseCategoricalAccuracy;
    if (name == "binary_accuracy") kind = MetricKind::kBinaryAccuracy;
    if (kind == MetricKind::kSparseCategoricalAccuracy && !IsSparse(loss)) {
      return InvalidArgumentError("metric '" + name + "' needs integer class labels (sparse_categorical_crossentropy)");
    }
    if (kind == MetricKind::kBinaryAccuracy && IsSparse(loss)) {
      return InvalidArgumentError("metric '" + name + "' needs 0/1 targets (binary_crossentropy)");
    }
    out.push_back({name, kind});
  }
  return out;
}

// Casts inputs to float32 (as Keras casts to floatx) and checks them against the model.
StatusOr<torch::Tensor> PrepareInputs(Sequential::Impl& m, const at::Tensor& x, std::string_view what) {
  RETURN_IF_ERROR(m.CheckInput(x, what));
  if (x.size(0) == 0) return InvalidArgumentError(std::string(what) + ": no samples");
  return x.scalar_type() == torch::kFloat ? x.contiguous() : x.to(torch::kFloat).contiguous();
}

// Turns y into what the loss needs: int64 class ids [N] for sparse CE, float targets shaped like the output
// ([N, out...]) for BCE. Out-of-range labels are an error here rather than a LibTorch assertion deep in nll_loss.
StatusOr<torch::Tensor> PrepareLabels(const Sequential::Impl& m, const at::Tensor& y, int64_t n,
                                      std::string_view what) {
  const std::string w(what);
  if (!y.defined()) return InvalidArgumentError(w + ": labels tensor is undefined");
  if (y.dim() == 0 || y.size(0) != n) {
    return InvalidArgumentError(w + ": " + std::to_string(n) + " inputs but labels of shape " +
                                ShapeString(y.sizes().vec()));
  }
  const std::vector<int64_t> out_shape =
      m.infos.empty() ? m.input_shape : m.infos.back().output_shape;
  if (IsSparse(m.loss_spec)) {
    if (out_shape.size() != 1 || out_shape[0] < 2) {
      return InvalidArgumentError(w + ": sparse_categorical_crossentropy needs a [classes] output per sample, model "
                                  "outputs " + ShapeString(out_shape));
    }
    torch::Tensor labels = y.dim() == 2 && y.size(1) == 1 ? y.squeeze(1) : y;
    if (labels.dim() != 1) {
      return InvalidArgumentError(w + ": sparse labels must be [N] class ids, got " +
                                  ShapeString(y.sizes().vec()));
    }
    labels = labels.to(torch::kLong).contiguous();
    const int64_t lo = labels.min().item<int64_t>(), hi = labels.max().item<int64_t>();
    if (lo < 0 || hi >= out_shape[0]) {
      return InvalidArgumentError(w + ": labels must be in [0, " + std::to_string(out_shape[0]) + "), found " +
                                  std::to_string(lo < 0 ? lo : hi));
    }
    return labels;
  }
  int64_t per_sample = 1;
  for (int64_t d : out_shape) per_sample *= d;
  if (y.numel() != n * per_sample) {
    return InvalidArgumentError(w + ": binary targets of shape " + ShapeString(y.sizes().vec()) +
                                " do not match the model output " + ShapeString(out_shape) + " per sample");
  }
  std::vector<int64_t> full = {n};
  full.insert(full.end(), out_shape.begin(), out_shape.end());
  torch::Tensor targets = y.to(torch::kFloat).reshape(full).contiguous();
  if (targets.min().item<float>() < 0.0f || targets.max().item<float>() > 1.0f) {
    return InvalidArgumentError(w + ": binary_crossentropy targets must be in [0, 1]");
  }
  return targets;
}

torch::Tensor LossOf(const LossSpec& loss, const torch::Tensor& out, const torch::Tensor& y) {
  if (IsSparse(loss)) {
    if (loss.from_logits) return torch::cross_entropy_loss(out, y);
    return torch::nll_loss(torch::log(out.clamp(kProbEpsilon, 1.0 - kProbEpsilon)), y);
  }
  if (loss.from_logits) return torch::binary_cross_entropy_with_logits(out, y);
  return torch::binary_cross_entropy(out.clamp(kProbEpsilon, 1.0 - kProbEpsilon), y);
}

// Number of correct predictions in a batch (and, through `units`, how many predictions one sample makes).
int64_t CorrectCount(const Metric& metric, const LossSpec& loss, const torch::Tensor& out, const torch::Tensor& y) {
  if (metric.kind == MetricKind::kSparseCategoricalAccuracy) return out.argmax(-1).eq(y).sum().item<int64_t>();
  // Logits are thresholded at 0, probabilities at 0.5: the same decision.
  const torch::Tensor predicted = loss.from_logits ? out.gt(0.0) : out.gt(0.5);
  return predicted.eq(y.gt(0.5)).sum().item<int64_t>();
}

int64_t PredictionsPerSample(const Metric& metric, const torch::Tensor& y) {
  return metric.kind == MetricKind::kSparseCategoricalAccuracy ? 1 : y.numel() / std::max<int64_t>(1, y.size(0));
}

// Loss and metrics over (x, y) in eval mode without autograd.
EvalResult EvaluatePrepared(Sequential::Impl& m, const std::vector<Metric>& metrics, const torch::Tensor& x,
                            const torch::Tensor& y, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  m.root->eval();
  const int64_t n = x.size(0);
  double loss_sum = 0.0;
  std::vector<int64_t> correct(metrics.size(), 0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t len = std::min(batch_size, n - start);
    const torch::Tensor xb = x.narrow(0, start, len), yb = y.narrow(0, start, len);
    const torch::Tensor out = m.Forward(xb);
    loss_sum += LossOf(m.loss_spec, out, yb).item<double>() * static_cast<double>(len);
    for (size_t i = 0; i < metrics.size(); ++i) correct[i] += CorrectCount(metrics[i], m.loss_spec, out, yb);
  }
  EvalResult r;
  r.loss = loss_sum / static_cast<double>(n);
  for (size_t i = 0; i < metrics.size(); ++i) {
    r.metrics[metrics[i].name] =
        static_cast<double>(correct[i]) / static_cast<double>(n * PredictionsPerSample(metrics[i], y));
  }
  return r;
}

Status CheckCompiled(const Sequential::Impl& m, std::string_view what) {
  RETURN_IF_ERROR(m.status);
  if (!m.compiled) {
    return FailedPreconditionError(std::string(what) + ": the model must be compiled first (call compile())");
  }
  return Status::Ok();
}

void PrintEpochLine(int epoch, int epochs, const History& h, bool has_val) {
  std::string line = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs) + ": ";
  char buf[64];
  auto add = [&](const std::string& name, double v) {
    std::snprintf(buf, sizeof buf, "%s %.4f - ", name.c_str(), v);
    line += buf;
  };
  add("loss", h.loss.back());
  for (const auto& [name, v] : h.metrics) add(name, v.back());
  if (has_val) {
    add("val_loss", h.val_loss.back());
    for (const auto& [name, v] : h.val_metrics) add("val_" + name, v.back());
  }
  line += FormatDuration(h.epoch_seconds.back());
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

StatusOr<History> Fit(Sequential::Impl& m, const at::Tensor& x, const at::Tensor& y, const FitOptions& opt) {
  RETURN_IF_ERROR(CheckCompiled(m, "fit"));
  if (opt.epochs < 0) return InvalidArgumentError("fit: epochs must be >= 0");
  if (opt.batch_size < 1) return InvalidArgumentError("fit: batch_size must be >= 1");
  if (!(opt.validation_split >= 0.0 && opt.validation_split < 1.0)) {
    return InvalidArgumentError("fit: validation_split must be in [0, 1)");
  }
  ASSIGN_OR_RETURN(torch::Tensor xs, PrepareInputs(m, x, "fit"));
  const int64_t n = xs.size(0);
  ASSIGN_OR_RETURN(torch::Tensor ys, PrepareLabels(m, y, n, "fit"));
  ASSIGN_OR_RETURN(std::vector<Metric> metrics, ResolveMetrics(m.metrics, m.loss_spec));

  // Validation data: explicit, or the last fraction of (x, y) before any shuffling (as Keras does).
  torch::Tensor xv, yv, xt = xs, yt = ys;
  if (opt.validation_data.x.defined() || opt.validation_data.y.defined()) {
    ASSIGN_OR_RETURN(xv, PrepareInputs(m, opt.validation_data.x, "fit: validation_data"));
    ASSIGN_OR_RETURN(yv, PrepareLabels(m, opt.validation_data.y, xv.size(0), "fit: validation_data"));
  } else if (opt.validation_split > 0.0) {
    const int64_t n_train = static_cast<int64_t>(static_cast<double>(n) * (1.0 - opt.validation_split));
    if (n_train < 1 || n_train >= n) {
      return InvalidArgumentError("fit: validation_split " + std::to_string(opt.validation_split) + " of " +
                                  std::to_string(n) + " samples leaves an empty training or validation set");
    }
    xt = xs.narrow(0, 0, n_train);
    yt = ys.narrow(0, 0, n_train);
    xv = xs.narrow(0, n_train, n - n_train);
    yv = ys.narrow(0, n_train, n - n_train);
  }
  const bool has_val = xv.defined();

  data::ShuffledBatches batches(xt, yt, opt.batch_size, opt.seed, opt.shuffle);
  const int64_t n_train = xt.size(0), steps = batches.num_batches();
  History h;
  for (int epoch = 0; epoch < opt.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    m.root->train();
    batches.StartEpoch();
    std::optional<ProgressBar> bar;
    if (opt.verbose == 1) {
      bar.emplace(ProgressBar::Options{
          .label = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(opt.epochs),
          .total_steps = steps,
          .metric_name = metrics.empty() ? "" : metrics[0].name});
    }
    double loss_sum = 0.0;
    std::vector<int64_t> correct(metrics.size(), 0);
    int64_t seen = 0, predictions = 0;
    for (int64_t step = 0; step < steps; ++step) {
      auto [xb, yb] = batches.Batch(step);
      for (auto& group : m.optimizer->param_groups()) {
        for (auto& p : group.params()) {
          if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
        }
      }
      const torch::Tensor out = m.Forward(xb);
      torch::Tensor loss = LossOf(m.loss_spec, out, yb);
      loss.backward();
      m.optimizer->step();
      const int64_t len = xb.size(0);
      seen += len;
      loss_sum += loss.item<double>() * static_cast<double>(len);
      const torch::Tensor detached = out.detach();
      for (size_t i = 0; i < metrics.size(); ++i) correct[i] += CorrectCount(metrics[i], m.loss_spec, detached, yb);
      if (!metrics.empty()) predictions += len * PredictionsPerSample(metrics[0], yb);
      if (bar) {
        const double running = predictions ? static_cast<double>(correct[0]) / static_cast<double>(predictions) : 0.0;
        bar->Update(step + 1, seen, loss_sum / static_cast<double>(seen), running);
      }
    }
    h.loss.push_back(loss_sum / static_cast<double>(n_train));
    for (size_t i = 0; i < metrics.size(); ++i) {
      h.metrics[metrics[i].name].push_back(
          static_cast<double>(correct[i]) / static_cast<double>(n_train * PredictionsPerSample(metrics[i], yt)));
    }
    if (bar) {
      bar->Finish(steps, seen, h.loss.back(), metrics.empty() ? 0.0 : h.metrics[metrics[0].name].back());
    }
    if (has_val) {
      const EvalResult v = EvaluatePrepared(m, metrics, xv, yv, opt.batch_size);
      h.val_loss.push_back(v.loss);
      for (const auto& [name, value] : v.metrics) h.val_metrics[name].push_back(value);
    }
    h.epoch_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (opt.verbose == 2 || (opt.verbose == 1 && has_val)) PrintEpochLine(epoch, opt.epochs, h, has_val);
  }
  m.root->eval();
  return h;
}

}  // namespace

StatusOr<History> Sequential::fit(const at::Tensor& x, const at::Tensor& y, const FitOptions& options) {
  return CatchTorch("fit", [&] { return Fit(*impl_, x, y, options); });
}

StatusOr<EvalResult> Sequential::evaluate(const at::Tensor& x, const at::Tensor& y, int64_t batch_size) {
  return CatchTorch("evaluate", [&]() -> StatusOr<EvalResult> {
    Impl& m = *impl_;
    RETURN_IF_ERROR(CheckCompiled(m, "evaluate"));
    if (batch_size < 1) return InvalidArgumentError("evaluate: batch_size must be >= 1");
    ASSIGN_OR_RETURN(torch::Tensor xs, PrepareInputs(m, x, "evaluate"));
    ASSIGN_OR_RETURN(torch::Tensor ys, PrepareLabels(m, y, xs.size(0), "evaluate"));
    ASSIGN_OR_RETURN(std::vector<Metric> metrics, ResolveMetrics(m.metrics, m.loss_spec));
    return EvaluatePrepared(m, metrics, xs, ys, batch_size);
  });
}

StatusOr<at::Tensor> Sequential::predict(const at::Tensor& x, int64_t batch_size) {
  return CatchTorch("predict", [&]() -> StatusOr<at::Tensor> {
    Impl& m = *impl_;
    RETURN_IF_ERROR(m.status);
    if (batch_size < 1) return InvalidArgumentError("predict: batch_size must be >= 1");
    ASSIGN_OR_RETURN(torch::Tensor xs, PrepareInputs(m, x, "predict"));
    torch::NoGradGuard no_grad;
    m.root->eval();
    std::vector<torch::Tensor> outs;
    for (int64_t start = 0; start < xs.size(0); start += batch_size) {
      outs.push_back(m.Forward(xs.narrow(0, start, std::min(batch_size, xs.size(0) - start))));
    }
    return outs.size() == 1 ? outs[0] : torch::cat(outs);
  });
}

}  // namespace reco::keras
