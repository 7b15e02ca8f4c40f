#include "onnx/graph_builder.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>

namespace reco::onnx_export {
namespace {

int64_t NumElements(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

void SetAttr(onnx::AttributeProto* a, const AttrValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*i);
  } else if (const auto* f = std::get_if<float>(&v)) {
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(*f);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(*s);
  } else if (const auto* is = std::get_if<std::vector<int64_t>>(&v)) {
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : *is) a->add_ints(x);
  } else if (const auto* fs = std::get_if<std::vector<float>>(&v)) {
    a->set_type(onnx::AttributeProto::FLOATS);
    for (float x : *fs) a->add_floats(x);
  }
}

}  // namespace

std::string_view ElemTypeName(ElemType t) {
  switch (t) {
    case ElemType::kFloat: return "float32";
    case ElemType::kInt32: return "int32";
    case ElemType::kInt64: return "int64";
    case ElemType::kBool: return "bool";
  }
  return "unknown";
}

int64_t IrVersionForOpset(int opset) {
  // From the ONNX versioning table: opset 13-14 shipped with IR 7, 15-17 with IR 8.
  if (opset <= 14) return 7;
  return 8;
}

GraphBuilder::GraphBuilder(std::string graph_name, int opset) : graph_name_(std::move(graph_name)), opset_(opset) {
  graph_.set_name(graph_name_);
}

void GraphBuilder::Define(const std::string& name, const std::string& what) {
  if (name.empty()) {
    errors_.push_back(what + " has an empty name");
    return;
  }
  if (!defined_.insert(name).second) errors_.push_back(what + " '" + name + "' is already defined elsewhere");
  names_.insert(name);
}

std::string GraphBuilder::UniqueName(const std::string& prefix) {
  std::string name = prefix;
  while (names_.count(name)) name = prefix + "_" + std::to_string(++next_[prefix]);
  names_.insert(name);
  return name;
}

onnx::ValueInfoProto GraphBuilder::MakeValueInfo(const std::string& name, ElemType type,
                                                 const std::vector<Dim>& shape) {
  onnx::ValueInfoProto vi;
  vi.set_name(name);
  auto* tensor_type = vi.mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(static_cast<int32_t>(type));
  auto* proto_shape = tensor_type->mutable_shape();
  for (const Dim& d : shape) {
    auto* pd = proto_shape->add_dim();
    if (!d.param.empty()) {
      pd->set_dim_param(d.param);
    } else if (d.value >= 0) {
      pd->set_dim_value(d.value);
    } else {
      errors_.push_back("value '" + name + "': a dimension is neither fixed (>= 0) nor symbolic");
    }
  }
  return vi;
}

void GraphBuilder::AddInput(const std::string& name, ElemType type, const std::vector<Dim>& shape,
                            const std::string& doc) {
  Define(name, "input");
  auto vi = MakeValueInfo(name, type, shape);
  if (!doc.empty()) vi.set_doc_string(doc);
  *graph_.add_input() = std::move(vi);
}

void GraphBuilder::AddOutput(const std::string& name, ElemType type, const std::vector<Dim>& shape,
                             const std::string& doc) {
  // Outputs are produced by a node, so the name is normally already taken; only duplicates are an error.
  for (const auto& o : graph_.output()) {
    if (o.name() == name) errors_.push_back("output '" + name + "' is declared twice");
  }
  names_.insert(name);
  auto vi = MakeValueInfo(name, type, shape);
  if (!doc.empty()) vi.set_doc_string(doc);
  *graph_.add_output() = std::move(vi);
}

std::string GraphBuilder::AddRawInitializer(const std::string& name, int32_t onnx_type, const void* data, size_t count,
                                            size_t elem_size, const std::vector<int64_t>& shape) {
  Define(name, "initializer");
  if (NumElements(shape) != static_cast<int64_t>(count)) {
    errors_.push_back("initializer '" + name + "': shape " + ShapeString(shape) + " needs " +
                      std::to_string(NumElements(shape)) + " values, got " + std::to_string(count));
  }
  auto* t = graph_.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx_type);
  for (int64_t d : shape) t->add_dims(d);
  t->set_raw_data(std::string(static_cast<const char*>(data), count * elem_size));
  return name;
}

