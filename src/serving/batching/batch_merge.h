// Pure helpers of dynamic batching: which requests may share a batch, and how inputs are concatenated and
// outputs split along the batch (first) dimension.
//
// Two requests are compatible when they target the same servable, ask for the same outputs, and have the same
// inputs (names in order, dtypes, ranks >= 1, every dim but the first equal) and every input of each request has
// the same batch size (dim 0). BatchKey() encodes all of that into a string; requests with equal keys are
// merged. A request that cannot be batched at all (a scalar input, or inputs disagreeing on dim 0) gets no key.
// Thread-safety: free functions over caller-owned data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "serving/tensor.h"

namespace reco::serving::batching {

// Appends the key of a request to `key` (cleared first) and returns its batch size; nullopt if not batchable.
std::optional<int64_t> BatchKey(const void* servable, std::span<const NamedTensor> inputs,
                                std::span<const std::string> output_names, std::string* key);

// Concatenates `parts` (each a compatible request's inputs) along dim 0 into `merged` (buffers reused), then
// pads by repeating the last row until the batch has `padded_rows` rows.
void ConcatInputs(std::span<const std::span<const NamedTensor>> parts, int64_t padded_rows,
                  std::vector<NamedTensor>* merged);

// Copies rows [row_begin, row_begin + rows) of every tensor in `merged` into `out` (buffers reused).
// InvalidArgument if an output's first dim is not `total_rows` (the model's outputs are not batch-major).
Status SliceOutputs(std::span<const NamedTensor> merged, int64_t total_rows, int64_t row_begin, int64_t rows,
                    std::vector<NamedTensor>* out);

}  // namespace reco::serving::batching
