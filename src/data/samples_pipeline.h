// One call from a behaviour CSV to a sample directory: read (dirty rows reported) → build samples → write
// `<out_dir>/samples.bin` plus `user_vocab.txt`, `item_vocab.txt`, `cate_vocab.txt`.
// The trainer runs this once; afterwards it only memory-maps samples.bin (SampleFile).
// Thread-safety: free function.
#pragma once

#include <string>

#include "core/status.h"
#include "data/behavior_reader.h"
#include "data/samples_builder.h"

namespace reco::data {

inline constexpr char kSampleFileName[] = "samples.bin";

struct SamplePipelineReport {
  BehaviorReadStats read;
  SampleBuildStats build;
  double seconds = 0;  // wall time of the whole pipeline
  std::string Summary() const;
};

// Creates out_dir if needed. InvalidArgument if the CSV has no good rows (the dirty-row summary is in the message).
Status BuildSampleDirFromCsv(const std::string& csv_path, const BehaviorReaderOptions& read_options,
                             const SampleBuildOptions& build_options, const std::string& out_dir,
                             SamplePipelineReport* report);

}  // namespace reco::data
