// Servable and Loader: the seam between the model server and whatever runs a model.
//
// A Servable is one loaded model version: it describes its inputs/outputs and runs requests. A Loader is cheap
// to construct and does the expensive work (reading, validating, planning the model) in Load(); the Manager
// decides when. The engine-backed implementation lives in onnx_servable.{h,cc}; tests use fakes.
// The predict path validates names, dtypes and ranks against inputs()/outputs() before Run, so every Servable
// sees inputs that match its signature by name (in any order) and dtype.
// Thread-safety: Servable::Run and the accessors must be safe to call concurrently. A Loader is used by one
// thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "serving/tensor.h"

namespace reco::serving {

// One input or output of a model signature. shape dims of -1 are dynamic; rank -1 (`unknown_rank`) means the
// model does not fix the rank.
struct TensorInfo {
  std::string name;
  DataType dtype = DataType::kInvalid;
  std::vector<int64_t> shape;
  bool unknown_rank = false;
};

class Servable {
 public:
  virtual ~Servable() = default;

  virtual const std::vector<TensorInfo>& inputs() const = 0;
  virtual const std::vector<TensorInfo>& outputs() const = 0;

  // Runs the model. `inputs` holds every model input exactly once (validated by the caller). Fills `outputs`
  // with the outputs named in `output_names` (in that order), reusing the tensors' buffers.
  virtual Status Run(std::span<const NamedTensor> inputs, std::span<const std::string> output_names,
                     std::vector<NamedTensor>* outputs) const = 0;
};

class Loader {
 public:
  virtual ~Loader() = default;
  // The expensive step: read and prepare the model. Called at most once.
  virtual StatusOr<std::shared_ptr<const Servable>> Load() = 0;
};

// Makes a Loader for version `version` of model `model_name` stored in folder `version_path`.
class LoaderFactory {
 public:
  virtual ~LoaderFactory() = default;
  virtual std::unique_ptr<Loader> Create(const std::string& model_name, int64_t version,
                                         const std::string& version_path) = 0;
};

}  // namespace reco::serving
