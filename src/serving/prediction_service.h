// PredictionService: the one predict path that REST (TF Serving and KServe v2) and gRPC all call, so the
// transports cannot drift apart. Knows nothing of HTTP or gRPC: results are Status codes, which each transport
// maps to its own codes in exactly one place (http_status.h for REST).
//
// Flow: Resolve() the model version (a ServableHandle keeps it alive for the whole request), let the transport
// decode its payload against handle->inputs() (so JSON numbers go straight into buffers of the right dtype),
// then Predict(). Predict validates the request against the signature (names, dtypes, ranks, fixed dims, output
// filter) with messages that name the offending tensor, and runs it through the ServableRunner (direct, or the
// dynamic batcher).
// Thread-safety: all methods are const and safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "serving/servable.h"
#include "serving/servable_manager.h"
#include "serving/tensor.h"

namespace reco::serving {

inline constexpr char kDefaultSignature[] = "serving_default";

struct PredictRequest {
  std::string model_name;
  VersionSelector version;
  std::string signature_name;              // "" means serving_default
  std::vector<NamedTensor> inputs;
  std::vector<std::string> output_filter;  // empty: all outputs, in the model's order

  // Empties the request but keeps the input tensors' buffers for the next AddInput calls, so a request object
  // reused per connection decodes warm requests without allocating.
  void Clear();
  // Appends an input named `name`, reusing a tensor of an earlier request if one is spare.
  NamedTensor* AddInput(std::string_view name);
  // Frees the buffers of `t` when an occasional huge request grew them: warm buffers are kept for the next request,
  // but a reused request object must not pin its peak size for as long as its connection or thread lives.
  static void ReleaseLargeBuffers(Tensor* t);

 private:
  static constexpr size_t kMaxSpareBytes = 4 << 20;
  static constexpr size_t kMaxSpareStrings = 1 << 16;
  std::vector<NamedTensor> spare_;
};

struct PredictResponse {
  std::string model_name;
  int64_t version = 0;
  std::string signature_name;
  std::vector<NamedTensor> outputs;
};

// Runs a validated request on a servable. The default runs it directly; the dynamic batcher
// (serving/batching) provides another. Must be thread-safe.
class ServableRunner {
 public:
  virtual ~ServableRunner() = default;
  virtual Status Run(const ServableHandle& servable, std::span<const NamedTensor> inputs,
                     std::span<const std::string> output_names, std::vector<NamedTensor>* outputs) const = 0;
};

// Calls Servable::Run on the caller's thread.
ServableRunner* DirectServableRunner();

class PredictionService {
 public:
  // Neither is owned; both must outlive the service. `runner` null means DirectServableRunner().
  explicit PredictionService(const ServableManager* manager, const ServableRunner* runner = nullptr);

  StatusOr<ServableHandle> Resolve(const std::string& model_name, const VersionSelector& version) const;

  // Resolves the model from `request` and predicts.
  Status Predict(const PredictRequest& request, PredictResponse* response) const;
  // Predicts on an already resolved version (request.model_name/version are not looked at again).
  Status Predict(const ServableHandle& servable, const PredictRequest& request, PredictResponse* response) const;

  // InvalidArgument unless `name` is "" or "serving_default" (the one signature an ONNX model has).
  static Status CheckSignatureName(const std::string& name);
  // The model's declaration of input `name`, or InvalidArgument naming the inputs it has.
  static StatusOr<const TensorInfo*> FindInput(const Servable& servable, std::string_view name);

  const ServableManager& manager() const { return *manager_; }

 private:
  Status Validate(const Servable& servable, const PredictRequest& request) const;

  const ServableManager* const manager_;
  const ServableRunner* const runner_;
};

}  // namespace reco::serving
