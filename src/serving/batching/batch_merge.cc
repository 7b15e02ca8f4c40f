#include "serving/batching/batch_merge.h"

#include <algorithm>
#include <cstring>

namespace reco::serving::batching {
namespace {

// Bytes (or strings) per row of a tensor whose first dim is the batch.
int64_t ElementsPerRow(const Tensor& t) {
  int64_t n = 1;
  for (size_t i = 1; i < t.shape.size(); ++i) n *= t.shape[i];
  return n;
}

void AppendInt(int64_t v, std::string* key) { key->append(reinterpret_cast<const char*>(&v), sizeof(v)); }

}  // namespace

std::optional<int64_t> BatchKey(const void* servable, std::span<const NamedTensor> inputs,
                                std::span<const std::string> output_names, std::string* key) {
  key->clear();
  if (inputs.empty()) return std::nullopt;
  const int64_t rows = inputs.front().tensor.shape.empty() ? -1 : inputs.front().tensor.shape[0];
  if (rows < 1) return std::nullopt;
  AppendInt(reinterpret_cast<intptr_t>(servable), key);
  for (const NamedTensor& in : inputs) {
    const Tensor& t = in.tensor;
    if (t.shape.empty() || t.shape[0] != rows) return std::nullopt;
    // Names are length-prefixed so that no two different lists encode the same.
    AppendInt(static_cast<int64_t>(in.name.size()), key);
    key->append(in.name);
    AppendInt(static_cast<int64_t>(t.dtype), key);
    AppendInt(static_cast<int64_t>(t.shape.size()), key);
    for (size_t i = 1; i < t.shape.size(); ++i) AppendInt(t.shape[i], key);
  }
  key->push_back('|');
  for (const std::string& name : output_names) {
    AppendInt(static_cast<int64_t>(name.size()), key);
    key->append(name);
  }
  return rows;
}

void ConcatInputs(std::span<const std::span<const NamedTensor>> parts, int64_t padded_rows,
                  std::vector<NamedTensor>* merged) {
  const std::span<const NamedTensor> first = parts.front();
  merged->resize(first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    const Tensor& proto = first[i].tensor;
    NamedTensor& out = (*merged)[i];
    out.name = first[i].name;
    std::vector<int64_t> shape = proto.shape;
    shape[0] = padded_rows;
    out.tensor.Reset(proto.dtype, shape);
    const int64_t per_row = ElementsPerRow(proto);
    const size_t row_bytes = static_cast<size_t>(per_row) * DataTypeSize(proto.dtype);
    int64_t row = 0;
    for (const std::span<const NamedTensor> part : parts) {
      const Tensor& src = part[i].tensor;
      const int64_t rows = src.shape[0];
      if (proto.dtype == DataType::kString) {
        std::copy(src.strings.begin(), src.strings.end(), out.tensor.strings.begin() + row * per_row);
      } else if (row_bytes > 0) {
        std::memcpy(out.tensor.bytes.data() + row * row_bytes, src.bytes.data(), rows * row_bytes);
      }
      row += rows;
    }
    // Padding rows repeat the last real row: always valid input for the model, and discarded afterwards.
    for (; row < padded_rows; ++row) {
      if (proto.dtype == DataType::kString) {
        std::copy_n(out.tensor.strings.begin() + (row - 1) * per_row, per_row,
                    out.tensor.strings.begin() + row * per_row);
      } else if (row_bytes > 0) {
        std::memcpy(out.tensor.bytes.data() + row * row_bytes, out.tensor.bytes.data() + (row - 1) * row_bytes,
                    row_bytes);
      }
    }
  }
}

Status SliceOutputs(std::span<const NamedTensor> merged, int64_t total_rows, int64_t row_begin, int64_t rows,
                    std::vector<NamedTensor>* out) {
  out->resize(merged.size());
  for (size_t i = 0; i < merged.size(); ++i) {
    const Tensor& src = merged[i].tensor;
    if (src.shape.empty() || src.shape[0] != total_rows) {
      return InvalidArgumentError("dynamic batching: output '" + merged[i].name + "' has shape " +
                                  ShapeString(src.shape) + ", expected its first dim to be the batch size " +
                                  std::to_string(total_rows) + "; serve this model with batching disabled");
    }
    NamedTensor& dst = (*out)[i];
    dst.name = merged[i].name;
    std::vector<int64_t> shape = src.shape;
    shape[0] = rows;
    dst.tensor.Reset(src.dtype, shape);
    const int64_t per_row = ElementsPerRow(src);
    if (src.dtype == DataType::kString) {
      std::copy_n(src.strings.begin() + row_begin * per_row, rows * per_row, dst.tensor.strings.begin());
    } else {
      const size_t row_bytes = static_cast<size_t>(per_row) * DataTypeSize(src.dtype);
      if (row_bytes > 0) std::memcpy(dst.tensor.bytes.data(), src.bytes.data() + row_begin * row_bytes, rows * row_bytes);
    }
  }
  return Status::Ok();
}

}  // namespace reco::serving::batching
