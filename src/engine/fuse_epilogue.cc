// Elementwise-chain discovery for GEMM epilogues (see fuse_epilogue.h).
#include "engine/fuse_epilogue.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

using Op = EpilogueInstr::Op;

// How far past the GEMM the scan looks, in nodes (independent branches may sit between chain members).
constexpr size_t kScanWindow = 64;

std::optional<Op> ElementwiseOp(const Node& n) {
  const std::string& d = n.proto->domain();
  if (!(d.empty() || d == "ai.onnx")) return std::nullopt;
  const std::string& t = n.proto->op_type();
  // Before opset 7 the binary ops broadcast only with an explicit attribute; not worth supporting.
  if (n.opset >= 7) {
    if (t == "Add") return Op::kAdd;
    if (t == "Sub") return Op::kSub;
    if (t == "Mul") return Op::kMul;
    if (t == "Div") return Op::kDiv;
    if (t == "PRelu") return Op::kPRelu;
  }
  if (t == "Sigmoid") return Op::kSigmoid;
  if (t == "Relu") return Op::kRelu;
  if (t == "Tanh") return Op::kTanh;
  if (t == "Exp") return Op::kExp;
  if (t == "Neg") return Op::kNeg;
  if (t == "Abs") return Op::kAbs;
  if (t == "LeakyRelu") return Op::kLeakyRelu;
  if (t == "Clip") return Op::kClip;
  return std::nullopt;
}

