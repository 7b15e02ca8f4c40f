// Where a DIN training step of `reco train-ranker` spends its time: batch fill, forward, backward, dense Adam,
// LazyAdam, in wall and thread-CPU milliseconds per step, on a samples.bin built by reco (bench/ranker_vs_pytorch.sh
// keeps one under its run folder). Same model, optimizers and malloc settings as TrainRanker.
// Usage: ranker_step_bench SAMPLES_BIN [--steps N] [--batch B] [--threads T] [--op-attention] [--per-row]
//        [--trace FILE]   (LibTorch's legacy profiler: a chrome trace of every op of the timed steps)
#include <malloc.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>

#include "data/samples_file.h"
#include "nn/din.h"
#include "nn/ranker.h"
#include "train/fused_adam.h"
#include "train/lazy_adam.h"
#include "train/ranker_batch.h"
#include "train/ranker_tensors.h"
#include "train/threads.h"

namespace {

double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}
double WallMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Phase {
  const char* name;
  double wall = 0, cpu = 0;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace reco;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SAMPLES_BIN [--steps N] [--batch B] [--threads T] [--op-attention] [--per-row]\n",
                 argv[0]);
    return 2;
  }
  int steps = 32, batch = 256, threads = 1;
  bool op_attention = false, per_row = false;
  std::string trace;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--steps" && i + 1 < argc) steps = std::stoi(argv[++i]);
    else if (a == "--batch" && i + 1 < argc) batch = std::stoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (a == "--op-attention") op_attention = true;
    else if (a == "--per-row") per_row = true;
    else if (a == "--trace" && i + 1 < argc) trace = argv[++i];
  }
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // as TrainRanker
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  train::SetTrainingThreads(threads);
  torch::manual_seed(1);
  auto file = data::SampleFile::Open(argv[1]);
  if (!file.ok()) {
    std::fprintf(stderr, "%s\n", file.status().ToString().c_str());
    return 1;
  }
  nn::RankerConfig mc;
  mc.num_items = static_cast<int64_t>((*file)->header().num_items);
  mc.num_cates = static_cast<int64_t>((*file)->header().num_cates);
  mc.max_history = (*file)->max_history();
  mc.sparse_embeddings = true;
  std::shared_ptr<nn::RankerModel> model = *nn::MakeRanker(mc);
  dynamic_cast<nn::DinRanker&>(*model).set_fused_attention(!op_attention);
  std::vector<torch::Tensor> dense, sparse;
  for (const auto& item : model->named_parameters()) {
    (item.key() == "emb.item.weight" || item.key() == "emb.cate.weight" ? sparse : dense).push_back(item.value());
  }
  train::FusedAdam dense_opt(dense, torch::optim::AdamOptions(1e-3));
  train::LazyAdam sparse_opt(sparse, {.lr = 1e-3});
  train::RankerBatcherOptions bo;
  bo.group_histories = !per_row;
  const train::RankerBatcher batcher(**file, std::move(bo));
  const size_t n_train = (*file)->samples(data::Split::kTrain).size();
  std::vector<uint32_t> order(n_train);
  for (size_t i = 0; i < n_train; ++i) order[i] = static_cast<uint32_t>(i);
  std::mt19937_64 rng(42);
  std::shuffle(order.begin(), order.end(), rng);

  Phase ph[5] = {{"batch fill"}, {"forward"}, {"backward"}, {"dense adam"}, {"lazy adam"}};
  train::RankerBatchBuffers buf;
  model->train();
  int64_t rows = 0;
  double loss_sum = 0;
  const int warmup = 3;
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  for (int s = 0; s < steps + warmup; ++s) {
    if (s == warmup && !trace.empty()) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(trace);
    double w = WallMs(), c = CpuMs();
    auto lap = [&](int i) {
      const double w2 = WallMs(), c2 = CpuMs();
      if (s >= warmup) ph[i].wall += w2 - w, ph[i].cpu += c2 - c;
      w = w2, c = c2;
    };
    const size_t begin = (static_cast<size_t>(s) * batch) % (n_train - batch);
    batcher.Fill(data::Split::kTrain, {order.data() + begin, static_cast<size_t>(batch)}, &buf);
    train::ClearGradients(dense_opt);
    lap(0);
    const nn::RankerOutput out = model->Forward(train::AsRankerBatch(buf));
    const torch::Tensor loss = torch::binary_cross_entropy_with_logits(out.logit, train::LabelTensor(buf));
    lap(1);
    loss.backward();
    lap(2);
    dense_opt.step();
    lap(3);
    sparse_opt.Step();
    lap(4);
    loss_sum += loss.item<double>();
    if (s >= warmup) rows += buf.rows;
  }
  profile.reset();
  double wall = 0, cpu = 0;
  std::printf("%d steps of %d samples (%s histories, %s attention, %d thread(s)), ms/step:\n", steps, batch,
              per_row ? "per-row" : "grouped", op_attention ? "op-by-op" : "fused", threads);
  for (const Phase& p : ph) {
    std::printf("  %-11s wall %7.2f  cpu %7.2f\n", p.name, p.wall / steps, p.cpu / steps);
    wall += p.wall, cpu += p.cpu;
  }
  std::printf("  %-11s wall %7.2f  cpu %7.2f  -> %.0f examples/s wall, %.0f examples/CPU-s\n", "total",
              wall / steps, cpu / steps, rows / wall * 1e3, rows / cpu * 1e3);
  std::printf("  mean training loss over the %d steps: %.6f\n", steps + warmup, loss_sum / (steps + warmup));
  return 0;
}
