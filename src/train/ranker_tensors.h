// Glue between RankerBatchBuffers (flat arrays) and the LibTorch side: tensor views and split scoring.
// Internal to src/train (includes LibTorch). Thread-safety: free functions; tensors alias the buffers.
#pragma once

#include <torch/types.h>

#include <memory>

#include "nn/ranker.h"
#include "train/ranker_batch.h"
#include "train/ranking_metrics.h"

namespace reco::train {

// Views (no copy) of `b` as a model batch; valid while `b` is neither refilled nor destroyed.
nn::RankerBatch AsRankerBatch(RankerBatchBuffers& b);
inline torch::Tensor LabelTensor(RankerBatchBuffers& b) { return torch::from_blob(b.label.data(), {b.rows}); }

// Scores samples of the given splits in eval mode (inference, model restored to its previous mode afterwards).
RankingMetrics ScoreSplits(nn::RankerModel& model, const RankerBatcher& batcher, const data::SampleFile& file,
                           const std::vector<data::Split>& splits, int64_t eval_batch);

}  // namespace reco::train
