#include "nn/din_attention.h"

#include <torch/torch.h>

#include "nn/din_attention_kernel.h"

namespace reco::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
namespace da = din_attention;

// Differentiable inputs, in this order, as one TensorList: h, target, w_hist, w_tgt, w_prod, w_out, b_out,
// type_table, recency_table, then per layer i: bias_i, alpha_i and (i ≥ 1) weight_i.
constexpr size_t kFixedInputs = 9;

size_t LayerIndex(size_t i) { return kFixedInputs + (i == 0 ? 0 : 2 + 3 * (i - 1)); }

// Views of the saved tensors as the kernel's parameter struct.
da::Params ParamsOf(const variable_list& in, size_t layers, double eps) {
  da::Params p;
  p.w_hist = in[2].data_ptr<float>();
  p.w_tgt = in[3].data_ptr<float>();
  p.w_prod = in[4].data_ptr<float>();
  p.w_out = in[5].data_ptr<float>();
  p.b_out = in[6].data_ptr<float>();
  p.eps = eps;
  for (size_t i = 0; i < layers; ++i) {
    const size_t base = LayerIndex(i);
    da::Layer l;
    l.bias = in[base].data_ptr<float>();
    l.alpha = in[base + 1].data_ptr<float>();
    if (i > 0) l.weight = in[base + 2].data_ptr<float>();
    p.layers.push_back(l);
  }
  return p;
}

// The history side: entry features from saved inputs and the index tensors.
da::History HistoryOf(const variable_list& in, const torch::Tensor& type, const torch::Tensor& recency) {
  da::History h;
  h.h = in[0].defined() ? in[0].data_ptr<float>() : nullptr;
  h.type = type.data_ptr<int64_t>();
  h.recency = recency.data_ptr<int64_t>();
  h.type_table = in[7].data_ptr<float>();
  h.recency_table = in[8].data_ptr<float>();
  h.type_rows = in[7].size(0), h.type_dim = in[7].size(1);
  h.recency_rows = in[8].size(0), h.recency_dim = in[8].size(1);
  return h;
}

struct State {  // non-tensor arguments of the Function
  da::Dims dims;
  torch::Tensor type, recency;     // int64 [H, L], contiguous
  torch::Tensor offset, position;  // int32 packing of the mask
  const std::vector<torch::Tensor>* running_mean;
  const std::vector<torch::Tensor>* running_var;
  double eps, momentum;
};

struct AttentionFunction : public torch::autograd::Function<AttentionFunction> {
  static torch::Tensor forward(AutogradContext* ctx, at::TensorList inputs, const State* st) {
    const variable_list in(inputs.begin(), inputs.end());
    const da::Dims& d = st->dims;
    da::Params p = ParamsOf(in, d.widths.size(), st->eps);
    p.momentum = st->momentum;
    for (size_t i = 0; i < d.widths.size(); ++i) {
      p.layers[i].running_mean = (*st->running_mean)[i].data_ptr<float>();
      p.layers[i].running_var = (*st->running_var)[i].data_ptr<float>();
    }
    torch::Tensor arena = torch::empty({da::SavedFloats(d)});
    torch::Tensor scratch = torch::empty({da::ForwardScratchFloats(d)});
    torch::Tensor score = torch::empty({d.rows(), d.len});
    const da::Saved saved = da::CarveSaved(d, arena.data_ptr<float>());
    da::Forward(d, st->offset.data_ptr<int32_t>(), st->position.data_ptr<int32_t>(), p,
                HistoryOf(in, st->type, st->recency), in[1].data_ptr<float>(), saved, scratch.data_ptr<float>(),
                score.data_ptr<float>());
    ctx->save_for_backward(variable_list(in.begin() + 1, in.end()));  // everything but h (copied into the arena)
    ctx->saved_data["type"] = st->type;
    ctx->saved_data["recency"] = st->recency;
    ctx->saved_data["arena"] = arena;
    ctx->saved_data["offset"] = st->offset;
    ctx->saved_data["position"] = st->position;
    ctx->saved_data["dims"] = std::vector<int64_t>{d.hist, d.group, d.len, d.emb, d.ext, d.entries};
    ctx->saved_data["widths"] = d.widths;
    ctx->saved_data["eps"] = st->eps;
    return score;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list in = ctx->get_saved_variables();
    in.insert(in.begin(), torch::Tensor());  // h is not needed: its packed copy is in the arena
    da::Dims d;
    const std::vector<int64_t> dims = ctx->saved_data["dims"].toIntVector();
    d.hist = dims[0], d.group = dims[1], d.len = dims[2], d.emb = dims[3], d.ext = dims[4], d.entries = dims[5];
    d.widths = ctx->saved_data["widths"].toIntVector();
    const size_t layers = d.widths.size();
    const da::Params p = ParamsOf(in, layers, ctx->saved_data["eps"].toDouble());
    torch::Tensor arena = ctx->saved_data["arena"].toTensor();
    const da::Saved saved = da::CarveSaved(d, arena.data_ptr<float>());
    const torch::Tensor grad_score = grads[0].contiguous();

    variable_list out(in.size() + 1);  // + the State argument (no gradient)
    out[0] = torch::empty({d.hist, d.len, d.emb});
    for (size_t i = 1; i < in.size(); ++i) out[i] = torch::empty_like(in[i]);
    da::Grads g;
    g.h = out[0].data_ptr<float>();
    g.type_table = out[7].data_ptr<float>();
    g.recency_table = out[8].data_ptr<float>();
    g.t = out[1].data_ptr<float>();
    g.w_hist = out[2].data_ptr<float>();
    g.w_tgt = out[3].data_ptr<float>();
    g.w_prod = out[4].data_ptr<float>();
    g.w_out = out[5].data_ptr<float>();
    g.b_out = out[6].data_ptr<float>();
    for (size_t i = 0; i < layers; ++i) {
      const size_t base = LayerIndex(i);
      g.bias.push_back(out[base].data_ptr<float>());
      g.alpha.push_back(out[base + 1].data_ptr<float>());
      g.weight.push_back(i > 0 ? out[base + 2].data_ptr<float>() : nullptr);
    }
    torch::Tensor scratch = torch::empty({da::BackwardScratchFloats(d)});
    da::Backward(d, ctx->saved_data["offset"].toTensor().data_ptr<int32_t>(),
                 ctx->saved_data["position"].toTensor().data_ptr<int32_t>(), p,
                 HistoryOf(in, ctx->saved_data["type"].toTensor(), ctx->saved_data["recency"].toTensor()),
                 in[1].data_ptr<float>(), saved, grad_score.data_ptr<float>(), g, scratch.data_ptr<float>());
    return out;
  }
};

