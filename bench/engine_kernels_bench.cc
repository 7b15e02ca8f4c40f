// Backs the engine's GEMM/Conv backend choices with numbers (see src/engine/kernels/gemm_backend.cc, conv.cc).
//
// BM_Sgemm/<path>/M/N/K runs one Sgemm with a forced path (0 direct, 1 OpenBLAS, 2 oneDNN sgemm) and the one
// ChooseGemmPath picks (3 auto) on the shapes of the models the engine must be fast on:
//   MLP 784->128->64->10 and a 64->1 head at batch 1/100/1000; DIN attention MLP (B*L rows, 64->80->40,
//   L = 20); the CNN's per-image conv GEMMs (im2col).
// BM_SgemmPacked/M/N/K runs SgemmPacked (B packed once, as for a constant weight) on the same shapes;
// BM_SgemmPackedPRelu compares an elementwise op fused into its row-block epilogue with a separate pass.
// BM_ConvEngine runs the engine's Conv kernel (a one-node Session: im2col + Sgemm, bias, planned scratch);
// BM_ConvDnnl runs oneDNN's convolution primitive (created once, plain NCHW in/out, weights reordered once) on
// the small CNN's shapes (conv3x3 1->32 on 28x28, conv3x3 32->64 on 14x14, pad 1) at batch 1/100.
// Everything single-threaded, as the engine runs by default:
//   build-x/bin/engine_kernels_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <onnx/onnx_pb.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/gemm_backend.h"
#include "engine/kernels/gemm_packed.h"
#include "engine/session.h"

