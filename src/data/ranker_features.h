// Per-user and per-item float features for the `seed-mlp` ranker (`user_input` [B, 8], `item_input` [B, 8]).
//
// Computed from the TRAINING part of a sample file only, so validation and test targets never leak into them:
// a user's training events are those before the first event that is the target of a validation or test sample
// (last-event split), or those with a timestamp < train_end (time split). Item features aggregate the training
// events of all users. Counts enter as log1p so that the values stay in a small range without a fitted scaler.
//
// User features (kUserFeatureNames): log1p of the user's pv / cart / fav / buy counts, log1p of distinct items and
// distinct categories, buy_rate = buys / events, top_cate_share = share of events in the user's most frequent
// category (how focused the user is).
// Item features (kItemFeatureNames): log1p of the item's pv / cart / fav / buy counts, log1p of distinct users,
// cart_buy_rate = (carts + buys) / events, popularity_rank = rank by training events / number of items (0 = most
// popular, ties by index; 1 = never seen), log1p of the training events of the item's category.
// Rows are indexed like the vocabularies: row 0 (padding) and row 1 (OOV) hold the features of an unseen
// user/item (all counts zero, popularity_rank 1), as does any user/item without training events.
// Deterministic (no randomness, fixed iteration order).
//
// File format (text, what SaveFeatureTable writes beside the vocabularies, e.g. user_features.tsv):
//   "# reco-features v1 name=<user|item> rows=<N> dim=<D> columns=<name1,name2,...>"
//   then N lines, line k = row k, D tab-separated floats (%.9g, exact round trip).
// Thread-safety: free functions; FeatureTable is a value.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/samples_file.h"

namespace reco::data {

inline constexpr int kRankerFeatureDim = 8;
inline constexpr std::array<const char*, kRankerFeatureDim> kUserFeatureNames = {
    "log1p_pv", "log1p_cart", "log1p_fav", "log1p_buy", "log1p_distinct_items", "log1p_distinct_cates",
    "buy_rate", "top_cate_share"};
inline constexpr std::array<const char*, kRankerFeatureDim> kItemFeatureNames = {
    "log1p_pv", "log1p_cart", "log1p_fav", "log1p_buy", "log1p_distinct_users", "cart_buy_rate",
    "popularity_rank", "log1p_cate_events"};
inline constexpr char kUserFeatureFile[] = "user_features.tsv";
inline constexpr char kItemFeatureFile[] = "item_features.tsv";

struct FeatureTable {
  std::string name;                  // "user" or "item"
  std::vector<std::string> columns;  // dim() names
  std::vector<float> values;         // rows() x dim(), row-major

  int64_t dim() const { return static_cast<int64_t>(columns.size()); }
  int64_t rows() const { return columns.empty() ? 0 : static_cast<int64_t>(values.size()) / dim(); }
  std::span<const float> row(int64_t i) const {
    return {values.data() + i * dim(), static_cast<size_t>(dim())};
  }
};

struct RankerFeatures {
  FeatureTable user;  // header().num_users rows
  FeatureTable item;  // header().num_items rows
};

RankerFeatures ComputeRankerFeatures(const SampleFile& samples);

Status SaveFeatureTable(const FeatureTable& table, const std::string& path);
// NotFound for a missing file; DataLoss naming file:line for a bad header, a short row or a non-number.
StatusOr<FeatureTable> LoadFeatureTable(const std::string& path);

}  // namespace reco::data