struct PoolFunction : public torch::autograd::Function<PoolFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& weight_in, const torch::Tensor& h_in) {
    const torch::Tensor weight = weight_in.contiguous(), h = h_in.contiguous();
    const int64_t hist = h.size(0), len = h.size(1), emb = h.size(2), rows = weight.size(0);
    torch::Tensor pooled = torch::empty({rows, emb});
    da::PoolForward(hist, rows / hist, len, emb, weight.data_ptr<float>(), h.data_ptr<float>(),
                    pooled.data_ptr<float>());
    ctx->save_for_backward({weight, h});
    return pooled;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& weight = saved[0];
    const torch::Tensor& h = saved[1];
    const torch::Tensor grad = grads[0].contiguous();
    const int64_t hist = h.size(0), len = h.size(1), emb = h.size(2), rows = weight.size(0);
    torch::Tensor grad_weight = torch::empty_like(weight), grad_h = torch::empty_like(h);
    da::PoolBackward(hist, rows / hist, len, emb, weight.data_ptr<float>(), h.data_ptr<float>(),
                     grad.data_ptr<float>(), grad_weight.data_ptr<float>(), grad_h.data_ptr<float>());
    return {grad_weight, grad_h};
  }
};

bool IsFloatCpu(const torch::Tensor& t) {
  return t.defined() && t.scalar_type() == torch::kFloat && t.device().is_cpu();
}

}  // namespace

