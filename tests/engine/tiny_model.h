// TinyModel: builds small ONNX ModelProtos directly (engine tests must not need the LibTorch-side builder).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace reco::engine::testing {

inline onnx::AttributeProto AttrInt(const std::string& name, int64_t v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}
inline onnx::AttributeProto AttrFloat(const std::string& name, float v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(v);
  return a;
}
inline onnx::AttributeProto AttrInts(const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
  return a;
}

class TinyModel {
 public:
  explicit TinyModel(int opset = 14) {
    model_.set_ir_version(opset >= 15 ? 8 : 7);
    model_.set_producer_name("reco-test");
    auto* oi = model_.add_opset_import();
    oi->set_domain("");
    oi->set_version(opset);
    model_.mutable_graph()->set_name("tiny");
  }

  // dims: >= 0 fixed, -1 symbolic ("N").
  TinyModel& Input(const std::string& name, DType t, const std::vector<int64_t>& dims) {
    Fill(model_.mutable_graph()->add_input(), name, t, dims);
    return *this;
  }
  TinyModel& Output(const std::string& name, DType t, const std::vector<int64_t>& dims) {
    Fill(model_.mutable_graph()->add_output(), name, t, dims);
    return *this;
  }
  template <typename T>
  TinyModel& Init(const std::string& name, const std::vector<int64_t>& dims, const std::vector<T>& values) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(DTypeToOnnx(DTypeOf<T>()));
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
    return *this;
  }
  TinyModel& Node(const std::string& op, const std::vector<std::string>& ins, const std::vector<std::string>& outs,
                  const std::vector<onnx::AttributeProto>& attrs = {}, const std::string& name = "") {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + "_" + std::to_string(model_.graph().node_size()) : name);
    for (const auto& i : ins) n->add_input(i);
    for (const auto& o : outs) n->add_output(o);
    for (const auto& a : attrs) *n->add_attribute() = a;
    return *this;
  }
  onnx::ModelProto& proto() { return model_; }
  std::string Bytes() const { return model_.SerializeAsString(); }

 private:
  static void Fill(onnx::ValueInfoProto* vi, const std::string& name, DType t, const std::vector<int64_t>& dims) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(DTypeToOnnx(t));
    auto* shape = tt->mutable_shape();
    for (int64_t d : dims) {
      auto* dim = shape->add_dim();
      if (d >= 0) dim->set_dim_value(d);
      else dim->set_dim_param("N");
    }
  }
  onnx::ModelProto model_;
};

}  // namespace reco::engine::testing
