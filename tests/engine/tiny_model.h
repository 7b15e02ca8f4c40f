// TinyModel: builds small ONNX ModelProtos directly (engine tests must not need the LibTorch-side builder).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstring>
#include <random>
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

// n uniform floats in [lo, hi), deterministic per seed.
inline std::vector<float> RandomFloats(size_t n, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// Appends the Dice chain reco's exporter emits (src/onnx/ranker_layers.cc) on value `x` with n channels, output
// named `p`: y = x * (alpha + (1 - alpha) * sigmoid(x * scale + shift)), random per-channel constants.
inline TinyModel& AddDiceChain(TinyModel& m, const std::string& x, const std::string& p, int n, uint32_t seed) {
  m.Init<float>(p + ".scale", {n}, RandomFloats(n, seed, 0.5f, 2.f))
      .Init<float>(p + ".shift", {n}, RandomFloats(n, seed + 1))
      .Init<float>(p + ".alpha", {n}, RandomFloats(n, seed + 2, 0.f, 0.5f))
      .Init<float>(p + ".oma", {n}, RandomFloats(n, seed + 3, 0.5f, 1.f))
      .Node("Mul", {x, p + ".scale"}, {p + "_s"})
      .Node("Add", {p + ".shift", p + "_s"}, {p + "_n"})
      .Node("Sigmoid", {p + "_n"}, {p + "_p"})
      .Node("Mul", {p + ".oma", p + "_p"}, {p + "_gp"})
      .Node("Add", {p + ".alpha", p + "_gp"}, {p + "_g"})
      .Node("Mul", {x, p + "_g"}, {p});
  return m;
}

}  // namespace reco::engine::testing
