#include "engine/tensor.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace reco::engine {

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float";
    case DType::kUint8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kBool: return "bool";
    case DType::kFloat16: return "float16";
    case DType::kFloat64: return "double";
    case DType::kUndefined: break;
  }
  return "undefined";
}

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return 4;
    case DType::kUint8: return 1;
    case DType::kInt8: return 1;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kBool: return 1;
    case DType::kFloat16: return 2;
    case DType::kFloat64: return 8;
    case DType::kUndefined: break;
  }
  return 0;
}

DType DTypeFromOnnx(int32_t t) {
  switch (t) {
    case 1: return DType::kFloat32;
    case 2: return DType::kUint8;
    case 3: return DType::kInt8;
    case 6: return DType::kInt32;
    case 7: return DType::kInt64;
    case 9: return DType::kBool;
    case 10: return DType::kFloat16;
    case 11: return DType::kFloat64;
    default: return DType::kUndefined;
  }
}

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

StatusOr<Shape> Shape::FromDims(std::span<const int64_t> dims) {
  if (dims.size() > static_cast<size_t>(kMaxRank)) {
    return InvalidArgumentError("rank " + std::to_string(dims.size()) + " exceeds the engine's maximum rank " +
                                std::to_string(kMaxRank));
  }
  Shape s;
  for (int64_t d : dims) {
    if (d < 0) return InvalidArgumentError("negative dimension " + std::to_string(d));
    s.push_back(d);
  }
  return s;
}

void Shape::push_back(int64_t d) {
  if (rank_ >= kMaxRank) {
    std::fprintf(stderr, "Shape::push_back: rank exceeds %d\n", kMaxRank);
    std::abort();
  }
  dims_[rank_++] = d;
}

void Shape::resize(int rank, int64_t fill) {
  if (rank > kMaxRank) std::abort();
  for (int i = rank_; i < rank; ++i) dims_[i] = fill;
  rank_ = rank;
}

int64_t Shape::num_elements() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

void Shape::Strides(int64_t* out) const {
  int64_t s = 1;
  for (int i = rank_ - 1; i >= 0; --i) {
    out[i] = s;
    s *= dims_[i];
  }
}

std::string Shape::ToString() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ",";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank_ != b.rank_) return false;
  for (int i = 0; i < a.rank_; ++i) {
    if (a.dims_[i] != b.dims_[i]) return false;
  }
  return true;
}

void* AlignedAlloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  void* p = std::aligned_alloc(kTensorAlignment, rounded);
  if (p == nullptr) {
    std::fprintf(stderr, "AlignedAlloc: out of memory (%zu bytes)\n", bytes);
    std::abort();
  }
  return p;
}

void AlignedFree(void* p) { std::free(p); }

void Tensor::FreeDeleter::operator()(void* p) const { AlignedFree(p); }

Tensor::Tensor(DType dtype, const Shape& shape) : dtype_(dtype), shape_(shape) {
  size_t bytes = byte_size();
  data_.reset(AlignedAlloc(bytes));
  if (bytes) std::memset(data_.get(), 0, bytes);
}

Tensor Tensor::CopyOf(const TensorView& view) {
  Tensor t(view.dtype, view.shape);
  if (t.byte_size() && view.data) std::memcpy(t.raw_data(), view.data, t.byte_size());
  return t;
}

void Tensor::Reshape(const Shape& shape) {
  if (shape.num_elements() != shape_.num_elements()) {
    std::fprintf(stderr, "Tensor::Reshape: element count mismatch\n");
    std::abort();
  }
  shape_ = shape;
}

}  // namespace reco::engine
