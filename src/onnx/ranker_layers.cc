#include "onnx/ranker_layers.h"

#include <torch/torch.h>

#include "nn/dice.h"
#include "nn/din.h"
#include "nn/ranker_parts.h"
#include "onnx/torch_adapter.h"

namespace reco::onnx_export {

StatusOr<std::string> EmitDice(GraphBuilder& b, const std::string& x, const nn::DiceImpl& dice,
                               const std::string& prefix) {
  torch::NoGradGuard no_grad;
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".scale", dice.FrozenScale()));
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".shift", dice.FrozenShift()));
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".alpha", dice.alpha));
  RETURN_IF_ERROR(AddTensorInitializer(b, prefix + ".one_minus_alpha", 1.0 - dice.alpha));
  const std::string scaled = b.UniqueName(prefix + "_scaled");
  b.AddNode("Mul", {x, prefix + ".scale"}, {scaled}, {}, prefix + "/Mul_scale");
  const std::string normed = b.UniqueName(prefix + "_normed");
  b.AddNode("Add", {prefix + ".shift", scaled}, {normed}, {}, prefix + "/Add_shift");
  const std::string p = EmitUnary(b, "Sigmoid", normed, prefix + "_p");
  const std::string gate_part = b.UniqueName(prefix + "_gate_part");
  b.AddNode("Mul", {prefix + ".one_minus_alpha", p}, {gate_part}, {}, prefix + "/Mul_gate");
  const std::string gate = b.UniqueName(prefix + "_gate");
  b.AddNode("Add", {prefix + ".alpha", gate_part}, {gate}, {}, prefix + "/Add_gate");
  const std::string out = b.UniqueName(prefix);
  b.AddNode("Mul", {x, gate}, {out}, {}, prefix + "/Mul_out");
  return out;
}

StatusOr<std::string> EmitRankerMlp(GraphBuilder& b, const std::string& input, const nn::RankerMlpImpl& mlp,
                                    const std::string& prefix) {
  std::string x = input;
  for (size_t i = 0; i < mlp.hidden.size(); ++i) {
    const std::string n = prefix + ".fc" + std::to_string(i);
    ASSIGN_OR_RETURN(x, EmitLinear(b, x, *mlp.hidden[i], n));
    if (mlp.uses_dice()) {
      ASSIGN_OR_RETURN(x, EmitDice(b, x, *mlp.dice[i], prefix + ".dice" + std::to_string(i)));
    } else {
      ASSIGN_OR_RETURN(x, EmitPRelu(b, x, *mlp.prelu[i], prefix + ".prelu" + std::to_string(i)));
    }
  }
  return EmitLinear(b, x, *mlp.out, prefix + ".out");
}