namespace reco::engine {
namespace {

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

void BM_Sgemm(benchmark::State& state) {
  SetGemmThreads(1);
  const int path_arg = static_cast<int>(state.range(0));
  const int64_t m = state.range(1), n = state.range(2), k = state.range(3);
  const GemmPath path = path_arg == 3 ? ChooseGemmPath(m, n, k) : static_cast<GemmPath>(path_arg);
  std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2), c(static_cast<size_t>(m * n));
  for (auto _ : state) {
    SgemmWith(path, false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(GemmPathName(path)));
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}

void GemmShapes(benchmark::internal::Benchmark* b) {
  // MLP layers (N, K), and a final 64 -> 1 scoring layer (seed model, DIN head).
  const std::vector<std::vector<int64_t>> nk = {{128, 784}, {64, 128}, {10, 64}, {1, 64}};
  for (int path = 0; path < 4; ++path) {
    for (int64_t batch : {1, 100, 1000}) {
      for (const auto& s : nk) b->Args({path, batch, s[0], s[1]});
      for (const auto& s : std::vector<std::vector<int64_t>>{{80, 64}, {40, 80}}) b->Args({path, batch * 20, s[0], s[1]});
    }
    // The CNN's per-image conv GEMMs: [32, 9] x [9, 784] and [64, 288] x [288, 196].
    b->Args({path, 32, 784, 9});
    b->Args({path, 64, 196, 288});
  }
}
BENCHMARK(BM_Sgemm)->Apply(GemmShapes)->ArgNames({"path", "M", "N", "K"});

// BM_SgemmPacked/M/N/K: SgemmPacked (B packed once outside the loop, as at model load) on BM_Sgemm's shapes.
void BM_SgemmPacked(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2), c(static_cast<size_t>(m * n));
  const PackedMatrix packed = PackedMatrix::Pack(b.data(), k, n, /*trans_b=*/false);
  for (auto _ : state) {
    SgemmPacked(m, a.data(), k, packed, /*bias=*/nullptr, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(PackedGemmAvailable() ? "packed-avx2" : "packed-portable");
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}

void PackedShapes(benchmark::internal::Benchmark* b) {
  for (int64_t batch : {1, 100, 1000}) {
    for (const auto& s : std::vector<std::vector<int64_t>>{{128, 784}, {64, 128}, {10, 64}, {1, 64}}) {
      b->Args({batch, s[0], s[1]});
    }
    for (const auto& s : std::vector<std::vector<int64_t>>{{80, 64}, {40, 80}}) b->Args({batch * 20, s[0], s[1]});
    b->Args({batch, 128, 16});  // the seed model's first layer: cat(user[8], item[8]) -> 128
  }
  b->Args({32, 784, 9});
  b->Args({64, 196, 288});
}
BENCHMARK(BM_SgemmPacked)->Apply(PackedShapes)->ArgNames({"M", "N", "K"});

// BM_SgemmPackedPRelu/fused/M/N/K: GEMM + bias + PRelu(0.25) over C, the PRelu either in the row-block epilogue
// (fused:1, while the block is in cache) or as a second pass over the whole C afterwards (fused:0).
void PReluRows(void*, float* c, int64_t, int64_t rows, int64_t ldc) {
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    // PRelu(x, 0.25) = 0.625 x + 0.375 |x|: branch-free so it vectorises (this target is built without
    // -fno-trapping-math, under which GCC turns a float select into a branch that mispredicts on random signs).
    for (int64_t j = 0; j < ldc; ++j) row[j] = 0.625f * row[j] + 0.375f * std::fabs(row[j]);
  }
}

void BM_SgemmPackedPRelu(benchmark::State& state) {
  const bool fused = state.range(0) != 0;
  const int64_t m = state.range(1), n = state.range(2), k = state.range(3);
  std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2), bias = Random(n, 3), c(static_cast<size_t>(m * n));
  const PackedMatrix packed = PackedMatrix::Pack(b.data(), k, n, /*trans_b=*/false);
  for (auto _ : state) {
    if (fused) {
      SgemmPacked(m, a.data(), k, packed, bias.data(), c.data(), n, {PReluRows, nullptr});
    } else {
      SgemmPacked(m, a.data(), k, packed, bias.data(), c.data(), n);
      PReluRows(nullptr, c.data(), 0, m, n);
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}
BENCHMARK(BM_SgemmPackedPRelu)
    ->ArgsProduct({{0, 1}, {2000, 20000}, {80}, {64}})
    ->ArgNames({"fused", "M", "N", "K"})
    ->Unit(benchmark::kMicrosecond);

struct ConvShape {
  int64_t c, m, hw;
};
constexpr ConvShape kConvShapes[] = {{1, 32, 28}, {32, 64, 14}};

void AddTensor(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
               const std::vector<float>& values) {
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
}

void AddValueInfo(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

void BM_ConvEngine(benchmark::State& state) {
  SetGemmThreads(1);
  const ConvShape s = kConvShapes[state.range(0)];
  const int64_t batch = state.range(1);
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(14);
  auto* g = model.mutable_graph();
  g->set_name("conv");
  auto* node = g->add_node();
  node->set_op_type("Conv");
  node->set_name("conv");
  for (const char* in : {"X", "W", "B"}) node->add_input(in);
  node->add_output("Y");
  auto* pads = node->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  AddTensor(g->add_initializer(), "W", {s.m, s.c, 3, 3}, Random(s.m * s.c * 9, 3));
  AddTensor(g->add_initializer(), "B", {s.m}, Random(s.m, 4));
  AddValueInfo(g->add_input(), "X", {batch, s.c, s.hw, s.hw});
  AddValueInfo(g->add_output(), "Y", {batch, s.m, s.hw, s.hw});
  auto session = Session::LoadFromBytes(model.SerializeAsString());
  if (!session.ok()) return state.SkipWithError(session.status().ToString().c_str());
  std::vector<float> x = Random(batch * s.c * s.hw * s.hw, 5);
  NamedView in{"X", TensorView(DType::kFloat32, Shape{batch, s.c, s.hw, s.hw}, x.data())};
  RunContext ctx;
  for (auto _ : state) {
    Status st = (*session)->Run({&in, 1}, &ctx);
    if (!st.ok()) return state.SkipWithError(st.ToString().c_str());
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * batch * s.m * s.c * 9 * s.hw * s.hw,
                                                benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}

void BM_ConvDnnl(benchmark::State& state) {
  SetGemmThreads(1);
  using dnnl::memory;
  const ConvShape s = kConvShapes[state.range(0)];
  const int64_t batch = state.range(1);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  const memory::dims src_dims{batch, s.c, s.hw, s.hw}, w_dims{s.m, s.c, 3, 3}, b_dims{s.m},
      dst_dims{batch, s.m, s.hw, s.hw};
  auto src_md = memory::desc(src_dims, memory::data_type::f32, memory::format_tag::nchw);
  auto dst_md = memory::desc(dst_dims, memory::data_type::f32, memory::format_tag::nchw);
  auto w_any = memory::desc(w_dims, memory::data_type::f32, memory::format_tag::any);
  auto b_md = memory::desc(b_dims, memory::data_type::f32, memory::format_tag::x);
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                       src_md, w_any, b_md, dst_md, {1, 1}, {1, 1}, {1, 1});
  dnnl::convolution_forward::primitive_desc pd(desc, eng);
  std::vector<float> x = Random(batch * s.c * s.hw * s.hw, 5), w = Random(s.m * s.c * 9, 3), bias = Random(s.m, 4);
  std::vector<float> y(static_cast<size_t>(batch * s.m * s.hw * s.hw));
  memory w_user({w_dims, memory::data_type::f32, memory::format_tag::oihw}, eng, w.data());
  memory w_mem(pd.weights_desc(), eng);
  dnnl::reorder(w_user, w_mem).execute(strm, w_user, w_mem);  // once, like a pre-packed initializer
  memory src_mem(src_md, eng, x.data()), dst_mem(dst_md, eng, y.data()), b_mem(b_md, eng, bias.data());
  dnnl::convolution_forward conv(pd);
  for (auto _ : state) {
    conv.execute(strm, {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_BIAS, b_mem},
                        {DNNL_ARG_DST, dst_mem}});
    strm.wait();
  }
  state.SetLabel(pd.impl_info_str());
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * batch * s.m * s.c * 9 * s.hw * s.hw,
                                                benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}

void ConvArgs(benchmark::internal::Benchmark* b) {
  for (int shape = 0; shape < 2; ++shape) {
    for (int64_t batch : {1, 100}) b->Args({shape, batch});
  }
}
BENCHMARK(BM_ConvEngine)->Apply(ConvArgs)->ArgNames({"shape", "batch"})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ConvDnnl)->Apply(ConvArgs)->ArgNames({"shape", "batch"})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace reco::engine

BENCHMARK_MAIN();
