#include "data/vocab_id.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <sstream>

namespace reco::data {

IdVocab IdVocab::Build(const std::unordered_map<uint64_t, int64_t>& counts, int64_t min_count, std::string name) {
  std::vector<uint64_t> ids;
  std::vector<int64_t> c;
  ids.reserve(counts.size()), c.reserve(counts.size());
  for (const auto& [id, n] : counts) ids.push_back(id), c.push_back(n);
  return Build(ids, c, min_count, std::move(name));
}

IdVocab IdVocab::Build(const std::vector<uint64_t>& ids, const std::vector<int64_t>& counts, int64_t min_count,
                       std::string name) {
  IdVocab v;
  v.name_ = std::move(name);
  v.min_count_ = min_count;
  std::vector<uint32_t> kept;
  kept.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (counts[i] >= min_count) kept.push_back(static_cast<uint32_t>(i));
  }
  std::sort(kept.begin(), kept.end(), [&](uint32_t a, uint32_t b) {
    return counts[a] != counts[b] ? counts[a] > counts[b] : ids[a] < ids[b];
  });
  v.raw_.reserve(kept.size());
  v.counts_.reserve(kept.size());
  v.index_ = IdHashMap(kept.size());
  bool inserted;
  for (uint32_t k : kept) {
    v.index_.FindOrInsert(ids[k], static_cast<int32_t>(v.raw_.size()) + kFirstIndex, &inserted);
    v.raw_.push_back(ids[k]);
    v.counts_.push_back(counts[k]);
  }
  return v;
}

Status IdVocab::Save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!f) return InvalidArgumentError(path + ": cannot open for writing");
  std::fprintf(f.get(), "# reco-vocab v1 name=%s size=%d min_count=%lld\n", name_.c_str(), size(),
               static_cast<long long>(min_count_));
  for (size_t i = 0; i < raw_.size(); ++i) {
    std::fprintf(f.get(), "%llu\t%lld\n", static_cast<unsigned long long>(raw_[i]), static_cast<long long>(counts_[i]));
  }
  if (std::fflush(f.get()) != 0 || std::ferror(f.get())) return InternalError(path + ": write failed");
  f.reset();
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return InternalError(path + ": rename failed");
  return Status::Ok();
}

StatusOr<IdVocab> IdVocab::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": vocabulary file missing or unreadable");
  std::string line;
  if (!std::getline(in, line) || line.rfind("# reco-vocab v1 ", 0) != 0) {
    return DataLossError(path + ":1: not a reco vocabulary (expected header \"# reco-vocab v1 ...\")");
  }
  IdVocab v;
  long long size = -1;
  std::istringstream hs(line.substr(16));
  std::string kv;
  while (hs >> kv) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
    if (key == "name") v.name_ = val;
    if (key == "size") size = std::atoll(val.c_str());
    if (key == "min_count") v.min_count_ = std::atoll(val.c_str());
  }
  if (size < kFirstIndex) return DataLossError(path + ":1: header lacks a valid size=");
  v.raw_.reserve(static_cast<size_t>(std::min<long long>(size, 1 << 24) - kFirstIndex));
  int64_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto tab = line.find('\t');
    uint64_t id = 0;
    int64_t count = 0;
    const char* b = line.data();
    const char* e = line.data() + (tab == std::string::npos ? line.size() : tab);
    auto r1 = std::from_chars(b, e, id);
    bool ok = r1.ec == std::errc() && r1.ptr == e;
    if (ok && tab != std::string::npos) {
      auto r2 = std::from_chars(line.data() + tab + 1, line.data() + line.size(), count);
      ok = r2.ec == std::errc() && r2.ptr == line.data() + line.size();
    }
    if (!ok) return DataLossError(path + ":" + std::to_string(line_no) + ": malformed entry \"" + line + "\"");
    bool inserted = false;
    if (id != IdHashMap::kEmpty) v.index_.FindOrInsert(id, static_cast<int32_t>(v.raw_.size()) + kFirstIndex, &inserted);
    if (!inserted) {
      return DataLossError(path + ":" + std::to_string(line_no) + ": duplicate id " + std::to_string(id));
    }
    v.raw_.push_back(id);
    v.counts_.push_back(count);
  }
  if (v.size() != size) {
    return DataLossError(path + ": header says size=" + std::to_string(size) + " but the file holds " +
                         std::to_string(v.size()) + " (truncated?)");
  }
  return v;
}

}  // namespace reco::data
