// What the elementwise-epilogue fusion buys: a DIN-style attention unit (factored first layer 16 -> 80 with
// broadcast history/target terms, Dice, 80 -> 40, Dice, 40 -> 1) over `rows` (candidate x history position)
// rows, run by the engine with fusion on and off in the same process. Prints CPU time per run (median of thread
// CPU time, which ignores time the scheduler gives other processes) and the ratio fused / unfused.
// Usage: engine_fusion_bench [candidates=500] [hist_len=10] [runs=200]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/session.h"
#include "engine/tiny_model.h"  // tests/engine: builds small ONNX models in memory

namespace {

using reco::engine::DType;
using reco::engine::NamedView;
using reco::engine::Shape;
using reco::engine::Tensor;

using reco::engine::testing::AddDiceChain;
using reco::engine::testing::RandomFloats;

std::string AttentionUnit(int len) {
  const int e = 16, a0 = 80, a1 = 40;
  reco::engine::testing::TinyModel m;
  m.Input("prod", DType::kFloat32, {-1, len, e})
      .Input("hist_term", DType::kFloat32, {1, len, a0})
      .Input("tgt_term", DType::kFloat32, {-1, 1, a0})
      .Init<float>("w0", {e, a0}, RandomFloats(e * a0, 1))
      .Init<float>("w1", {a0, a1}, RandomFloats(a0 * a1, 2))
      .Init<float>("b1", {a1}, RandomFloats(a1, 3))
      .Init<float>("w2", {a1, 1}, RandomFloats(a1, 4))
      .Node("MatMul", {"prod", "w0"}, {"p0"})
      .Node("Add", {"p0", "hist_term"}, {"s0"})
      .Node("Add", {"s0", "tgt_term"}, {"z0"});
  AddDiceChain(m, "z0", "d0", a0, 10);
  m.Node("MatMul", {"d0", "w1"}, {"p1"}).Node("Add", {"p1", "b1"}, {"z1"});
  AddDiceChain(m, "z1", "d1", a1, 20);
  m.Node("MatMul", {"d1", "w2"}, {"score"}).Output("score", DType::kFloat32, {-1, len, 1});
  return m.Bytes();
}

double CpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  const int cands = argc > 1 ? std::atoi(argv[1]) : 500;
  const int len = argc > 2 ? std::atoi(argv[2]) : 10;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 200;
  if (cands < 1 || len < 1 || runs < 1) {
    std::fprintf(stderr, "usage: engine_fusion_bench [candidates>=1] [hist_len>=1] [runs>=1]\n");
    return 2;
  }
  const std::string bytes = AttentionUnit(len);
  Tensor prod = Tensor::FromVector<float>(Shape{cands, len, 16}, RandomFloats(size_t(cands) * len * 16, 5));
  Tensor hist = Tensor::FromVector<float>(Shape{1, len, 80}, RandomFloats(size_t(len) * 80, 6));
  Tensor tgt = Tensor::FromVector<float>(Shape{cands, 1, 80}, RandomFloats(size_t(cands) * 80, 7));
  const NamedView in[] = {{"prod", prod.view()}, {"hist_term", hist.view()}, {"tgt_term", tgt.view()}};
  double med[2] = {0, 0};
  // Alternate fused/unfused rounds so load from other processes hits both alike; keep each side's best median.
  for (int round = 0; round < 3; ++round) {
    for (int fused = 1; fused >= 0; --fused) {
      reco::engine::SessionOptions o;
      o.fusion = fused == 1;
      auto s = reco::engine::Session::LoadFromBytes(bytes, o);
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
        return 1;
      }
      reco::engine::RunContext ctx;
      for (int i = 0; i < 5; ++i) (void)(*s)->Run(in, &ctx);
      std::vector<double> us(runs);
      for (int i = 0; i < runs; ++i) {
        const double t0 = CpuMicros();
        auto st = (*s)->Run(in, &ctx);
        us[i] = CpuMicros() - t0;
        if (!st.ok()) {
          std::fprintf(stderr, "%s\n", st.ToString().c_str());
          return 1;
        }
      }
      std::sort(us.begin(), us.end());
      const double m = us[us.size() / 2];
      if (round == 0 || m < med[fused]) med[fused] = m;
    }
  }
  std::printf("attention unit, %d candidates x %d positions: fused %.1f us, unfused %.1f us (CPU median, best of 3), "
              "fused/unfused %.2f\n",
              cands, len, med[1], med[0], med[1] / med[0]);
  return 0;
}
