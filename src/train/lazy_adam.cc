#include "train/lazy_adam.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>

namespace reco::train {

LazyAdam::LazyAdam(std::vector<torch::Tensor> tables, LazyAdamOptions options) : opt_(options) {
  for (auto& t : tables) {
    TORCH_CHECK(t.scalar_type() == torch::kFloat32 && t.dim() == 2 && t.is_contiguous(),
                "LazyAdam: tables must be contiguous float [rows, dim]");
    TableState s;
    s.param = t;
    s.m = torch::zeros_like(t);
    s.v = torch::zeros_like(t);
    s.slot.assign(static_cast<size_t>(t.size(0)), -1);
    tables_.push_back(std::move(s));
  }
}

void LazyAdam::Step() {
  rows_touched_ = 0;
  for (auto& s : tables_) {
    if (!s.param.grad().defined()) continue;
    StepTable(s, s.param.grad());
    s.param.mutable_grad() = torch::Tensor();
  }
}

void LazyAdam::StepTable(TableState& s, const torch::Tensor& grad) {
  TORCH_CHECK(grad.is_sparse(), "LazyAdam: expected a sparse gradient (Embedding sparse=true)");
  const int64_t dim = s.param.size(1);
  const torch::Tensor idx = grad._indices().contiguous();  // [1, nnz] int64
  const torch::Tensor val = grad._values().contiguous();   // [nnz, dim]
  const int64_t nnz = idx.size(1);
  const int64_t* rows = idx.data_ptr<int64_t>();
  const float* g = val.data_ptr<float>();
  // Sum duplicate rows (what SparseAdam's coalesce() does) into acc_, in first-seen order.
  touched_.clear();
  acc_.clear();
  for (int64_t i = 0; i < nnz; ++i) {
    const int64_t r = rows[i];
    int32_t& slot = s.slot[static_cast<size_t>(r)];
    if (slot < 0) {
      slot = static_cast<int32_t>(touched_.size());
      touched_.push_back(r);
      acc_.resize(acc_.size() + static_cast<size_t>(dim), 0.0f);
    }
    float* a = acc_.data() + static_cast<size_t>(slot) * static_cast<size_t>(dim);
    const float* gi = g + i * dim;
    for (int64_t d = 0; d < dim; ++d) a[d] += gi[d];
  }
  ++s.step;
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(s.step));
  const double bc2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(s.step));
  const float step_size = static_cast<float>(opt_.lr * std::sqrt(bc2) / bc1);
  const auto b1 = static_cast<float>(opt_.beta1), b2 = static_cast<float>(opt_.beta2);
  const auto eps = static_cast<float>(opt_.eps), l2 = static_cast<float>(opt_.l2);
  float* w = s.param.data_ptr<float>();
  float* m = s.m.data_ptr<float>();
  float* v = s.v.data_ptr<float>();
  for (size_t k = 0; k < touched_.size(); ++k) {
    const int64_t o = touched_[k] * dim;
    const float* a = acc_.data() + k * static_cast<size_t>(dim);
    for (int64_t d = 0; d < dim; ++d) {
      const float gd = a[d] + l2 * w[o + d];
      m[o + d] = b1 * m[o + d] + (1.0f - b1) * gd;
      v[o + d] = b2 * v[o + d] + (1.0f - b2) * gd * gd;
      w[o + d] -= step_size * m[o + d] / (std::sqrt(v[o + d]) + eps);
    }
    s.slot[static_cast<size_t>(touched_[k])] = -1;
  }
  rows_touched_ += static_cast<int64_t>(touched_.size());
}

}  // namespace reco::train