torch::Tensor FusedDinAttention(const FusedDinAttentionInputs& in) {
  const size_t layers = in.bias.size();
  if (layers == 0 || in.alpha.size() != layers || in.weight.size() + 1 != layers || in.running_mean.size() != layers ||
      in.running_var.size() != layers) {
    return {};
  }
  variable_list list = {in.h,     in.target, in.w_hist,     in.w_tgt,       in.w_prod,
                        in.w_out, in.b_out,  in.type_table, in.recency_table};
  for (size_t i = 0; i < layers; ++i) {
    list.push_back(in.bias[i]);
    list.push_back(in.alpha[i]);
    if (i > 0) list.push_back(in.weight[i - 1]);
  }
  for (const torch::Tensor& t : list) {
    if (!IsFloatCpu(t)) return {};
  }
  for (size_t i = 0; i < layers; ++i) {
    if (!IsFloatCpu(in.running_mean[i]) || !IsFloatCpu(in.running_var[i]) || !in.running_mean[i].is_contiguous() ||
        !in.running_var[i].is_contiguous()) {
      return {};
    }
  }
  if (!IsFloatCpu(in.mask) || in.h.dim() != 3 || in.target.dim() != 2 || in.mask.dim() != 2 ||
      in.type_table.dim() != 2 || in.recency_table.dim() != 2 || !in.hist_type.defined() ||
      !in.hist_recency.defined() || in.hist_type.scalar_type() != torch::kLong ||
      in.hist_recency.scalar_type() != torch::kLong) {
    return {};
  }
  for (torch::Tensor& t : list) t = t.contiguous();

  State st;
  da::Dims& d = st.dims;
  d.hist = in.h.size(0), d.len = in.h.size(1), d.emb = in.target.size(1);
  d.ext = d.emb + in.type_table.size(1) + in.recency_table.size(1);
  TORCH_CHECK(d.hist > 0 && in.target.size(0) % d.hist == 0, "din attention: ", d.hist, " histories for ",
              in.target.size(0), " rows");
  d.group = in.target.size(0) / d.hist;
  for (const torch::Tensor& b : in.bias) d.widths.push_back(b.numel());
  TORCH_CHECK(in.mask.sizes() == in.h.sizes().slice(0, 2) && in.hist_type.sizes() == in.mask.sizes() &&
                  in.hist_recency.sizes() == in.mask.sizes() && in.h.size(2) == d.emb,
              "din attention: histories ", in.h.sizes(), ", mask ", in.mask.sizes(), ", types ", in.hist_type.sizes(),
              ", recency ", in.hist_recency.sizes(), ", targets ", in.target.sizes());
  const int64_t a0 = d.widths[0], last = d.widths.back();
  bool shapes = in.w_hist.numel() == a0 * d.ext && in.w_tgt.numel() == a0 * d.emb &&
                in.w_prod.numel() == a0 * d.emb && in.w_out.numel() == last && in.b_out.numel() == 1;
  for (size_t i = 0; i < layers; ++i) {
    const int64_t w = d.widths[i];
    shapes = shapes && in.alpha[i].numel() == w && in.running_mean[i].numel() == w && in.running_var[i].numel() == w &&
             (i == 0 || in.weight[i - 1].numel() == w * d.widths[i - 1]);
  }
  TORCH_CHECK(shapes, "din attention: parameter shapes do not match the hidden widths");
  const torch::Tensor mask = in.mask.contiguous();
  st.offset = torch::empty({d.hist + 1}, torch::kInt);
  st.position = torch::empty({std::max<int64_t>(d.hist * d.len, 1)}, torch::kInt);
  d.entries = da::Pack(mask.data_ptr<float>(), d.hist, d.len, st.offset.data_ptr<int32_t>(),
                       st.position.data_ptr<int32_t>());
  if (d.entries < 0) return {};
  st.type = in.hist_type.contiguous();
  st.recency = in.hist_recency.contiguous();
  // Real entries index the small tables: out-of-range indices are an error, as in torch::embedding.
  const int32_t* pos = st.position.data_ptr<int32_t>();
  const int32_t* off = st.offset.data_ptr<int32_t>();
  const int64_t* ty = st.type.data_ptr<int64_t>();
  const int64_t* re = st.recency.data_ptr<int64_t>();
  for (int64_t h = 0; h < d.hist; ++h) {
    for (int32_t q = off[h]; q < off[h + 1]; ++q) {
      const int64_t at = h * d.len + pos[q];
      TORCH_CHECK(ty[at] >= 0 && ty[at] < in.type_table.size(0) && re[at] >= 0 && re[at] < in.recency_table.size(0),
                  "din attention: behaviour type ", ty[at], " / recency ", re[at], " out of range");
    }
  }
  st.running_mean = &in.running_mean;
  st.running_var = &in.running_var;
  st.eps = in.eps;
  st.momentum = in.momentum;
  return AttentionFunction::apply(at::TensorList(list), &st);
}

torch::Tensor GroupedPool(const torch::Tensor& weight, const torch::Tensor& h) {
  TORCH_CHECK(weight.dim() == 2 && h.dim() == 3 && h.size(0) > 0 && weight.size(0) % h.size(0) == 0 &&
                  weight.size(1) == h.size(1),
              "grouped pool: weight ", weight.sizes(), " against histories ", h.sizes());
  if (!IsFloatCpu(weight) || !IsFloatCpu(h)) {
    return torch::matmul(weight.view({h.size(0), -1, h.size(1)}), h).view({weight.size(0), h.size(2)});
  }
  return PoolFunction::apply(weight, h);
}

}  // namespace reco::nn
