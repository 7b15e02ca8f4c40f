#include "data/samples_file.h"

#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "data/samples_builder.h"

namespace reco::data {
namespace {

constexpr uint64_t Align8(uint64_t x) { return (x + 7) & ~uint64_t{7}; }

// Byte offsets of each section, computed identically by writer and reader.
struct Sections {
  uint64_t item, cate, type, time, user_offset, item_cate, samples, negatives, end;
};

// False on overflow-prone sizes (a corrupt header); the reader then reports DataLoss.
bool ComputeSections(const SampleFileHeader& h, Sections* s) {
  constexpr uint64_t kLimit = uint64_t{1} << 50;
  if (h.num_events > kLimit || h.num_users > kLimit || h.num_items > kLimit || h.num_samples > kLimit ||
      h.num_negatives > 1000) {
    return false;
  }
  uint64_t off = sizeof(SampleFileHeader);
  auto take = [&off](uint64_t bytes) { const uint64_t at = off; off = Align8(off + bytes); return at; };
  s->item = take(4 * h.num_events);
  s->cate = take(4 * h.num_events);
  s->type = take(h.num_events);
  s->time = take(4 * h.num_events);
  s->user_offset = take(8 * (h.num_users + 1));
  s->item_cate = take(4 * h.num_items);
  s->samples = take(sizeof(SampleRecord) * h.num_samples);
  s->negatives = take(4 * h.num_samples * h.num_negatives);
  s->end = off;
  return true;
}

class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) {}
  void Put(const void* data, size_t bytes) {
    if (bytes > 0 && std::fwrite(data, 1, bytes, f_) != bytes) ok_ = false;
    off_ += bytes;
    static const char kZeros[8] = {};
    const uint64_t pad = Align8(off_) - off_;
    if (pad > 0 && std::fwrite(kZeros, 1, pad, f_) != pad) ok_ = false;
    off_ += pad;
  }
  template <typename T>
  void Put(const std::vector<T>& v) { Put(v.data(), v.size() * sizeof(T)); }
  bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  uint64_t off_ = 0;
  bool ok_ = true;
};

}  // namespace

Status WriteSampleFile(const SampleDataset& data, const std::string& path) {
  static_assert(std::endian::native == std::endian::little, "sample files are little-endian");
  SampleFileHeader h = data.header;
  Sections sec;
  if (!ComputeSections(h, &sec)) return InvalidArgumentError(path + ": dataset too large for the sample format");
  h.file_size = sec.end;
  const std::string tmp = path + ".tmp";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!f) return InvalidArgumentError(path + ": cannot open for writing");
  Writer w(f.get());
  w.Put(&h, sizeof(h));
  w.Put(data.event_item), w.Put(data.event_cate), w.Put(data.event_type), w.Put(data.event_time);
  w.Put(data.user_offset), w.Put(data.item_cate), w.Put(data.samples), w.Put(data.negatives);
  if (!w.ok() || std::fflush(f.get()) != 0) return InternalError(path + ": write failed (disk full?)");
  f.reset();
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return InternalError(path + ": rename failed");
  return Status::Ok();
}

Status WriteVocabularies(const SampleDataset& data, const std::string& dir) {
  RETURN_IF_ERROR(data.user_vocab.Save(dir + "/user_vocab.txt"));
  RETURN_IF_ERROR(data.item_vocab.Save(dir + "/item_vocab.txt"));
  return data.cate_vocab.Save(dir + "/cate_vocab.txt");
}

StatusOr<std::unique_ptr<SampleFile>> SampleFile::Open(const std::string& path) {
  ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(path));
  std::unique_ptr<SampleFile> file(new SampleFile(std::move(mapped)));
  RETURN_IF_ERROR(file->Validate().WithContext(path));
  return file;
}

