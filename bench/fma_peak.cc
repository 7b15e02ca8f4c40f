// One core's fp32 multiply-add ceiling: N independent AVX-512 FMA chains (enough to cover the FMA latency on
// every pipe), timed for ~1 s. The engine benchmark's roofline statements (README, "Engine vs ONNX Runtime") divide
// a model's multiply-adds by this number. Prints G multiply-adds/s for 12 and 24 chains; without AVX-512 it says so.
#include <immintrin.h>

#include <chrono>
#include <cstdio>

namespace {

template <int kChains>
__attribute__((target("avx512f"), noinline)) double GigaFmaPerSecond(long iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(1.0f + static_cast<float>(i) * 1e-7f);
  const __m512 b = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  for (long k = 0; k < iterations; ++k) {
#pragma GCC unroll 24
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  float sink = 0;
  alignas(64) float lanes[16];
  for (int i = 0; i < kChains; ++i) {
    _mm512_store_ps(lanes, acc[i]);
    sink += lanes[0];
  }
  if (sink == 42.f) std::puts("");  // keeps the chains live
  return static_cast<double>(iterations) * kChains * 16 / seconds / 1e9;
}

}  // namespace

int main() {
  if (!__builtin_cpu_supports("avx512f")) {
    std::puts("fma_peak: this CPU has no AVX-512F");
    return 0;
  }
  GigaFmaPerSecond<12>(20'000'000);  // warm up the clock
  for (int round = 0; round < 3; ++round) {
    std::printf("12 chains: %.1f G fp32 multiply-adds/s   24 chains: %.1f\n", GigaFmaPerSecond<12>(200'000'000),
                GigaFmaPerSecond<24>(100'000'000));
  }
  return 0;
}
