// Block copies for the movement kernels (Concat, Split, Gather). Their blocks are often tiny: an embedding row of
// 8 floats, one piece of a feature concat. A libc memcpy call per 32-byte block costs several times the copy itself,
// so the common sizes get a compile-time length that the compiler lowers to a few register moves; any other size
// falls back to memcpy, where the call overhead no longer matters.
#pragma once

#include <cstddef>
#include <cstring>

namespace reco::engine {

// Calls body(copy) with copy(dst, src) copying `bytes` bytes; `bytes` is a constant inside `copy` for common sizes.
template <typename Body>
inline void WithBlockCopy(size_t bytes, Body&& body) {
  auto fixed = [&]<size_t N>() { body([](std::byte* d, const std::byte* s) { std::memcpy(d, s, N); }); };
  switch (bytes) {
    case 4: return fixed.template operator()<4>();
    case 8: return fixed.template operator()<8>();
    case 16: return fixed.template operator()<16>();
    case 32: return fixed.template operator()<32>();
    case 64: return fixed.template operator()<64>();
    case 128: return fixed.template operator()<128>();
    default: return body([bytes](std::byte* d, const std::byte* s) { std::memcpy(d, s, bytes); });
  }
}

// Copies `rows` blocks of `bytes` bytes: block o goes from src + o * src_stride to dst + o * dst_stride.
inline void CopyBlocks(std::byte* dst, size_t dst_stride, const std::byte* src, size_t src_stride, size_t bytes,
                       int64_t rows) {
  if (bytes == 0) return;
  if (bytes == dst_stride && bytes == src_stride) {  // contiguous on both sides: one copy
    std::memcpy(dst, src, bytes * static_cast<size_t>(rows));
    return;
  }
  WithBlockCopy(bytes, [&](auto copy) {
    for (int64_t o = 0; o < rows; ++o) copy(dst + o * dst_stride, src + o * src_stride);
  });
}

}  // namespace reco::engine
