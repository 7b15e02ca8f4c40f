// Deterministic synthetic inputs for a model (benchmarks, `reco bench-model`), and raw dumps of them so that a
// reference engine (ONNX Runtime in bench/) runs on identical bytes.
//
// Values: floats uniform in [0, 1); inputs named like "*mask*" get 1s for a random-length prefix of each row
// and 0s after; integer inputs are ids in [0, vocab) where vocab is read from the Gather that consumes them
// (the embedding table's first dimension), so generated ids are always valid.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/session.h"

namespace reco::cli {

struct ModelInputs {
  std::vector<engine::NamedTensor> tensors;
  std::vector<engine::NamedView> views() const;
};

// Integer id ranges of the model's inputs (input name -> exclusive upper bound), read from the ONNX file.
StatusOr<std::vector<std::pair<std::string, int64_t>>> IdRanges(const std::string& model_path);

// Inputs for batch size `batch`: a dynamic dim whose symbolic name is in `named_dims` takes that value, other
// dynamic dims are `batch` (first dim) or `other_dim`.
StatusOr<ModelInputs> MakeInputs(const engine::Session& session, const std::string& model_path, int64_t batch,
                                 uint64_t seed = 1, int64_t other_dim = 8,
                                 const std::map<std::string, int64_t>& named_dims = {});

// Writes DIR/inputs.json ({"inputs":[{"name","dtype","shape"}]}) and DIR/<name>.bin (raw little-endian).
Status DumpTensors(const std::string& dir, const std::vector<engine::NamedView>& tensors, const std::string& prefix,
                   bool write_spec);

}  // namespace reco::cli