const onnx::AttributeProto* Attr(const Node& n, const char* name) {
  for (const auto& a : n.proto->attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

// Fills alpha / lo / hi from attributes or constant inputs; false when they are not known at load time.
bool ReadScalars(const Model& m, const Node& n, EpilogueInstr* in) {
  if (in->op == Op::kLeakyRelu) {
    const auto* a = Attr(n, "alpha");
    in->alpha = a ? a->f() : 0.01f;
  }
  if (in->op == Op::kClip) {
    in->lo = -std::numeric_limits<float>::infinity();
    in->hi = std::numeric_limits<float>::infinity();
    if (n.opset < 11) {
      if (const auto* a = Attr(n, "min")) in->lo = a->f();
      if (const auto* a = Attr(n, "max")) in->hi = a->f();
      return true;
    }
    for (size_t k = 1; k < n.inputs.size() && k < 3; ++k) {
      const int v = n.inputs[k];
      if (v < 0) continue;
      const TensorView* t = m.values[v].constant;
      if (!t || t->dtype != DType::kFloat32 || t->num_elements() != 1) return false;
      (k == 1 ? in->lo : in->hi) = *t->data_as<float>();
    }
  }
  return true;
}

}  // namespace

std::optional<EpilogueFusion> FindEpilogueChain(const Model& m, size_t node, std::span<const int> uses,
                                                std::span<const int> producer, const std::vector<bool>& removed) {
  const Node& gemm = m.nodes[node];
  if (gemm.outputs.empty() || gemm.outputs[0] < 0) return std::nullopt;
  std::map<int, int> reg_of{{gemm.outputs[0], 0}};  // chain value -> register
  std::map<int, int> side_of;                        // side value -> side slot
  std::vector<int> side_values;
  std::vector<EpilogueInstr> instrs;
  std::vector<int> absorbed;
  std::vector<int> results;  // output value per absorbed node
  // Any value from outside the chain: the fused node runs at the last absorbed node's position, after every
  // side input is computed. (A side input computed FROM a chain value would make that value escape the chain,
  // which the prefix rule below rejects.)
  // One exception: a side input that a LATER Gemm/MatMul produces. Two products meeting in an Add (DIN's
  // prod_term + hist_term) leave the chain to the later one, which then reads the earlier one's result as a side
  // input. The earlier product is the smaller one in DIN ([1, L, A] history term vs [B, L, A]) and, had it taken
  // the chain, the output would broadcast larger than its GEMM result and run out of place.
  auto side_ok = [&](int v) {
    if (v < 0) return false;
    const TensorView* c = m.values[v].constant;
    if (c) return c->dtype == DType::kFloat32;
    const int p = producer[v];
    return !(p > static_cast<int>(node) && (m.nodes[p].def_flags & KernelDef::kFusableEpilogue));
  };
  const size_t end = std::min(m.nodes.size(), node + 1 + kScanWindow);
  for (size_t j = node + 1; j < end; ++j) {
    if (removed[j]) continue;
    const Node& n = m.nodes[j];
    const bool touches = std::any_of(n.inputs.begin(), n.inputs.end(), [&](int v) { return reg_of.count(v) > 0; });
    if (!touches) continue;
    const std::optional<Op> op = ElementwiseOp(n);
    if (!op || n.outputs.size() != 1 || n.outputs[0] < 0) break;
    EpilogueInstr in;
    in.op = *op;
    if (!ReadScalars(m, n, &in)) break;
    const bool unary = EpilogueOpIsUnary(in.op);
    const size_t arity = unary ? 1 : 2;
    if (n.inputs.size() < arity || (!unary && n.inputs.size() != 2)) break;
    bool ok = true;
    int operands[2] = {0, 0};
    for (size_t k = 0; k < arity && ok; ++k) {
      const int v = n.inputs[k];
      if (auto r = reg_of.find(v); r != reg_of.end()) {
        operands[k] = r->second;
      } else if (!unary && side_ok(v)) {
        auto [it, fresh] = side_of.try_emplace(v, static_cast<int>(side_values.size()));
        if (fresh) side_values.push_back(v);
        operands[k] = -1 - it->second;
      } else {
        ok = false;
      }
    }
    if (!ok || static_cast<int>(side_values.size()) > EpilogueProgram::kMaxSideInputs) break;
    const int dst = static_cast<int>(instrs.size()) + 1;
    if (dst >= EpilogueProgram::kMaxRegisters) break;
    in.dst = dst;
    in.a = operands[0];
    in.b = operands[1];
    instrs.push_back(in);
    absorbed.push_back(static_cast<int>(j));
    results.push_back(n.outputs[0]);
    reg_of[n.outputs[0]] = dst;
  }
  // Longest prefix after which only its last value is read outside the chain.
  for (size_t p = absorbed.size(); p >= 1; --p) {
    std::map<int, int> inner;  // value -> reads by nodes of the prefix
    for (size_t q = 0; q < p; ++q) {
      for (int v : m.nodes[absorbed[q]].inputs) {
        if (v >= 0) ++inner[v];
      }
    }
    bool closed = inner[gemm.outputs[0]] == uses[gemm.outputs[0]];
    for (size_t q = 0; q + 1 < p && closed; ++q) closed = inner[results[q]] == uses[results[q]];
    if (!closed) continue;
    auto program = std::make_shared<EpilogueProgram>();
    program->instrs.assign(instrs.begin(), instrs.begin() + p);
    program->num_registers = static_cast<int>(p) + 1;
    program->result = static_cast<int>(p);
    // Side slots used by the prefix only, renumbered densely in first-use order.
    std::map<int, int> remap;
    EpilogueFusion f;
    for (EpilogueInstr& in : program->instrs) {
      for (int* operand : {&in.a, &in.b}) {
        if (*operand >= 0 || (operand == &in.b && EpilogueOpIsUnary(in.op))) continue;
        const int slot = -1 - *operand;
        auto [it, fresh] = remap.try_emplace(slot, static_cast<int>(f.side_values.size()));
        if (fresh) f.side_values.push_back(side_values[slot]);
        *operand = -1 - it->second;
      }
      if (!program->label.empty()) program->label += ",";
      program->label += EpilogueOpName(in.op);
    }
    program->num_side_inputs = static_cast<int>(f.side_values.size());
    OptimizeEpilogue(program.get());
    f.program = std::move(program);
    f.absorbed.assign(absorbed.begin(), absorbed.begin() + p);
    f.result_value = results[p - 1];
    return f;
  }
  return std::nullopt;
}

}  // namespace reco::engine
