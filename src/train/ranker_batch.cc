#include "train/ranker_batch.h"

#include <algorithm>
#include <cstring>

namespace reco::train {

RankerBatcher::RankerBatcher(const data::SampleFile& file, RankerBatcherOptions options)
    : file_(file), opt_(std::move(options)) {}

void RankerBatcher::Prepare(size_t samples, RankerBatchBuffers* out) const {
  const size_t rows = samples * static_cast<size_t>(rows_per_sample());
  const size_t L = static_cast<size_t>(file_.max_history());
  const size_t hist_rows = opt_.group_histories ? samples : rows;
  out->rows = static_cast<int64_t>(rows);
  out->hist_rows = static_cast<int64_t>(hist_rows);
  out->max_history = static_cast<int64_t>(L);
  // assign()/resize() keep capacity: no allocation once the largest batch has been seen.
  out->hist_item.assign(hist_rows * L, 0), out->hist_cate.assign(hist_rows * L, 0);
  out->hist_type.assign(hist_rows * L, 0), out->hist_recency.assign(hist_rows * L, 0);
  out->hist_mask.assign(hist_rows * L, 0.0f);
  out->target_item.resize(rows), out->target_cate.resize(rows), out->label.resize(rows), out->user.resize(rows);
  const bool seed = opt_.user_features != nullptr && opt_.item_features != nullptr;
  out->features = seed ? opt_.user_features->dim() : 0;
  out->user_input.resize(seed ? rows * static_cast<size_t>(out->features) : 0);
  out->item_input.resize(seed ? rows * static_cast<size_t>(out->features) : 0);
}

void RankerBatcher::FillOne(data::Split split, size_t index, size_t i, RankerBatchBuffers* out) const {
  const data::SampleRecord& r = file_.samples(split)[index];
  const size_t L = static_cast<size_t>(out->max_history), k = static_cast<size_t>(file_.num_negatives());
  const size_t row = i * (k + 1);  // the sample's first (positive) row
  const auto items = file_.hist_item(r), cates = file_.hist_cate(r);
  const auto types = file_.hist_type(r);
  const auto times = file_.hist_time(r);
  const uint32_t t_target = file_.event_times()[r.event];
  const size_t o = (opt_.group_histories ? i : row) * L;
  for (size_t h = 0; h < r.hist_len; ++h) {
    out->hist_item[o + h] = Item(items[h]);
    out->hist_cate[o + h] = Cate(cates[h]);
    out->hist_type[o + h] = 1 + types[h];
    out->hist_recency[o + h] = data::RecencyBucket(int64_t{t_target} - times[h]);
    out->hist_mask[o + h] = 1.0f;
  }
  // Per-row layout: the negatives share the positive's history, copy the filled prefix (the rest is already zero).
  for (size_t j = 1; !opt_.group_histories && j <= k; ++j) {
    const size_t d = (row + j) * L;
    const size_t bytes64 = r.hist_len * sizeof(int64_t);
    std::memcpy(&out->hist_item[d], &out->hist_item[o], bytes64);
    std::memcpy(&out->hist_cate[d], &out->hist_cate[o], bytes64);
    std::memcpy(&out->hist_type[d], &out->hist_type[o], bytes64);
    std::memcpy(&out->hist_recency[d], &out->hist_recency[o], bytes64);
    std::memcpy(&out->hist_mask[d], &out->hist_mask[o], r.hist_len * sizeof(float));
  }
  const auto negs = file_.negatives(split, index);
  const int32_t user_row = opt_.user_remap.empty() ? static_cast<int32_t>(r.user) : opt_.user_remap[r.user];
  for (size_t j = 0; j <= k; ++j) {
    const int32_t target = j == 0 ? file_.target_item(r) : negs[j - 1];
    const size_t w = row + j;
    out->target_item[w] = Item(target);
    out->target_cate[w] = Cate(j == 0 ? file_.event_cates()[r.event] : file_.item_category(target));
    out->label[w] = j == 0 ? 1.0f : 0.0f;
    out->user[w] = static_cast<int32_t>(r.user);
    if (out->features > 0) {
      const auto u = opt_.user_features->row(user_row);
      const auto it = opt_.item_features->row(out->target_item[w]);
      std::copy(u.begin(), u.end(), out->user_input.begin() + static_cast<std::ptrdiff_t>(w * u.size()));
      std::copy(it.begin(), it.end(), out->item_input.begin() + static_cast<std::ptrdiff_t>(w * it.size()));
    }
  }
}

void RankerBatcher::Fill(data::Split split, std::span<const uint32_t> indices, RankerBatchBuffers* out) const {
  Prepare(indices.size(), out);
  for (size_t i = 0; i < indices.size(); ++i) FillOne(split, indices[i], i, out);
}

void RankerBatcher::FillRange(data::Split split, size_t begin, size_t end, RankerBatchBuffers* out) const {
  end = std::min(end, file_.samples(split).size());
  begin = std::min(begin, end);
  Prepare(end - begin, out);
  for (size_t i = begin; i < end; ++i) FillOne(split, i, i - begin, out);
}

}  // namespace reco::train
