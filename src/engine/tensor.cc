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

int64_t Shape::CheckedNumElements() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] < 0 || __builtin_mul_overflow(n, dims_[i], &n)) return -1;
  }
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

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0);  // Inf / NaN
  if (abs >= 0x477ff000) return sign | 0x7c00;                                   // overflow -> Inf
  if (abs < 0x38800000) {                                                        // subnormal or zero
    if (abs < 0x33000000) return sign;
    // Half subnormal: value = q * 2^-24 with q = full >> (126 - e); round to nearest even.
    const uint32_t e = abs >> 23;
    const uint32_t full = (abs & 0x7fffff) | 0x800000;
    const int s2 = 126 - static_cast<int>(e);
    const uint32_t q = full >> s2, rr = full & ((1u << s2) - 1), hh = 1u << (s2 - 1);
    const uint32_t out = q + ((rr > hh || (rr == hh && (q & 1))) ? 1 : 0);
    return static_cast<uint16_t>(sign | out);
  }
  uint32_t h = ((abs >> 13) - ((127 - 15) << 10));
  const uint32_t rem = abs & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
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

void* TryAlignedAlloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  if (bytes > static_cast<size_t>(kMaxTensorBytes) * 4) return nullptr;
  const size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  return std::aligned_alloc(kTensorAlignment, rounded);
}

void AlignedFree(void* p) { std::free(p); }

void Tensor::FreeDeleter::operator()(void* p) const { AlignedFree(p); }

Tensor::Tensor(DType dtype, const Shape& shape) : dtype_(dtype), shape_(shape) {
  size_t bytes = byte_size();
  data_.reset(AlignedAlloc(bytes));
  if (bytes) std::memset(data_.get(), 0, bytes);
}

StatusOr<Tensor> Tensor::TryCreate(DType dtype, const Shape& shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  const size_t bytes = t.byte_size();
  t.data_.reset(TryAlignedAlloc(bytes));
  if (bytes && t.data_ == nullptr) {
    return ResourceExhaustedError("cannot allocate " + std::to_string(bytes) + " bytes for a tensor of shape " +
                                  shape.ToString());
  }
  if (bytes) std::memset(t.data_.get(), 0, bytes);
  return t;
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
