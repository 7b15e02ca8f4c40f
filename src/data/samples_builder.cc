#include "data/samples_builder.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace reco::data {
namespace {

// splitmix64: tiny, fast, and identical on every platform (std distributions are not).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t s_;
};

// Draws item indices (>= kFirstIndex) with probability proportional to their count, in O(1) with Walker's alias
// method (a binary search over 1M cumulative counts would cost ~20 cache misses per negative).
class PopularitySampler {
 public:
  explicit PopularitySampler(const IdVocab& vocab) {
    const size_t n = static_cast<size_t>(vocab.size() - IdVocab::kFirstIndex);
    threshold_.resize(n), alias_.resize(n);
    if (n == 0) return;
    long double total = 0;
    for (size_t i = 0; i < n; ++i) total += static_cast<long double>(vocab.Count(static_cast<int32_t>(i) + IdVocab::kFirstIndex));
    std::vector<double> scaled(n);  // mean 1
    std::vector<uint32_t> small, large;
    for (size_t i = 0; i < n; ++i) {
      scaled[i] = static_cast<double>(vocab.Count(static_cast<int32_t>(i) + IdVocab::kFirstIndex) * n / total);
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const uint32_t s = small.back(), l = large.back();
      small.pop_back();
      threshold_[s] = ToThreshold(scaled[s]), alias_[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) large.pop_back(), small.push_back(l);
    }
    for (uint32_t i : small) threshold_[i] = ~uint32_t{0}, alias_[i] = i;  // rounding leftovers
    for (uint32_t i : large) threshold_[i] = ~uint32_t{0}, alias_[i] = i;
  }
  int32_t Draw(SplitMix64& rng) const {
    const uint64_t r = rng.Next();
    const size_t i = static_cast<size_t>((r & 0xFFFFFFFFull) * threshold_.size() >> 32);
    const uint32_t coin = static_cast<uint32_t>(r >> 32);
    return static_cast<int32_t>(coin < threshold_[i] ? i : alias_[i]) + IdVocab::kFirstIndex;
  }

 private:
  static uint32_t ToThreshold(double p) {
    return p >= 1.0 ? ~uint32_t{0} : static_cast<uint32_t>(p * 4294967296.0);
  }
  std::vector<uint32_t> threshold_;  // keep i if coin < threshold, else take alias
  std::vector<uint32_t> alias_;
};

// Interns one id column: provisional index (first occurrence) per event, and each distinct id's count.
struct Interned {
  std::vector<uint32_t> index;  // per event
  std::vector<uint64_t> ids;    // per provisional index
  std::vector<int64_t> counts;
};

Interned Intern(std::vector<uint64_t>& column) {
  Interned out;
  out.index.resize(column.size());
  IdHashMap map(1024);
  uint64_t last = IdHashMap::kEmpty;
  uint32_t last_index = 0;
  bool inserted;
  for (size_t i = 0; i < column.size(); ++i) {
    const uint64_t id = column[i];
    if (id != last) {  // runs of one id (a user's rows) skip the hash
      last = id;
      last_index = static_cast<uint32_t>(map.FindOrInsert(id, static_cast<int32_t>(out.ids.size()), &inserted));
      if (inserted) out.ids.push_back(id), out.counts.push_back(0);
    }
    out.index[i] = last_index;
    ++out.counts[last_index];
  }
  std::vector<uint64_t>().swap(column);
  return out;
}

// Final vocabulary index of each provisional index.
std::vector<int32_t> Remap(const Interned& in, const IdVocab& vocab) {
  std::vector<int32_t> remap(in.ids.size());
  for (size_t i = 0; i < in.ids.size(); ++i) remap[i] = vocab.Lookup(in.ids[i]);
  return remap;
}

Status ValidateOptions(const SampleBuildOptions& o) {
  if (o.max_history < 1 || o.max_history > 65535) return InvalidArgumentError("max_history must be in 1..65535");
  if (o.num_negatives < 0 || o.num_negatives > 1000) return InvalidArgumentError("num_negatives must be in 0..1000");
  if (o.item_min_count < 1 || o.cate_min_count < 1) return InvalidArgumentError("min counts must be >= 1");
  if (o.split == SplitMode::kTime && o.valid_end < o.train_end) {
    return InvalidArgumentError("time split needs train_end <= valid_end");
  }
  return Status::Ok();
}