Status SampleFile::Validate() {
  const std::string_view v = file_->view();
  if (v.size() < sizeof(SampleFileHeader)) {
    return DataLossError("truncated: " + std::to_string(v.size()) + " bytes, smaller than the 128-byte header");
  }
  header_ = reinterpret_cast<const SampleFileHeader*>(v.data());
  const SampleFileHeader& h = *header_;
  if (std::memcmp(h.magic, kSampleFileMagic, sizeof(kSampleFileMagic)) != 0) {
    return DataLossError("bad magic: not a reco sample file");
  }
  if (h.version != kSampleFileVersion) {
    return DataLossError("unsupported version " + std::to_string(h.version) + " (this build reads " +
                         std::to_string(kSampleFileVersion) + ")");
  }
  if (h.max_history < 1 || h.max_history > 65535) return DataLossError("header max_history out of range");
  Sections sec;
  if (!ComputeSections(h, &sec)) return DataLossError("header counts are implausible (corrupt header)");
  if (h.file_size != sec.end || v.size() != sec.end) {
    return DataLossError("size mismatch: file has " + std::to_string(v.size()) + " bytes, header implies " +
                         std::to_string(sec.end) + " (truncated or corrupt)");
  }
  if (h.split_count[0] + h.split_count[1] + h.split_count[2] != h.num_samples) {
    return DataLossError("split counts do not add up to num_samples");
  }
  if (h.num_users < 2 || h.num_items < 2 || h.num_cates < 2) return DataLossError("vocabulary sizes below 2");
  const char* base = v.data();
  item_ = reinterpret_cast<const int32_t*>(base + sec.item);
  cate_ = reinterpret_cast<const int32_t*>(base + sec.cate);
  type_ = reinterpret_cast<const uint8_t*>(base + sec.type);
  time_ = reinterpret_cast<const uint32_t*>(base + sec.time);
  user_offset_ = reinterpret_cast<const uint64_t*>(base + sec.user_offset);
  item_cate_ = reinterpret_cast<const int32_t*>(base + sec.item_cate);
  samples_ = reinterpret_cast<const SampleRecord*>(base + sec.samples);
  negatives_ = reinterpret_cast<const int32_t*>(base + sec.negatives);
  split_begin_[0] = 0;
  for (int s = 0; s < kNumSplits; ++s) split_begin_[s + 1] = split_begin_[s] + h.split_count[s];

  // Content checks: one linear pass, cheap next to training and it keeps every later access in bounds.
  const int64_t ni = static_cast<int64_t>(h.num_items), nc = static_cast<int64_t>(h.num_cates);
  for (uint64_t i = 0; i < h.num_events; ++i) {
    if (item_[i] < 1 || item_[i] >= ni || cate_[i] < 1 || cate_[i] >= nc || type_[i] > 3) {
      return DataLossError("event " + std::to_string(i) + ": item/category/type index out of range");
    }
  }
  if (user_offset_[0] != 0 || user_offset_[h.num_users] != h.num_events) return DataLossError("bad user_offset bounds");
  for (uint64_t u = 0; u < h.num_users; ++u) {
    if (user_offset_[u + 1] < user_offset_[u]) return DataLossError("user_offset not monotonic at " + std::to_string(u));
  }
  for (uint64_t i = 0; i < h.num_items; ++i) {
    if (item_cate_[i] < 0 || item_cate_[i] >= nc) return DataLossError("item_cate[" + std::to_string(i) + "] out of range");
  }
  for (uint64_t i = 0; i < h.num_samples; ++i) {
    const SampleRecord& r = samples_[i];
    if (r.user >= h.num_users || r.event >= user_offset_[r.user + 1] || r.hist_len < 1 ||
        r.hist_len > h.max_history || r.event < user_offset_[r.user] + r.hist_len) {
      return DataLossError("sample " + std::to_string(i) + ": event/user/hist_len inconsistent");
    }
  }
  for (uint64_t i = 0; i < h.num_samples * h.num_negatives; ++i) {
    if (negatives_[i] < 2 || negatives_[i] >= ni) return DataLossError("negative " + std::to_string(i) + " out of range");
  }
  return Status::Ok();
}

std::span<const SampleRecord> SampleFile::samples(Split split) const {
  const int s = static_cast<int>(split);
  return {samples_ + split_begin_[s], split_begin_[s + 1] - split_begin_[s]};
}

std::span<const int32_t> SampleFile::negatives(Split split, size_t i) const {
  const size_t k = header_->num_negatives;
  return {negatives_ + (split_begin_[static_cast<int>(split)] + i) * k, k};
}

void SampleFile::FillBatch(Split split, size_t begin, size_t end, DinBatch* out) const {
  const auto all = samples(split);
  end = std::min(end, all.size());
  begin = std::min(begin, end);
  const size_t L = header_->max_history, k = header_->num_negatives;
  const size_t rows = (end - begin) * (1 + k);
  out->rows = static_cast<int64_t>(rows);
  out->max_history = static_cast<int64_t>(L);
  // resize() keeps capacity: no allocation once the batch has seen its largest size.
  out->hist_item.assign(rows * L, 0), out->hist_cate.assign(rows * L, 0);
  out->hist_type.assign(rows * L, 0), out->hist_recency.assign(rows * L, 0), out->hist_mask.assign(rows * L, 0);
  out->hist_len.resize(rows), out->target_item.resize(rows), out->target_cate.resize(rows);
  out->user.resize(rows), out->label.resize(rows);
  size_t row = 0;
  for (size_t i = begin; i < end; ++i) {
    const SampleRecord& r = all[i];
    const auto items = hist_item(r), cates = hist_cate(r);
    const auto types = hist_type(r);
    const auto times = hist_time(r);
    const uint32_t t_target = time_[r.event];
    const auto negs = negatives(split, i);
    for (size_t j = 0; j <= k; ++j, ++row) {
      const size_t o = row * L;
      std::copy(items.begin(), items.end(), out->hist_item.begin() + static_cast<std::ptrdiff_t>(o));
      std::copy(cates.begin(), cates.end(), out->hist_cate.begin() + static_cast<std::ptrdiff_t>(o));
      for (size_t h = 0; h < r.hist_len; ++h) {
        out->hist_type[o + h] = types[h];
        out->hist_recency[o + h] = static_cast<uint8_t>(RecencyBucket(int64_t{t_target} - times[h]));
        out->hist_mask[o + h] = 1;
      }
      const int32_t target = j == 0 ? item_[r.event] : negs[j - 1];
      out->hist_len[row] = r.hist_len;
      out->target_item[row] = target;
      out->target_cate[row] = j == 0 ? cate_[r.event] : item_cate_[target];
      out->user[row] = static_cast<int32_t>(r.user);
      out->label[row] = j == 0 ? 1.0f : 0.0f;
    }
  }
}

}  // namespace reco::data
