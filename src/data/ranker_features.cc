#include "data/ranker_features.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>

#include "data/behavior_event.h"
#include "data/vocab_id.h"

namespace reco::data {
namespace {

// End (exclusive, global event index) of each user's training events.
std::vector<uint64_t> TrainingCutoffs(const SampleFile& sf) {
  const auto& h = sf.header();
  std::vector<uint64_t> cutoff(h.num_users, 0);
  for (uint32_t u = 0; u < h.num_users; ++u) cutoff[u] = sf.user_events(u).second;
  if (h.split_mode == 0) {  // time split: events before train_end
    const auto times = sf.event_times();
    const int64_t limit = h.train_end - h.base_time;
    for (uint32_t u = 0; u < h.num_users; ++u) {
      const auto [b, e] = sf.user_events(u);
      uint64_t p = b;
      while (p < e && static_cast<int64_t>(times[p]) < limit) ++p;
      cutoff[u] = p;
    }
    return cutoff;
  }
  for (Split s : {Split::kValidation, Split::kTest}) {
    for (const SampleRecord& r : sf.samples(s)) cutoff[r.user] = std::min(cutoff[r.user], r.event);
  }
  return cutoff;
}

FeatureTable EmptyTable(const char* name, const std::array<const char*, kRankerFeatureDim>& names, uint64_t rows) {
  FeatureTable t;
  t.name = name;
  t.columns.assign(names.begin(), names.end());
  t.values.assign(rows * kRankerFeatureDim, 0.0f);
  return t;
}

float Log1p(int64_t n) { return static_cast<float>(std::log1p(static_cast<double>(n))); }

}  // namespace

RankerFeatures ComputeRankerFeatures(const SampleFile& sf) {
  const auto& h = sf.header();
  const auto items = sf.event_items(), cates = sf.event_cates();
  const auto types = sf.event_types();
  const std::vector<uint64_t> cutoff = TrainingCutoffs(sf);

  RankerFeatures f;
  f.user = EmptyTable("user", kUserFeatureNames, h.num_users);
  f.item = EmptyTable("item", kItemFeatureNames, h.num_items);
  std::vector<int64_t> item_type(h.num_items * kNumBehaviorTypes, 0), item_users(h.num_items, 0);
  std::vector<int64_t> cate_events(h.num_cates, 0), user_cate(h.num_cates, 0);
  std::vector<int32_t> scratch;
  for (uint32_t u = 0; u < h.num_users; ++u) {
    const uint64_t b = sf.user_events(u).first, e = cutoff[u];
    if (e <= b) continue;
    int64_t by_type[kNumBehaviorTypes] = {0, 0, 0, 0};
    for (uint64_t p = b; p < e; ++p) {
      ++by_type[types[p]];
      ++item_type[static_cast<size_t>(items[p]) * kNumBehaviorTypes + types[p]];
      ++cate_events[static_cast<size_t>(cates[p])];
    }
    scratch.assign(items.begin() + static_cast<std::ptrdiff_t>(b), items.begin() + static_cast<std::ptrdiff_t>(e));
    std::sort(scratch.begin(), scratch.end());
    scratch.erase(std::unique(scratch.begin(), scratch.end()), scratch.end());
    for (int32_t i : scratch) ++item_users[static_cast<size_t>(i)];
    const auto distinct_items = static_cast<int64_t>(scratch.size());
    // Category counts with a scratch array reset only where touched: O(events), not O(categories), per user.
    int64_t distinct_cates = 0, top = 0;
    for (uint64_t p = b; p < e; ++p) {
      const int64_t c = ++user_cate[static_cast<size_t>(cates[p])];
      distinct_cates += c == 1;
      top = std::max(top, c);
    }
    for (uint64_t p = b; p < e; ++p) user_cate[static_cast<size_t>(cates[p])] = 0;
    const auto n = static_cast<double>(e - b);
    float* row = f.user.values.data() + static_cast<size_t>(u) * kRankerFeatureDim;
    for (int t = 0; t < kNumBehaviorTypes; ++t) row[t] = Log1p(by_type[t]);
    row[4] = Log1p(distinct_items);
    row[5] = Log1p(distinct_cates);
    row[6] = static_cast<float>(static_cast<double>(by_type[3]) / n);
    row[7] = static_cast<float>(static_cast<double>(top) / n);
  }

  std::vector<int64_t> total(h.num_items, 0);
  for (size_t i = 0; i < h.num_items; ++i) {
    for (int t = 0; t < kNumBehaviorTypes; ++t) total[i] += item_type[i * kNumBehaviorTypes + t];
  }
  std::vector<uint32_t> order(h.num_items);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return total[a] > total[b]; });
  std::vector<float> rank(h.num_items, 1.0f);
  for (size_t r = 0; r < order.size(); ++r) {
    if (total[order[r]] > 0)
      rank[order[r]] = static_cast<float>(static_cast<double>(r) / static_cast<double>(h.num_items));
  }
  for (size_t i = 0; i < h.num_items; ++i) {
    float* row = f.item.values.data() + i * kRankerFeatureDim;
    for (int t = 0; t < kNumBehaviorTypes; ++t) row[t] = Log1p(item_type[i * kNumBehaviorTypes + t]);
    row[4] = Log1p(item_users[i]);
    const int64_t cart_buy = item_type[i * kNumBehaviorTypes + 1] + item_type[i * kNumBehaviorTypes + 3];
    row[5] = total[i] > 0 ? static_cast<float>(static_cast<double>(cart_buy) / static_cast<double>(total[i])) : 0.0f;
    row[6] = rank[i];
    // Padding and OOV rows stay "unseen": their category indices (0, 1) must not lend them counts.
    row[7] = i < static_cast<size_t>(IdVocab::kFirstIndex)
                 ? 0.0f
                 : Log1p(cate_events[static_cast<size_t>(sf.item_category(static_cast<int32_t>(i)))]);
  }
  return f;
}