// Stable-sorts one user's events [b, e) by time (rare: the public dataset is sorted).
void SortUserByTime(SampleDataset& d, size_t b, size_t e, std::vector<uint32_t>& perm) {
  perm.resize(e - b);
  std::iota(perm.begin(), perm.end(), 0u);
  std::stable_sort(perm.begin(), perm.end(), [&](uint32_t x, uint32_t y) { return d.event_time[b + x] < d.event_time[b + y]; });
  auto apply = [&](auto& v) {
    std::vector<std::decay_t<decltype(v[0])>> tmp(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) tmp[i] = v[b + perm[i]];
    std::copy(tmp.begin(), tmp.end(), v.begin() + static_cast<std::ptrdiff_t>(b));
  };
  apply(d.event_item), apply(d.event_cate), apply(d.event_type), apply(d.event_time);
}

}  // namespace

std::string SampleBuildStats::Summary() const {
  return std::to_string(events) + " events, " + std::to_string(users) + " users (" +
         std::to_string(single_event_users) + " with one event, " + std::to_string(unsorted_users) +
         " re-sorted by time); samples train " + std::to_string(split_count[0]) + ", validation " +
         std::to_string(split_count[1]) + ", test " + std::to_string(split_count[2]) + "; " +
         std::to_string(truncated_histories) + " histories truncated, " + std::to_string(oov_targets_skipped) +
         " OOV targets skipped";
}

