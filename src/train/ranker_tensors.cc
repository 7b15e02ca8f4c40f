#include "train/ranker_tensors.h"

#include <torch/torch.h>

namespace reco::train {

nn::RankerBatch AsRankerBatch(RankerBatchBuffers& b) {
  const int64_t rows = b.rows, H = b.hist_rows, L = b.max_history;  // H = rows or samples (grouped)
  nn::RankerBatch t;
  t.hist_item = torch::from_blob(b.hist_item.data(), {H, L}, torch::kLong);
  t.hist_cate = torch::from_blob(b.hist_cate.data(), {H, L}, torch::kLong);
  t.hist_type = torch::from_blob(b.hist_type.data(), {H, L}, torch::kLong);
  t.hist_recency = torch::from_blob(b.hist_recency.data(), {H, L}, torch::kLong);
  t.hist_mask = torch::from_blob(b.hist_mask.data(), {H, L}, torch::kFloat);
  t.target_item = torch::from_blob(b.target_item.data(), {rows}, torch::kLong);
  t.target_cate = torch::from_blob(b.target_cate.data(), {rows}, torch::kLong);
  if (b.features > 0) {
    t.user_input = torch::from_blob(b.user_input.data(), {rows, b.features}, torch::kFloat);
    t.item_input = torch::from_blob(b.item_input.data(), {rows, b.features}, torch::kFloat);
  }
  return t;
}

RankingMetrics ScoreSplits(nn::RankerModel& model, const RankerBatcher& batcher, const data::SampleFile& file,
                           const std::vector<data::Split>& splits, int64_t eval_batch) {
  const bool was_training = model.is_training();
  model.eval();
  std::vector<float> scores, labels;
  std::vector<int32_t> users;
  RankerBatchBuffers b;
  {
    c10::InferenceMode guard;
    for (data::Split split : splits) {
      const size_t n = file.samples(split).size();
      for (size_t begin = 0; begin < n; begin += static_cast<size_t>(eval_batch)) {
        batcher.FillRange(split, begin, begin + static_cast<size_t>(eval_batch), &b);
        const torch::Tensor logit = model.Forward(AsRankerBatch(b)).logit.contiguous();
        const float* p = logit.data_ptr<float>();
        scores.insert(scores.end(), p, p + b.rows);
        labels.insert(labels.end(), b.label.begin(), b.label.end());
        users.insert(users.end(), b.user.begin(), b.user.end());
      }
    }
  }
  model.train(was_training);
  return ComputeRankingMetrics(scores, labels, users, ScoreKind::kLogit);
}

}  // namespace reco::train