Status SaveFeatureTable(const FeatureTable& t, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::FILE* out = std::fopen(tmp.c_str(), "w");
    if (!out) return InvalidArgumentError(path + ": cannot write feature table");
    std::string cols;
    for (const auto& c : t.columns) cols += (cols.empty() ? "" : ",") + c;
    std::fprintf(out, "# reco-features v1 name=%s rows=%lld dim=%lld columns=%s\n", t.name.c_str(),
                 static_cast<long long>(t.rows()), static_cast<long long>(t.dim()), cols.c_str());
    for (int64_t r = 0; r < t.rows(); ++r) {
      const auto row = t.row(r);
      for (size_t c = 0; c < row.size(); ++c) std::fprintf(out, c ? "\t%.9g" : "%.9g", row[c]);
      std::fputc('\n', out);
    }
    const bool ok = std::ferror(out) == 0;
    if (std::fclose(out) != 0 || !ok) return InternalError(path + ": error writing feature table");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return InternalError(path + ": cannot rename " + tmp);
  return Status::Ok();
}

StatusOr<FeatureTable> LoadFeatureTable(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": feature table not found");
  std::string line;
  auto bad = [&](int64_t lineno, const std::string& what) {
    return DataLossError(path + ":" + std::to_string(lineno) + ": " + what);
  };
  if (!std::getline(in, line)) return bad(1, "empty file, expected a '# reco-features v1' header");
  char name[64] = {}, cols[4096] = {};
  long long rows = 0, dim = 0;
  if (std::sscanf(line.c_str(), "# reco-features v1 name=%63s rows=%lld dim=%lld columns=%4095s", name, &rows, &dim,
                  cols) != 4 ||
      rows < 0 || dim < 1) {
    return bad(1, "bad header '" + line.substr(0, 120) + "'");
  }
  FeatureTable t;
  t.name = name;
  std::stringstream cs(cols);
  for (std::string c; std::getline(cs, c, ',');) t.columns.push_back(c);
  if (t.dim() != dim)
    return bad(1, "header has dim=" + std::to_string(dim) + " but " + std::to_string(t.dim()) + " column names");
  t.values.reserve(static_cast<size_t>(rows * dim));
  for (int64_t r = 0; r < rows; ++r) {
    if (!std::getline(in, line))
      return bad(r + 2, "file ends after " + std::to_string(r) + " of " + std::to_string(rows) + " rows");
    const char* p = line.data();
    const char* end = line.data() + line.size();
    for (int64_t c = 0; c < dim; ++c) {
      if (c > 0) {
        if (p >= end || *p != '\t') return bad(r + 2, "expected " + std::to_string(dim) + " tab-separated values");
        ++p;
      }
      float v = 0;
      const auto res = std::from_chars(p, end, v);
      if (res.ec != std::errc() || !std::isfinite(v))
        return bad(r + 2, "column " + std::to_string(c + 1) + " is not a finite number");
      t.values.push_back(v);
      p = res.ptr;
    }
    if (p != end) return bad(r + 2, "extra data after " + std::to_string(dim) + " values");
  }
  if (std::getline(in, line) && !line.empty())
    return bad(rows + 2, "more rows than the header's rows=" + std::to_string(rows));
  return t;
}

}  // namespace reco::data
