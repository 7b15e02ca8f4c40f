// GraphBuilder: assembles an ONNX ModelProto node by node and validates it before anyone sees it.
//
// Contract: callers declare graph inputs/outputs (a dimension is either a fixed size or a symbolic name such as
// kBatchDim), add weights as initializers from raw little-endian spans, and add nodes with typed attributes.
// Build() stamps producer "reco", the opset import and metadata_props, then runs onnx::checker::check_model and
// strict shape inference (type checks on, node errors fatal); a model that fails either is never returned.
// The builder knows nothing of LibTorch: exporters convert their tensors through onnx/torch_adapter.h, so any
// model family (classifiers, Keras-style stacks, DIN) reuses the same code path.
// Errors are reco::Status naming the offending node, tensor or field.
// Thread-safety: a GraphBuilder is a single-threaded value under construction; distinct builders are independent.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"

namespace reco::onnx_export {

// The symbolic batch dimension every exported model uses (same name torch.onnx.export gets from dynamic_axes).
inline constexpr const char* kBatchDim = "batch_size";
// Python torch 1.13 emits opset 14 by default; matching it keeps our models and theirs interchangeable.
inline constexpr int kDefaultOpset = 14;
// The oldest opset reco exports (and its engine runs); the newest is what the linked ONNX library knows (17).
inline constexpr int kMinOpset = 13;
inline constexpr const char* kProducerName = "reco";

// One dimension of a declared input/output shape: a fixed size, or a named symbolic dimension.
struct Dim {
  int64_t value = -1;  // >= 0 when fixed
  std::string param;   // non-empty when symbolic

  static Dim Fixed(int64_t v) { return Dim{v, {}}; }
  static Dim Symbolic(std::string name) { return Dim{-1, std::move(name)}; }
  static Dim Batch() { return Symbolic(kBatchDim); }
};

// An attribute value; the variant alternative picks the ONNX AttributeProto type.
using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>>;
using Attrs = std::vector<std::pair<std::string, AttrValue>>;

// ONNX element types used by reco's models (values are TensorProto::DataType).
enum class ElemType : int32_t {
  kFloat = onnx::TensorProto::FLOAT,
  kInt32 = onnx::TensorProto::INT32,
  kInt64 = onnx::TensorProto::INT64,
  kBool = onnx::TensorProto::BOOL,
};

std::string_view ElemTypeName(ElemType t);

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string graph_name, int opset = kDefaultOpset);

  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;
  GraphBuilder(GraphBuilder&&) = default;
  GraphBuilder& operator=(GraphBuilder&&) = default;

  int opset() const { return opset_; }

  // Graph inputs/outputs. A name may be declared once; errors are reported by Build().
  void AddInput(const std::string& name, ElemType type, const std::vector<Dim>& shape, const std::string& doc = "");
  void AddOutput(const std::string& name, ElemType type, const std::vector<Dim>& shape, const std::string& doc = "");

  // Initializers (weights, constant shapes). `data.size()` must equal the product of `shape`. Stored as raw_data,
  // little-endian (the host order here; Build() refuses to run on a big-endian host). Returns `name`.
  std::string AddInitializer(const std::string& name, std::span<const float> data, const std::vector<int64_t>& shape);
  std::string AddInitializer(const std::string& name, std::span<const int64_t> data,
                             const std::vector<int64_t>& shape);

  // Adds a node; returns its first output's name (for chaining). An empty `name` gets a unique "<op>_<n>".
  std::string AddNode(const std::string& op_type, const std::vector<std::string>& inputs,
                      const std::vector<std::string>& outputs, const Attrs& attrs = {}, const std::string& name = "");

  // A fresh tensor name "<prefix>", or "<prefix>_<n>" if taken (names are unique across the whole graph).
  std::string UniqueName(const std::string& prefix);

  void SetMetadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  void SetDocString(const std::string& doc) { doc_ = doc; }
  void SetModelVersion(int64_t version) { model_version_ = version; }

  // Assembles, checks (onnx::checker + strict shape inference) and returns the model. The builder can be
  // built more than once; every call validates afresh.
  StatusOr<onnx::ModelProto> Build() const;

 private:
  // Both typed AddInitializer overloads: checks the element count and stores the bytes as raw_data.
  std::string AddRawInitializer(const std::string& name, int32_t onnx_type, const void* data, size_t count,
                                size_t elem_size, const std::vector<int64_t>& shape);
  onnx::ValueInfoProto MakeValueInfo(const std::string& name, ElemType type, const std::vector<Dim>& shape);
  // Records a definition of `name`; a second definition is an error reported by Build().
  void Define(const std::string& name, const std::string& what);

  std::string graph_name_;
  int opset_;
  int64_t model_version_ = 1;
  std::string doc_;
  onnx::GraphProto graph_;
  std::map<std::string, std::string> metadata_;
  std::set<std::string> names_;       // every tensor name in use or handed out by UniqueName
  std::set<std::string> defined_;     // names with a definition: graph inputs, initializers, node outputs
  std::map<std::string, int> next_;   // per-prefix counters for UniqueName
  std::vector<std::string> errors_;   // problems found while adding; reported by Build()
};

// Validates a model the way Build() does (checker + strict shape inference); used for models from elsewhere too.
Status ValidateModel(const onnx::ModelProto& model);

// The IR version a model with this default-domain opset should declare (opset 14 -> IR 7, as torch 1.13 writes).
int64_t IrVersionForOpset(int opset);

// Serializes `model` to `path` (write to a temporary name, then rename).
Status WriteModel(const onnx::ModelProto& model, const std::string& path);
// Reads and parses a model file (no validation).
StatusOr<onnx::ModelProto> ReadModel(const std::string& path);

}  // namespace reco::onnx_export
