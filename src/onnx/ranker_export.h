// ExportRanker: a trained ranker (nn/ranker.h) as a validated ONNX model with the signature of
// docs/ranker_model.md (opset 14 by default).
//
//   din/base: hist_item, hist_cate, hist_type, hist_recency int64 [hist_batch, hist_len], hist_mask float
//             [hist_batch, hist_len], target_item, target_cate int64 [batch]
//             ->  prob float [batch, 1] (+ attention float [batch, hist_len], din)
//   seed-mlp: user_input, item_input float [batch, F]  ->  output float [batch, 1]
//
// `hist_batch` is either `batch` or 1 (one history broadcast over all candidates); the graph broadcasts, so both
// give the rows LibTorch's eval forward gives. `hist_len` is dynamic (1 <= hist_len <= L = max_history, which the
// metadata and manifest carry): no node depends on L, so a caller may feed a history truncated to its real length
// (padding contributes nothing, so any hist_len >= the real length gives the same prob). With
// `dynamic_history = false` the axis is the fixed L instead (the graph is the same, only the declared shape).
// Dice is exported with its frozen running statistics, the DIN attention's first layer in factored form
// (ranker_layers.h). The model is read in its current state: call
// eval() semantics are implied (running statistics are used regardless of the module's training flag).
// metadata_props: reco.model_kind, reco.max_history, reco.emb_dim, reco.input_semantics, reco.ranker_config.
// Thread-safety: reads the model's parameters; the caller must not train it concurrently.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

#include "core/status.h"
#include "onnx/graph_builder.h"

namespace reco::nn {
class RankerModel;
}

namespace reco::onnx_export {

// Symbolic dimensions of the ranker signature.
inline constexpr const char* kRankerBatchDim = "batch";
inline constexpr const char* kRankerHistBatchDim = "hist_batch";
inline constexpr const char* kRankerHistLenDim = "hist_len";
inline constexpr const char* kMetaMaxHistory = "reco.max_history";
inline constexpr const char* kMetaEmbDim = "reco.emb_dim";
inline constexpr const char* kMetaRankerConfig = "reco.ranker_config";

struct RankerExportOptions {
  int opset = kDefaultOpset;
  bool attention_output = true;  // din: also output `attention` [batch, hist_len]
  bool dynamic_history = true;   // din/base: history axis `hist_len` (<= L) rather than the fixed L
  int64_t model_version = 1;
};

// One graph input or output of the exported signature, as the manifest lists it.
struct RankerTensorSpec {
  std::string name;
  std::string dtype;  // "int64" | "float32"
  std::vector<std::string> shape;  // symbolic names or decimal sizes
  std::string meaning;
};
struct RankerSignature {
  std::vector<RankerTensorSpec> inputs, outputs;
};

// The signature ExportRanker produces for this model and options.
RankerSignature RankerSignatureOf(const nn::RankerModel& model, const RankerExportOptions& options);

StatusOr<onnx::ModelProto> ExportRanker(const nn::RankerModel& model, const RankerExportOptions& options);

}  // namespace reco::onnx_export