StatusOr<std::string> EmitDinAttention(GraphBuilder& b, const nn::DinRanker& din, const std::string& hist,
                                       const std::string& hist_ext, const std::string& target,
                                       const std::string& mask, const std::string& output) {
  torch::NoGradGuard no_grad;
  const std::string axis1 = AddInt64Constant(b, "axes_1", {1});
  // Factored first layer: hist_term [H, L, A] + prod_term [B, L, A] + target_term [B, 1, A].
  ASSIGN_OR_RETURN(std::string hist_term,
                   EmitMatMulLinear(b, hist_ext, din.AttentionHistoryWeight(), {}, "att_fc0.hist"));
  const std::string target3 = b.UniqueName("target_3d");
  b.AddNode("Unsqueeze", {target, axis1}, {target3}, {}, "att/Unsqueeze_target");
  const std::string prod = b.UniqueName("att_hist_x_target");
  b.AddNode("Mul", {hist, target3}, {prod}, {}, "att/Mul_interaction");
  ASSIGN_OR_RETURN(std::string prod_term, EmitMatMulLinear(b, prod, din.AttentionProductWeight(), {}, "att_fc0.prod"));
  RETURN_IF_ERROR(AddTensorInitializer(b, "att_fc0.target_weight", din.AttentionTargetWeight()));
  RETURN_IF_ERROR(AddTensorInitializer(b, "att_fc0.bias", din.att_fc[0]->bias));
  const std::string tgt_term = b.UniqueName("att_fc0_target");
  b.AddNode("Gemm", {target, "att_fc0.target_weight", "att_fc0.bias"}, {tgt_term},
            {{"alpha", 1.0f}, {"beta", 1.0f}, {"transB", int64_t{1}}}, "att_fc0.target/Gemm");
  const std::string tgt_term3 = b.UniqueName("att_fc0_target_3d");
  b.AddNode("Unsqueeze", {tgt_term, axis1}, {tgt_term3}, {}, "att/Unsqueeze_target_term");
  const std::string partial = b.UniqueName("att_fc0_partial");
  b.AddNode("Add", {prod_term, hist_term}, {partial}, {}, "att_fc0/Add_hist");
  std::string z = b.UniqueName("att_fc0");
  b.AddNode("Add", {partial, tgt_term3}, {z}, {}, "att_fc0/Add_target");
  ASSIGN_OR_RETURN(z, EmitDice(b, z, *din.att_dice[0], "att_dice0"));
  for (size_t i = 1; i < din.att_fc.size(); ++i) {
    const std::string n = std::to_string(i);
    ASSIGN_OR_RETURN(z, EmitMatMulLinear(b, z, din.att_fc[i]->weight, din.att_fc[i]->bias, "att_fc" + n));
    ASSIGN_OR_RETURN(z, EmitDice(b, z, *din.att_dice[i], "att_dice" + n));
  }
  ASSIGN_OR_RETURN(std::string score3, EmitMatMulLinear(b, z, din.att_out->weight, din.att_out->bias, "att_out"));
  const std::string score = b.UniqueName("att_score");
  b.AddNode("Squeeze", {score3, AddInt64Constant(b, "axes_2", {2})}, {score}, {}, "att/Squeeze_score");
  if (!din.config().attention_softmax) {
    b.AddNode("Mul", {score, mask}, {output}, {}, "att/Mul_mask");
    return output;
  }
  // softmax(score + (mask − 1)·1e9) · mask, as DinRanker::Forward: finite, so an empty history gives zeros.
  const std::string one = AddFloatScalar(b, "one", 1.0f);
  const std::string big = AddFloatScalar(b, "masked_score", static_cast<float>(-nn::DinRanker::kMaskedScore));
  const std::string mask_m1 = b.UniqueName("mask_minus_one");
  b.AddNode("Sub", {mask, one}, {mask_m1}, {}, "att/Sub_one");
  const std::string penalty = b.UniqueName("mask_penalty");
  b.AddNode("Mul", {mask_m1, big}, {penalty}, {}, "att/Mul_penalty");
  const std::string masked = b.UniqueName("att_score_masked");
  b.AddNode("Add", {score, penalty}, {masked}, {}, "att/Add_penalty");
  const std::string soft = EmitUnary(b, "Softmax", masked, "att_softmax", {{"axis", int64_t{-1}}});
  b.AddNode("Mul", {soft, mask}, {output}, {}, "att/Mul_mask");
  return output;
}

std::string EmitWeightedSum(GraphBuilder& b, const std::string& weight, const std::string& hist,
                            const std::string& prefix) {
  const std::string axis1 = AddInt64Constant(b, prefix + "_axes", {1});
  const std::string w3 = b.UniqueName(prefix + "_weight_3d");
  b.AddNode("Unsqueeze", {weight, axis1}, {w3}, {}, prefix + "/Unsqueeze");
  const std::string sum3 = b.UniqueName(prefix + "_3d");
  b.AddNode("MatMul", {w3, hist}, {sum3}, {}, prefix + "/MatMul");
  const std::string out = b.UniqueName(prefix);
  b.AddNode("Squeeze", {sum3, axis1}, {out}, {}, prefix + "/Squeeze");
  return out;
}

}  // namespace reco::onnx_export
