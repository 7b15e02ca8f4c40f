#include "onnx/ranker_export.h"

#include <torch/torch.h>

#include "nn/base_ranker.h"
#include "nn/din.h"
#include "nn/ranker.h"
#include "nn/seed_mlp.h"
#include "onnx/classifier_export.h"
#include "onnx/ranker_layers.h"
#include "onnx/torch_adapter.h"

namespace reco::onnx_export {
namespace {

constexpr const char* kProb = "prob";
constexpr const char* kAttention = "attention";
constexpr const char* kSeedOutput = "output";

ElemType TypeOf(const std::string& dtype) { return dtype == "int64" ? ElemType::kInt64 : ElemType::kFloat; }

std::vector<Dim> DimsOf(const std::vector<std::string>& shape) {
  std::vector<Dim> dims;
  for (const std::string& d : shape) {
    dims.push_back(!d.empty() && std::isdigit(static_cast<unsigned char>(d[0])) ? Dim::Fixed(std::stoll(d))
                                                                                 : Dim::Symbolic(d));
  }
  return dims;
}

void DeclareSignature(GraphBuilder& b, const RankerSignature& sig) {
  for (const auto& in : sig.inputs) b.AddInput(in.name, TypeOf(in.dtype), DimsOf(in.shape), in.meaning);
  for (const auto& out : sig.outputs) b.AddOutput(out.name, TypeOf(out.dtype), DimsOf(out.shape), out.meaning);
}

// The behaviour tables as initializers, and the lookups every din/base graph starts with.
struct Lookups {
  std::string hist;      // [H, L, E] item ⊕ category
  std::string hist_ext;  // [H, L, E + Dt + Dr] (din only)
  std::string target;    // [B, E]
};

StatusOr<Lookups> EmitLookups(GraphBuilder& b, const nn::BehaviorEmbeddingsImpl& emb, bool with_type_recency) {
  RETURN_IF_ERROR(AddTensorInitializer(b, "emb.item", emb.item->weight));
  RETURN_IF_ERROR(AddTensorInitializer(b, "emb.cate", emb.cate->weight));
  const Attrs last_axis = {{"axis", int64_t{-1}}};
  Lookups out;
  out.hist = b.UniqueName("hist_emb");
  b.AddNode("Concat", {EmitGather(b, "emb.item", "hist_item", "hist_item_emb"),
                       EmitGather(b, "emb.cate", "hist_cate", "hist_cate_emb")},
            {out.hist}, last_axis, "hist/Concat");
  out.target = b.UniqueName("target_emb");
  b.AddNode("Concat", {EmitGather(b, "emb.item", "target_item", "target_item_emb"),
                       EmitGather(b, "emb.cate", "target_cate", "target_cate_emb")},
            {out.target}, last_axis, "target/Concat");
  if (with_type_recency) {
    RETURN_IF_ERROR(AddTensorInitializer(b, "emb.type", emb.type->weight));
    RETURN_IF_ERROR(AddTensorInitializer(b, "emb.recency", emb.recency->weight));
    out.hist_ext = b.UniqueName("hist_ext");
    b.AddNode("Concat", {out.hist, EmitGather(b, "emb.type", "hist_type", "hist_type_emb"),
                         EmitGather(b, "emb.recency", "hist_recency", "hist_recency_emb")},
              {out.hist_ext}, last_axis, "hist_ext/Concat");
  }
  return out;
}

// [pooled, t, pooled ⊙ t] -> final MLP -> Sigmoid -> prob [B, 1].
StatusOr<std::string> EmitHead(GraphBuilder& b, const std::string& pooled, const std::string& target,
                               const nn::RankerMlpImpl& mlp) {
  const std::string product = b.UniqueName("pooled_x_target");
  b.AddNode("Mul", {pooled, target}, {product}, {}, "head/Mul");
  const std::string features = b.UniqueName("head_input");
  b.AddNode("Concat", {pooled, target, product}, {features}, {{"axis", int64_t{1}}}, "head/Concat");
  ASSIGN_OR_RETURN(std::string logit, EmitRankerMlp(b, features, mlp, "mlp"));
  b.AddNode("Sigmoid", {logit}, {kProb}, {}, "head/Sigmoid");
  return std::string(kProb);
}

Status EmitDin(GraphBuilder& b, const nn::DinRanker& din, const RankerExportOptions& options) {
  ASSIGN_OR_RETURN(Lookups in, EmitLookups(b, *din.emb, /*with_type_recency=*/true));
  const std::string weights = options.attention_output ? kAttention : b.UniqueName("attention_weights");
  RETURN_IF_ERROR(EmitDinAttention(b, din, in.hist, in.hist_ext, in.target, "hist_mask", weights).status());
  const std::string pooled = EmitWeightedSum(b, weights, in.hist, "pooled");
  return EmitHead(b, pooled, in.target, *din.mlp).status();
}

Status EmitBase(GraphBuilder& b, const nn::BaseRanker& base) {
  ASSIGN_OR_RETURN(Lookups in, EmitLookups(b, *base.emb, /*with_type_recency=*/false));
  std::string pooled = EmitWeightedSum(b, "hist_mask", in.hist, "pooled_sum");  // [H, E]
  if (base.config().pooling == "mean") {
    const std::string count = b.UniqueName("hist_count");
    b.AddNode("ReduceSum", {"hist_mask", AddInt64Constant(b, "axes_1", {1})}, {count}, {{"keepdims", int64_t{1}}},
              "pooled/ReduceSum");
    const std::string clamped = b.UniqueName("hist_count_clamped");
    b.AddNode("Clip", {count, AddFloatScalar(b, "one", 1.0f)}, {clamped}, {}, "pooled/Clip");
    const std::string mean = b.UniqueName("pooled_mean");
    b.AddNode("Div", {pooled, clamped}, {mean}, {}, "pooled/Div");
    pooled = mean;
  }
  // [H, E] -> [B, E]: Expand to the target's shape (a no-op copy when H = B).
  const std::string target_shape = b.UniqueName("target_shape");
  b.AddNode("Shape", {in.target}, {target_shape}, {}, "pooled/Shape");
  const std::string expanded = b.UniqueName("pooled");
  b.AddNode("Expand", {pooled, target_shape}, {expanded}, {}, "pooled/Expand");
  return EmitHead(b, expanded, in.target, *base.mlp).status();
}

Status EmitSeedMlp(GraphBuilder& b, const nn::SeedMlpRanker& seed) {
  const std::string x = b.UniqueName("seed_input");
  b.AddNode("Concat", {"user_input", "item_input"}, {x}, {{"axis", int64_t{1}}}, "seed/Concat");
  ASSIGN_OR_RETURN(std::string h, EmitLinear(b, x, *seed.fc1, "fc1"));
  h = EmitUnary(b, "Relu", h, "relu1");
  ASSIGN_OR_RETURN(h, EmitLinear(b, h, *seed.fc2, "fc2"));
  h = EmitUnary(b, "Relu", h, "relu2");
  ASSIGN_OR_RETURN(h, EmitLinear(b, h, *seed.fc3, "fc3"));
  b.AddNode("Sigmoid", {h}, {kSeedOutput}, {}, "seed/Sigmoid");
  return Status::Ok();
}

}  // namespace

RankerSignature RankerSignatureOf(const nn::RankerModel& model, const RankerExportOptions& options) {
  const nn::RankerConfig& c = model.config();
  RankerSignature sig;
  if (c.kind == "seed-mlp") {
    const std::string f = std::to_string(c.seed_features);
    sig.inputs = {{"user_input", "float32", {kRankerBatchDim, f}, "per-user features (manifest user_features)"},
                  {"item_input", "float32", {kRankerBatchDim, f}, "per-item features (manifest item_features)"}};
    sig.outputs = {{kSeedOutput, "float32", {kRankerBatchDim, "1"}, "click probability"}};
    return sig;
  }
  // Every din/base node is shape-generic in the history axis (Gather, broadcasting MatMul/Mul/Add, Softmax and
  // ReduceSum over it, Squeeze/Unsqueeze of other axes): declaring it dynamic needs no runtime-shape arithmetic.
  const std::string l = options.dynamic_history ? kRankerHistLenDim : std::to_string(c.max_history);
  const std::vector<std::string> hist = {kRankerHistBatchDim, l};
  sig.inputs = {
      {"hist_item", "int64", hist, "item index of the last <= L behaviours, oldest first, left-aligned, 0-padded"},
      {"hist_cate", "int64", hist, "category index of those behaviours"},
      {"hist_type", "int64", hist, "behaviour type index (1 pv, 2 cart, 3 fav, 4 buy, 0 padding)"},
      {"hist_recency", "int64", hist, "recency bucket 1 + min(14, floor(log2(1 + minutes))) (0 padding)"},
      {"hist_mask", "float32", hist, "1 for a real behaviour, 0 for padding"},
      {"target_item", "int64", {kRankerBatchDim}, "candidate item index"},
      {"target_cate", "int64", {kRankerBatchDim}, "candidate category index"},
  };
  sig.outputs = {{kProb, "float32", {kRankerBatchDim, "1"}, "click probability"}};
  if (c.kind == "din" && options.attention_output) {
    sig.outputs.push_back(
        {kAttention, "float32", {kRankerBatchDim, l}, "activation weight of each history entry (0 on padding)"});
  }
  return sig;
}

StatusOr<onnx::ModelProto> ExportRanker(const nn::RankerModel& model, const RankerExportOptions& options) {
  const nn::RankerConfig& c = model.config();
  RETURN_IF_ERROR(nn::ValidateRankerConfig(c));
  GraphBuilder b("reco_" + c.kind, options.opset);
  b.SetModelVersion(options.model_version);
  b.SetMetadata(kMetaModelKind, c.kind);
  b.SetMetadata(kMetaRankerConfig, nn::RankerConfigToJson(c));
  DeclareSignature(b, RankerSignatureOf(model, options));
  torch::NoGradGuard no_grad;
  Status emitted;
  try {
    if (const auto* din = dynamic_cast<const nn::DinRanker*>(&model)) {
      b.SetDocString("reco din: DIN with factored attention (Dice, frozen statistics) over item/cate/type/recency");
      emitted = EmitDin(b, *din, options);
    } else if (const auto* base = dynamic_cast<const nn::BaseRanker*>(&model)) {
      b.SetDocString("reco base: masked " + c.pooling + " pooling of the history, same final MLP as din");
      emitted = EmitBase(b, *base);
    } else if (const auto* seed = dynamic_cast<const nn::SeedMlpRanker*>(&model)) {
      b.SetDocString("reco seed-mlp: cat(user_input, item_input) -> 128 -> 64 -> 1 -> sigmoid");
      emitted = EmitSeedMlp(b, *seed);
    } else {
      return UnimplementedError("ranker kind '" + c.kind + "' has no exporter");
    }
  } catch (const c10::Error& e) {
    return InternalError("exporting " + c.kind + ": " + e.what_without_backtrace());
  }
  RETURN_IF_ERROR(emitted);
  if (c.kind == "seed-mlp") {
    b.SetMetadata(kMetaInputSemantics, "user_input/item_input: per-user/per-item features; output: probability");
  } else {
    b.SetMetadata(kMetaMaxHistory, std::to_string(c.max_history));
    b.SetMetadata(kMetaEmbDim, std::to_string(c.emb_dim));
    const std::string hist_shape =
        options.dynamic_history ? "[hist_batch, hist_len], hist_len <= max_history" : "[hist_batch, max_history]";
    b.SetMetadata(kMetaInputSemantics, "hist_*: the user's last <= max_history behaviours as vocabulary indices (" +
                                           hist_shape + ", hist_batch = batch or 1 to broadcast one history); "
                                           "target_*: candidates; prob: click probability");
  }
  return b.Build();
}

}  // namespace reco::onnx_export