std::string GraphBuilder::AddInitializer(const std::string& name, std::span<const float> data,
                                         const std::vector<int64_t>& shape) {
  return AddRawInitializer(name, onnx::TensorProto::FLOAT, data.data(), data.size(), sizeof(float), shape);
}

std::string GraphBuilder::AddInitializer(const std::string& name, std::span<const int64_t> data,
                                         const std::vector<int64_t>& shape) {
  return AddRawInitializer(name, onnx::TensorProto::INT64, data.data(), data.size(), sizeof(int64_t), shape);
}

std::string GraphBuilder::AddNode(const std::string& op_type, const std::vector<std::string>& inputs,
                                  const std::vector<std::string>& outputs, const Attrs& attrs,
                                  const std::string& name) {
  auto* node = graph_.add_node();
  node->set_op_type(op_type);
  // Node names live in their own namespace in ONNX; the node index makes generated ones unique.
  node->set_name(name.empty() ? op_type + "_" + std::to_string(graph_.node_size() - 1) : name);
  for (const auto& in : inputs) node->add_input(in);
  for (const auto& out : outputs) {
    Define(out, "node '" + node->name() + "' (" + op_type + "): output");
    node->add_output(out);
  }
  for (const auto& [key, value] : attrs) {
    auto* a = node->add_attribute();
    a->set_name(key);
    SetAttr(a, value);
  }
  return outputs.empty() ? std::string() : outputs.front();
}

StatusOr<onnx::ModelProto> GraphBuilder::Build() const {
  if (std::endian::native != std::endian::little) {
    return UnimplementedError("ONNX raw_data is little-endian; exporting on a big-endian host is not supported");
  }
  // reco's engine implements opsets 13..17 (13 moved ReduceSum/Squeeze/Unsqueeze axes to inputs); above that,
  // the linked ONNX library itself has no schemas to check against.
  const int max_opset = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map().at("").second;
  if (opset_ < kMinOpset || opset_ > max_opset) {
    return InvalidArgumentError("graph '" + graph_name_ + "': opset " + std::to_string(opset_) +
                                " is not supported (reco exports opsets " + std::to_string(kMinOpset) + ".." +
                                std::to_string(max_opset) + ")");
  }
  if (!errors_.empty()) {
    std::string msg = "graph '" + graph_name_ + "' is malformed: " + errors_.front();
    if (errors_.size() > 1) msg += " (and " + std::to_string(errors_.size() - 1) + " more)";
    return InvalidArgumentError(std::move(msg));
  }
  onnx::ModelProto model;
  model.set_ir_version(IrVersionForOpset(opset_));
  model.set_producer_name(kProducerName);
  model.set_producer_version("0.1.0");
  model.set_model_version(model_version_);
  if (!doc_.empty()) model.set_doc_string(doc_);
  auto* op = model.add_opset_import();
  op->set_domain("");
  op->set_version(opset_);
  for (const auto& [key, value] : metadata_) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  *model.mutable_graph() = graph_;
  RETURN_IF_ERROR(ValidateModel(model).WithContext("graph '" + graph_name_ + "'"));
  return model;
}

Status ValidateModel(const onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("ONNX checker rejected the model: ") + e.what());
  }
  // Strict shape inference on a copy: type mismatches and node-level inference errors are fatal, and the
  // declared output shapes must merge with what the nodes actually produce.
  onnx::ModelProto copy = model;
  try {
    onnx::ShapeInferenceOptions options(/*check_type_val=*/true, /*strict_mode_val=*/1, /*data_prop_val=*/true);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("ONNX shape inference failed: ") + e.what());
  }
  return Status::Ok();
}

Status WriteModel(const onnx::ModelProto& model, const std::string& path) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return InternalError("cannot serialize the ONNX model for " + path);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      return PermissionDeniedError("cannot write " + path + " (opening " + tmp + ": " + std::strerror(errno) + ")");
    }
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return InternalError("short write to " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return InternalError("cannot move " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

StatusOr<onnx::ModelProto> ReadModel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path + ": cannot open ONNX model");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return DataLossError(path + ": not a valid ONNX ModelProto");
  return model;
}

}  // namespace reco::onnx_export
