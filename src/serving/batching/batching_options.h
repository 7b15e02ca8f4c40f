// BatchingOptions: TF Serving's BatchingParameters (--batching_parameters_file, text format) as reco uses them.
//
// Defaults follow TF Serving's BasicBatchScheduler: max_batch_size 1000, batch_timeout_micros 0 (run as soon as
// a batch thread is free, merging whatever queued meanwhile), max_enqueued_batches 10, num_batch_threads = number
// of CPUs. allowed_batch_sizes, if given, must increase and end at max_batch_size; a merged batch is then padded
// (by repeating its last row) up to the next allowed size, so the engine only ever sees those sizes.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reco::serving::batching {

struct BatchingOptions {
  int64_t max_batch_size = 1000;
  int64_t batch_timeout_micros = 0;
  int64_t max_enqueued_batches = 10;
  int64_t num_batch_threads = 0;  // 0: std::thread::hardware_concurrency()
  std::vector<int64_t> allowed_batch_sizes;
  std::string thread_pool_name = "batch_threads";

  // InvalidArgument naming the field if the values are unusable.
  Status Validate() const;
  // The size a batch of `rows` rows is padded to (rows itself without allowed_batch_sizes).
  int64_t PaddedSize(int64_t rows) const;
};

// Parses text-format BatchingParameters, e.g. "max_batch_size { value: 32 }  batch_timeout_micros { value: 500 }".
StatusOr<BatchingOptions> ParseBatchingParameters(std::string_view text, std::string_view file_name = "<text>");
StatusOr<BatchingOptions> ReadBatchingParametersFile(const std::string& path);

}  // namespace reco::serving::batching
