// Counts every malloc-family call in the process (malloc, calloc, realloc, aligned_alloc, posix_memalign,
// memalign — operator new goes through malloc), forwarding to glibc, so a test can prove a code path does not touch
// the heap once warm: compare MallocCalls() before and after it.
// Include from exactly ONE .cc file of a test binary: it defines the C allocator functions for the process.
// AddressSanitizer owns malloc in sanitizer builds (-DRECO_SANITIZE=ON) and a second interposer crashes at startup,
// so there the hook is compiled out, kAllocHook is false and allocation tests skip themselves.
#pragma once

#include <atomic>
#include <cstddef>

namespace reco::testing {

inline std::atomic<long> g_malloc_calls{0};
inline long MallocCalls() { return g_malloc_calls.load(std::memory_order_relaxed); }

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAllocHook = false;
#else
constexpr bool kAllocHook = true;
#endif

}  // namespace reco::testing

#if !defined(__SANITIZE_ADDRESS__)
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);

void* malloc(size_t n) {
  reco::testing::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  reco::testing::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  reco::testing::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t align, size_t n) {
  reco::testing::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(align, n);
}
void* memalign(size_t align, size_t n) {
  reco::testing::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) {
  reco::testing::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
  *out = __libc_memalign(align, n);
  return *out ? 0 : 12;
}
}
#endif
