#include "data/idx.h"

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace reco::data {
namespace {

constexpr uint8_t kTypeUint8 = 0x08;
constexpr int kMaxRank = 4;  // MNIST uses 1 (labels) and 3 (images)

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

uint32_t ReadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

StatusOr<std::vector<uint8_t>> ReadMaybeGzipFile(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) return InvalidArgumentError(path + ": is a directory, not a file");
  // zlib reads plain files transparently, so one path handles raw and .gz.
  GzHandle f(gzopen(path.c_str(), "rb"));
  if (!f) return NotFoundError(path + ": cannot open");
  gzbuffer(f.get(), 1 << 17);
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    const int n = gzread(f.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int err = 0;
      const char* msg = gzerror(f.get(), &err);
      return DataLossError(path + ": corrupt gzip stream (" + std::string(msg ? msg : "unknown error") + ")");
    }
    if (n == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
    if (out.size() > max_bytes) {
      out.resize(max_bytes + 1);  // the caller only needs to see that there is more
      return out;
    }
  }
  int err = 0;
  gzerror(f.get(), &err);
  // A gzip stream cut short reads as EOF with Z_BUF_ERROR set.
  if (err != Z_OK && err != Z_STREAM_END) {
    return DataLossError(path + ": truncated or corrupt gzip stream");
  }
  GzHandle closing = std::move(f);
  if (gzclose(closing.release()) == Z_BUF_ERROR) return DataLossError(path + ": truncated gzip stream");
  return out;
}

namespace {

// The header of an IDX file: its dims, its size in bytes and the payload bytes it promises.
struct IdxHeader {
  std::vector<int64_t> dims;
  size_t header_bytes = 0;
  uint64_t payload_bytes = 1;
};

StatusOr<IdxHeader> ParseIdxHeader(const std::vector<uint8_t>& bytes, const std::string& name, int expected_rank) {
  if (bytes.size() < 4) {
    return DataLossError(name + ": truncated IDX header (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ": bad IDX magic number 0x%02x%02x%02x%02x (not an IDX/MNIST file?)", bytes[0],
                  bytes[1], bytes[2], bytes[3]);
    return InvalidArgumentError(name + buf);
  }
  if (bytes[2] != kTypeUint8) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ": unsupported IDX element type 0x%02x (expected 0x08, unsigned byte)", bytes[2]);
    return InvalidArgumentError(name + buf);
  }
  const int rank = bytes[3];
  if (rank < 1 || rank > kMaxRank) {
    return InvalidArgumentError(name + ": bad IDX rank " + std::to_string(rank));
  }
  if (expected_rank > 0 && rank != expected_rank) {
    return InvalidArgumentError(name + ": IDX rank is " + std::to_string(rank) + ", expected " +
                                std::to_string(expected_rank) + (expected_rank == 1 ? " (labels)" : " (images)"));
  }
  IdxHeader h;
  h.header_bytes = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < h.header_bytes) return DataLossError(name + ": truncated IDX header (dimensions missing)");
  for (int i = 0; i < rank; ++i) {
    const uint32_t d = ReadBigEndian32(&bytes[4 + 4 * i]);
    if (d == 0) return InvalidArgumentError(name + ": dimension " + std::to_string(i) + " is zero");
    h.dims.push_back(d);
    h.payload_bytes *= d;
    if (h.payload_bytes > (uint64_t{1} << 36)) return InvalidArgumentError(name + ": implausibly large IDX dimensions");
  }
  return h;
}

}  // namespace

StatusOr<IdxArray> ParseIdx(const std::vector<uint8_t>& bytes, const std::string& name, int expected_rank) {
  ASSIGN_OR_RETURN(IdxHeader h, ParseIdxHeader(bytes, name, expected_rank));
  const size_t header = h.header_bytes;
  const uint64_t count = h.payload_bytes;
  IdxArray out;
  out.dims = std::move(h.dims);
  const uint64_t payload = bytes.size() - header;
  if (payload < count) {
    return DataLossError(name + ": truncated IDX payload: header promises " + std::to_string(count) +
                         " bytes, file has " + std::to_string(payload));
  }
  if (payload > count) {
    return DataLossError(name + ": " + std::to_string(payload - count) + " unexpected trailing bytes after the IDX payload");
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

StatusOr<IdxArray> ReadIdxFile(const std::string& path, int expected_rank) {
  // The header says how many bytes follow: read it first, then at most that much (+1 to detect trailing bytes),
  // so a small gzip that inflates to gigabytes is refused without holding them in memory.
  ASSIGN_OR_RETURN(std::vector<uint8_t> head, ReadMaybeGzipFile(path, 4 + 4 * kMaxRank));
  ASSIGN_OR_RETURN(IdxHeader h, ParseIdxHeader(head, path, expected_rank));
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                   ReadMaybeGzipFile(path, h.header_bytes + static_cast<size_t>(h.payload_bytes)));
  return ParseIdx(bytes, path, expected_rank);
}

}  // namespace reco::data
