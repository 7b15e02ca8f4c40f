// recommender_rank_bench: what one recommend request's ranking stage costs, in-process, one thread, as the
// online service runs it (ModelInputs::Build -> RankerModel::Run -> ReadModelOutputs), per history length fed.
//
//   recommender_rank_bench MODEL_VERSION_DIR [--batch 500] [--runs 50] [--lengths 1,4,8,10,16,32,50]
//
// For each history length n it prints the first run at that shape (which builds the engine's execution plan) and
// the median / p99 of the warm runs, split into input building, the engine run, and reading the outputs (thread
// CPU time, so other processes on the machine do not inflate it). This is
// the data behind HistoryBucket() in online/ranking/model_inputs.h: padding the history costs engine time in
// proportion to the padded length, a plan costs its build time once per distinct shape.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "online/ranking/model_inputs.h"
#include "online/ranking/ranker_model.h"

namespace reco::online::ranking {
namespace {

// Thread CPU time, not wall time: on a machine shared with other work, wall time measures the scheduler.
struct Clock {
  using time_point = double;  // ms
  static double now() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
  }
};

double Ms(double d) { return d; }

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_VERSION_DIR [--batch B] [--runs R] [--lengths 1,8,16]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  int batch = 500, runs = 50;
  std::vector<int64_t> lengths = {1, 4, 8, 10, 12, 16, 24, 32, 50};
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--batch") batch = std::atoi(argv[i + 1]);
    else if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    else if (flag == "--lengths") {
      lengths.clear();
      std::stringstream list(argv[i + 1]);
      for (std::string item; std::getline(list, item, ',');) lengths.push_back(std::atoll(item.c_str()));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  RankerLoadOptions load;
  load.onnx.warm_up = false;
  StatusOr<std::shared_ptr<const RankerModel>> loaded = LoadRankerModel(dir, load);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
    return 1;
  }
  const RankerModel& model = **loaded;
  std::vector<std::string> names;
  for (const serving::TensorInfo& in : model.inputs()) names.push_back(in.name);
  std::vector<std::string> outputs = {std::string(kProb)};
  if (model.has_attention()) outputs.emplace_back(kAttention);
  const int64_t L = model.manifest().max_history;
  std::printf("model %s: max_history %lld, dynamic history axis: %s, %d candidates (fed as %lld)\n", dir.c_str(),
              static_cast<long long>(L), model.dynamic_history() ? "yes" : "no", batch,
              static_cast<long long>(PaddedBatch(batch)));
  std::printf("%8s %8s %10s %10s %10s %10s %10s %10s\n", "history", "fed_as", "first_ms", "build_ms", "run_p50",
              "run_p99", "read_ms", "total_p50");

  std::vector<uint64_t> hist_item, hist_cate, targets, target_cates;
  std::vector<data::BehaviorType> hist_type;
  std::vector<int64_t> hist_time;
  for (int b = 0; b < batch; ++b) targets.push_back(5000 + b), target_cates.push_back(1 + b % 98);
  ModelInputs inputs;
  std::vector<serving::NamedTensor> out;
  RankResult result;
  const int64_t now = 1'700'000'000;
  for (int64_t n : lengths) {
    hist_item.clear(), hist_cate.clear(), hist_type.clear(), hist_time.clear();
    for (int64_t j = 0; j < n; ++j) {
      hist_item.push_back(5000 + static_cast<uint64_t>(j) * 7), hist_cate.push_back(1 + j % 98);
      hist_type.push_back(data::BehaviorType::kPv), hist_time.push_back(now - 60 * (n - j));
    }
    const RankRequest request{hist_item, hist_cate, hist_type, hist_time, targets, target_cates, now};
    std::vector<double> build_ms, run_ms, read_ms, total_ms;
    double first = 0;
    for (int r = 0; r <= runs; ++r) {
      const Clock::time_point t0 = Clock::now();
      Status s = inputs.Build(model, names, request);
      const Clock::time_point t1 = Clock::now();
      if (s.ok()) s = model.Run(inputs.tensors(), outputs, &out);
      const Clock::time_point t2 = Clock::now();
      if (s.ok()) {
        s = ReadModelOutputs(out[0].tensor, model.has_attention() ? &out[1].tensor : nullptr, batch, inputs, &result);
      }
      const Clock::time_point t3 = Clock::now();
      if (!s.ok()) {
        std::fprintf(stderr, "history %lld: %s\n", static_cast<long long>(n), s.ToString().c_str());
        return 1;
      }
      if (r == 0) {
        first = Ms(t3 - t0);
        continue;
      }
      build_ms.push_back(Ms(t1 - t0)), run_ms.push_back(Ms(t2 - t1)), read_ms.push_back(Ms(t3 - t2));
      total_ms.push_back(Ms(t3 - t0));
    }
    std::printf("%8lld %8lld %10.2f %10.3f %10.2f %10.2f %10.3f %10.2f\n", static_cast<long long>(n),
                static_cast<long long>(inputs.max_history()), first, Percentile(build_ms, 0.5),
                Percentile(run_ms, 0.5), Percentile(run_ms, 0.99), Percentile(read_ms, 0.5),
                Percentile(total_ms, 0.5));
  }
  return 0;
}

}  // namespace
}  // namespace reco::online::ranking

int main(int argc, char** argv) { return reco::online::ranking::Main(argc, argv); }
