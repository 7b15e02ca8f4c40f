#include "online/ranking/model_inputs.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "data/samples_format.h"

namespace reco::online::ranking {

std::span<const std::string> ContractInputNames() {
  static const std::array<std::string, 7> kNames = {std::string(kHistItem),    std::string(kHistCate),
                                                    std::string(kHistType),    std::string(kHistRecency),
                                                    std::string(kHistMask),    std::string(kTargetItem),
                                                    std::string(kTargetCate)};
  return kNames;
}

Status CheckRankRequest(const RankRequest& r) {
  const size_t n = r.hist_item.size();
  if (r.hist_cate.size() != n || r.hist_type.size() != n || r.hist_time.size() != n) {
    return InvalidArgumentError(fmt::format("history arrays differ in length (item {}, cate {}, type {}, time {})", n,
                                            r.hist_cate.size(), r.hist_type.size(), r.hist_time.size()));
  }
  if (r.target_cate.size() != r.target_item.size()) {
    return InvalidArgumentError(fmt::format("target arrays differ in length (item {}, cate {})", r.target_item.size(),
                                            r.target_cate.size()));
  }
  return Status::Ok();
}

Status ModelInputs::Build(const RankerModel& model, std::span<const std::string> input_names,
                          const RankRequest& request, int history_rows) {
  RETURN_IF_ERROR(CheckRankRequest(request));
  const int64_t max_history = model.manifest().max_history;
  const int64_t B = static_cast<int64_t>(request.target_item.size());
  const int64_t Bp = PaddedBatch(B);
  const int64_t H = history_rows == 1 ? 1 : Bp;
  const int64_t n = static_cast<int64_t>(request.hist_item.size());
  history_length_ = std::min(n, max_history);
  // L fed to the model: the manifest's, or with a dynamic history axis the real length rounded up to a bucket.
  const int64_t L = model.dynamic_history() ? HistoryBucket(history_length_, max_history) : max_history;
  max_history_ = L;
  padded_batch_ = Bp;
  history_offset_ = n - history_length_;
  const int64_t off = history_offset_, len = history_length_;

  if (tensors_.size() != input_names.size()) tensors_.resize(input_names.size());
  const std::array<int64_t, 2> hist_shape = {H, L};
  const std::array<int64_t, 1> target_shape = {Bp};
  for (size_t i = 0; i < input_names.size(); ++i) {
    const std::string& name = input_names[i];
    serving::NamedTensor& t = tensors_[i];
    if (t.name != name) t.name = name;
    if (name == kTargetItem || name == kTargetCate) {
      t.tensor.Reset(serving::DataType::kInt64, target_shape);
      int64_t* out = t.tensor.data<int64_t>();
      const bool item = name == kTargetItem;
      const data::IdVocab& vocab = item ? model.items() : model.cates();
      std::span<const uint64_t> ids = item ? request.target_item : request.target_cate;
      for (int64_t b = 0; b < B; ++b) out[b] = vocab.Lookup(ids[static_cast<size_t>(b)]);
      std::fill(out + B, out + Bp, data::IdVocab::kOov);
      continue;
    }
    if (name == kHistMask) {
      t.tensor.Reset(serving::DataType::kFloat, hist_shape);
      float* row = t.tensor.data<float>();
      std::fill(row, row + L, 0.0f);
      std::fill(row, row + len, 1.0f);
    } else {
      t.tensor.Reset(serving::DataType::kInt64, hist_shape);
      int64_t* row = t.tensor.data<int64_t>();
      std::fill(row, row + L, 0);
      for (int64_t j = 0; j < len; ++j) {
        const size_t h = static_cast<size_t>(off + j);
        if (name == kHistItem) {
          row[j] = model.items().Lookup(request.hist_item[h]);
        } else if (name == kHistCate) {
          row[j] = model.cates().Lookup(request.hist_cate[h]);
        } else if (name == kHistType) {
          row[j] = 1 + static_cast<int64_t>(request.hist_type[h]);
        } else if (name == kHistRecency) {
          row[j] = data::RecencyBucket(request.now - request.hist_time[h]);
        } else {
          return InvalidArgumentError(fmt::format("model input '{}' is not part of the ranker contract", name));
        }
      }
    }
    // H = Bp (a server without broadcasting): repeat the row.
    const size_t row_bytes = t.tensor.bytes.size() / static_cast<size_t>(H);
    for (int64_t r = 1; r < H; ++r) {
      std::copy_n(t.tensor.bytes.data(), row_bytes, t.tensor.bytes.data() + static_cast<size_t>(r) * row_bytes);
    }
  }
  return Status::Ok();
}

}  // namespace reco::online::ranking

namespace reco::online::ranking {

Status ReadModelOutputs(const serving::Tensor& prob, const serving::Tensor* attention, int64_t batch,
                        const ModelInputs& inputs, RankResult* result) {
  if (prob.dtype != serving::DataType::kFloat || prob.num_elements() < batch) {
    return InternalError(fmt::format("output 'prob' has dtype {} and shape {}, expected float [{}, 1]",
                                     serving::DataTypeName(prob.dtype), serving::ShapeString(prob.shape), batch));
  }
  const int64_t L = inputs.max_history(), len = inputs.history_length(), off = inputs.history_offset();
  if (attention && (attention->dtype != serving::DataType::kFloat || attention->shape.size() != 2 ||
                    attention->shape[0] < batch || attention->shape[1] != L)) {
    return InternalError(fmt::format("output 'attention' has dtype {} and shape {}, expected float [{}, {}]",
                                     serving::DataTypeName(attention->dtype),
                                     serving::ShapeString(attention->shape), batch, L));
  }
  result->scores.resize(static_cast<size_t>(batch));
  result->reason.resize(static_cast<size_t>(batch));
  const float* p = prob.data<float>();
  const int64_t prob_stride = prob.num_elements() / std::max<int64_t>(prob.shape.empty() ? 1 : prob.shape[0], 1);
  for (int64_t b = 0; b < batch; ++b) {
    result->scores[static_cast<size_t>(b)] = p[b * prob_stride];
    int32_t reason = len > 0 ? static_cast<int32_t>(off + len - 1) : -1;
    if (attention && len > 0) {
      const float* w = attention->data<float>() + b * L;
      int64_t best = len - 1;
      for (int64_t j = len - 2; j >= 0; --j) {
        if (w[j] > w[best]) best = j;
      }
      reason = static_cast<int32_t>(off + best);
    }
    result->reason[static_cast<size_t>(b)] = reason;
  }
  return Status::Ok();
}

}  // namespace reco::online::ranking
