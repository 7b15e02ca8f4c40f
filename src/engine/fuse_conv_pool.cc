#include "engine/fuse_conv_pool.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/kernels/conv_pool.h"

namespace reco::engine {
namespace {

const onnx::AttributeProto* Attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

bool IntsEqual(const onnx::AttributeProto* a, int64_t v, int count) {
  if (a == nullptr || a->ints_size() != count) return false;
  for (int64_t x : a->ints()) {
    if (x != v) return false;
  }
  return true;
}

// MaxPool with kernel 2x2, stride 2, no padding, no dilation, floor rounding and no Indices output.
bool IsPlainMaxPool2x2(const Node& n) {
  const onnx::NodeProto& p = *n.proto;
  if (p.op_type() != "MaxPool" || !(p.domain().empty() || p.domain() == "ai.onnx")) return false;
  if (n.outputs.empty() || n.outputs[0] < 0 || (n.outputs.size() > 1 && n.outputs[1] >= 0)) return false;
  if (!IntsEqual(Attr(p, "kernel_shape"), 2, 2) || !IntsEqual(Attr(p, "strides"), 2, 2)) return false;
  if (const auto* pads = Attr(p, "pads"); pads && !IntsEqual(pads, 0, 4)) return false;
  if (const auto* dil = Attr(p, "dilations"); dil && !IntsEqual(dil, 1, 2)) return false;
  if (const auto* ceil = Attr(p, "ceil_mode"); ceil && ceil->i() != 0) return false;
  if (const auto* ap = Attr(p, "auto_pad"); ap && ap->s() != "NOTSET" && ap->s() != "VALID") return false;
  return true;
}

}  // namespace

Status FuseConvMaxPool(Model* m, const std::function<Status(Node*)>& remake_kernel) {
  std::vector<int> uses(m->values.size(), 0);
  for (const Node& n : m->nodes) {
    for (int v : n.inputs) if (v >= 0) ++uses[v];
  }
  for (int v : m->output_values) uses[v] += 1000;  // a graph output must keep its value
  std::vector<bool> removed(m->nodes.size(), false);
  for (size_t i = 0; i < m->nodes.size(); ++i) {
    Node& conv = m->nodes[i];
    const onnx::NodeProto& p = *conv.proto;
    if (p.op_type() != "Conv" || !(p.domain().empty() || p.domain() == "ai.onnx") || conv.outputs.empty()) continue;
    const int y = conv.outputs[0];
    if (y < 0 || uses[y] != 1 || Attr(p, kFusedMaxPoolAttr) != nullptr) continue;
    const Activation::Kind act = conv.fused_activation.kind;
    if (act != Activation::Kind::kNone && act != Activation::Kind::kRelu) continue;
    size_t c = i + 1;
    auto reads_y = [y](const Node& n) { return std::find(n.inputs.begin(), n.inputs.end(), y) != n.inputs.end(); };
    while (c < m->nodes.size() && !reads_y(m->nodes[c])) ++c;
    if (c == m->nodes.size() || removed[c] || !IsPlainMaxPool2x2(m->nodes[c]) || m->nodes[c].inputs[0] != y) continue;
    onnx::NodeProto& fused = m->extra_nodes.emplace_back(p);
    onnx::AttributeProto* a = fused.add_attribute();
    a->set_name(kFusedMaxPoolAttr);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(1);
    conv.proto = &fused;
    conv.outputs[0] = m->nodes[c].outputs[0];
    removed[c] = true;
    RETURN_IF_ERROR(remake_kernel(&conv).WithContext("fusing MaxPool into node '" + conv.name + "'"));
    ++m->fused_nodes;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < m->nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(m->nodes[i]));
  }
  m->nodes = std::move(kept);
  return Status::Ok();
}

}  // namespace reco::engine