StatusOr<SampleDataset> BuildSamples(EventColumns events, const SampleBuildOptions& options, SampleBuildStats* stats) {
  RETURN_IF_ERROR(ValidateOptions(options));
  const size_t n = events.size();
  if (n == 0) return InvalidArgumentError("no events to build samples from (empty or fully dirty input)");
  SampleBuildStats local;
  SampleBuildStats& st = stats ? *stats : local;
  st = SampleBuildStats{};
  st.events = static_cast<int64_t>(n);

  SampleDataset d;
  const auto [tmin, tmax] = std::minmax_element(events.ts.begin(), events.ts.end());
  const int64_t base_time = *tmin;
  if (*tmax - base_time > int64_t{std::numeric_limits<uint32_t>::max()}) {
    return InvalidArgumentError("events span more than 2^32 seconds; check the timestamp window");
  }
  Interned users = Intern(events.user), items = Intern(events.item), cates = Intern(events.cate);
  d.user_vocab = IdVocab::Build(users.ids, users.counts, 1, "user");
  d.item_vocab = IdVocab::Build(items.ids, items.counts, options.item_min_count, "item");
  d.cate_vocab = IdVocab::Build(cates.ids, cates.counts, options.cate_min_count, "cate");
  const std::vector<int32_t> user_map = Remap(users, d.user_vocab), item_map = Remap(items, d.item_vocab),
                             cate_map = Remap(cates, d.cate_vocab);

  // Group by dense user with a stable counting sort (keeps file order within a user).
  const size_t num_users = static_cast<size_t>(d.user_vocab.size());
  d.user_offset.assign(num_users + 1, 0);
  for (size_t i = 0; i < users.ids.size(); ++i) d.user_offset[static_cast<size_t>(user_map[i]) + 1] += users.counts[i];
  for (size_t u = 0; u < num_users; ++u) d.user_offset[u + 1] += d.user_offset[u];
  std::vector<uint64_t> cursor(d.user_offset.begin(), d.user_offset.end() - 1);
  d.event_item.resize(n), d.event_cate.resize(n), d.event_type.resize(n), d.event_time.resize(n);
  d.item_cate.assign(static_cast<size_t>(d.item_vocab.size()), -1);
  d.item_cate[0] = IdVocab::kPadding, d.item_cate[1] = IdVocab::kOov;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t pos = cursor[static_cast<size_t>(user_map[users.index[i]])]++;
    const int32_t item = item_map[items.index[i]];
    const int32_t cate = cate_map[cates.index[i]];
    if (d.item_cate[static_cast<size_t>(item)] < 0) d.item_cate[static_cast<size_t>(item)] = cate;
    d.event_item[pos] = item, d.event_cate[pos] = cate, d.event_type[pos] = events.type[i];
    d.event_time[pos] = static_cast<uint32_t>(events.ts[i] - base_time);
  }
  events = EventColumns{};
  users = Interned{}, items = Interned{}, cates = Interned{};

  // Samples, per user.
  const PopularitySampler sampler(d.item_vocab);
  const int32_t vocab_items = d.item_vocab.size() - IdVocab::kFirstIndex;
  const size_t k = static_cast<size_t>(options.num_negatives);
  const size_t L = static_cast<size_t>(options.max_history);
  std::vector<SampleRecord> by_split[kNumSplits];
  std::vector<int32_t> neg_by_split[kNumSplits];
  std::vector<uint32_t> perm;
  std::vector<int32_t> touched;
  std::vector<uint64_t> positions;
  for (size_t u = IdVocab::kFirstIndex; u < num_users; ++u) {
    const size_t b = d.user_offset[u], e = d.user_offset[u + 1];
    ++st.users;
    if (e - b < 2) {
      ++st.single_event_users;
      continue;
    }
    if (!std::is_sorted(d.event_time.begin() + static_cast<std::ptrdiff_t>(b), d.event_time.begin() + static_cast<std::ptrdiff_t>(e))) {
      ++st.unsorted_users;
      SortUserByTime(d, b, e, perm);
    }
    positions.clear();
    for (size_t p = b + 1; p < e; ++p) {
      if (d.event_item[p] == IdVocab::kOov) {
        ++st.oov_targets_skipped;
        continue;
      }
      positions.push_back(p);
    }
    if (positions.empty()) continue;
    touched.assign(d.event_item.begin() + static_cast<std::ptrdiff_t>(b), d.event_item.begin() + static_cast<std::ptrdiff_t>(e));
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    const int32_t touched_known = static_cast<int32_t>(touched.size()) - (touched.front() == IdVocab::kOov ? 1 : 0);
    if (k > 0 && touched_known >= vocab_items) {
      return InvalidArgumentError("user " + std::to_string(d.user_vocab.RawId(static_cast<int32_t>(u))) +
                                  " interacted with every item of the vocabulary: no negative can be sampled");
    }
    SplitMix64 rng(options.seed * 0x9E3779B97F4A7C15ull + u);  // per user: independent of other users
    for (size_t j = 0; j < positions.size(); ++j) {
      const uint64_t p = positions[j];
      Split split = Split::kTrain;
      if (options.split == SplitMode::kLastEvent) {
        if (j + 1 == positions.size()) split = Split::kTest;
        else if (j + 2 == positions.size()) split = Split::kValidation;
      } else {
        const int64_t t = base_time + d.event_time[p];
        split = t < options.train_end ? Split::kTrain : t < options.valid_end ? Split::kValidation : Split::kTest;
      }
      const size_t hist = std::min<size_t>(p - b, L);
      if (p - b > L) ++st.truncated_histories;
      const int s = static_cast<int>(split);
      by_split[s].push_back(SampleRecord{p, static_cast<uint32_t>(u), static_cast<uint16_t>(hist), static_cast<uint8_t>(split), 0});
      for (size_t q = 0; q < k; ++q) {
        int32_t neg;
        int tries = 0;
        do {
          neg = sampler.Draw(rng);
          // Heavy users of popular items may reject often; after many tries walk to the next untouched index.
          if (++tries > 64) {
            while (std::binary_search(touched.begin(), touched.end(), neg)) {
              neg = neg + 1 < d.item_vocab.size() ? neg + 1 : IdVocab::kFirstIndex;
            }
          }
        } while (std::binary_search(touched.begin(), touched.end(), neg));
        neg_by_split[s].push_back(neg);
      }
      ++st.split_count[s];
    }
  }
  for (int s = 0; s < kNumSplits; ++s) {
    d.samples.insert(d.samples.end(), by_split[s].begin(), by_split[s].end());
    d.negatives.insert(d.negatives.end(), neg_by_split[s].begin(), neg_by_split[s].end());
    std::vector<SampleRecord>().swap(by_split[s]);
    std::vector<int32_t>().swap(neg_by_split[s]);
  }

  SampleFileHeader& h = d.header;
  std::copy(std::begin(kSampleFileMagic), std::end(kSampleFileMagic), h.magic);
  h.version = kSampleFileVersion;
  h.max_history = static_cast<uint32_t>(options.max_history);
  h.num_negatives = static_cast<uint32_t>(k);
  h.split_mode = static_cast<uint32_t>(options.split);
  h.num_events = n;
  h.num_users = num_users;
  h.num_items = static_cast<uint64_t>(d.item_vocab.size());
  h.num_cates = static_cast<uint64_t>(d.cate_vocab.size());
  h.num_samples = d.samples.size();
  for (int s = 0; s < kNumSplits; ++s) h.split_count[s] = static_cast<uint64_t>(st.split_count[s]);
  h.base_time = base_time;
  h.train_end = options.split == SplitMode::kTime ? options.train_end : 0;
  h.valid_end = options.split == SplitMode::kTime ? options.valid_end : 0;
  return d;
}

}  // namespace reco::data
