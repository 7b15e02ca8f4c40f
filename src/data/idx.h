// IDX files (the MNIST container format), raw or gzip-compressed.
//
// Layout: 2 zero bytes, a type byte (0x08 = uint8 is the only type MNIST uses and the only one we accept),
// a rank byte, `rank` big-endian uint32 dimensions, then the row-major payload. Every malformed case
// (missing file, wrong magic, truncated header or payload, trailing garbage, corrupt gzip stream) is a
// Status naming the file and what is wrong, so a user can fix their data instead of reading a stack trace.
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace reco::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // row-major, size == product(dims)
};

// Reads a whole IDX file; `.gz` files (or any gzip stream, detected by content) are inflated.
// `expected_rank` (if > 0) is checked, naming the file in the error.
StatusOr<IdxArray> ReadIdxFile(const std::string& path, int expected_rank = 0);

// Parses an in-memory (already decompressed) IDX buffer; `name` is used in error messages.
StatusOr<IdxArray> ParseIdx(const std::vector<uint8_t>& bytes, const std::string& name, int expected_rank = 0);

// Reads a file, inflating gzip transparently: all of it, or only its first max_bytes + 1 bytes when there are
// more (so a caller that knows the size to expect sees "too long" without inflating a gzip bomb).
StatusOr<std::vector<uint8_t>> ReadMaybeGzipFile(const std::string& path, size_t max_bytes = SIZE_MAX - 1);

}  // namespace reco::data
