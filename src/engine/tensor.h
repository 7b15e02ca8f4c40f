// Tensors of the inference engine: DType, Shape, the non-owning TensorView and the owning Tensor.
//
// Contract: dense, row-major, little-endian tensors. Shape is a fixed-capacity value (rank <= kMaxRank) so
// shapes are built and copied on the hot path without touching the heap. A TensorView is three words of
// description over memory somebody else owns (an arena, an initializer, a caller's buffer): it must not outlive
// that memory. A Tensor owns a 64-byte-aligned buffer. Element count of a scalar (rank 0) is 1; a shape with a
// zero dimension has 0 elements and may have a null data pointer.
// Thread-safety: value types; const access from many threads is safe, mutation needs external synchronisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reco::engine {

// Element types the engine computes in. Values are onnx::TensorProto::DataType numbers, so conversion to and
// from the protobuf is a cast (checked by DTypeFromOnnx).
enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kInt32 = 6,
  kInt64 = 7,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
};

// ONNX spelling: "float", "int64", "int32", "bool", "double", "float16", "uint8", "int8"; "undefined".
std::string_view DTypeName(DType dtype);
// Bytes per element; 0 for kUndefined.
size_t DTypeSize(DType dtype);
// Maps an onnx::TensorProto::DataType number; kUndefined for types the engine does not handle (string, bf16..).
DType DTypeFromOnnx(int32_t onnx_elem_type);
inline int32_t DTypeToOnnx(DType dtype) { return static_cast<int32_t>(dtype); }

// C++ type -> DType, for templated kernels: DTypeOf<float>() == DType::kFloat32.
template <typename T>
constexpr DType DTypeOf();
template <> constexpr DType DTypeOf<float>() { return DType::kFloat32; }
template <> constexpr DType DTypeOf<double>() { return DType::kFloat64; }
template <> constexpr DType DTypeOf<int64_t>() { return DType::kInt64; }
template <> constexpr DType DTypeOf<int32_t>() { return DType::kInt32; }
template <> constexpr DType DTypeOf<bool>() { return DType::kBool; }
template <> constexpr DType DTypeOf<uint8_t>() { return DType::kUint8; }
template <> constexpr DType DTypeOf<int8_t>() { return DType::kInt8; }

// A tensor shape of at most kMaxRank dims. Never allocates.
class Shape {
 public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  // Fails if dims.size() > kMaxRank or a dim is negative (use FromDimsAllowDynamic for -1 dims).
  static StatusOr<Shape> FromDims(std::span<const int64_t> dims);

  int rank() const { return rank_; }
  bool empty_rank() const { return rank_ == 0; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  int64_t dim(int i) const { return dims_[i]; }
  std::span<const int64_t> dims() const { return {dims_, static_cast<size_t>(rank_)}; }

  // Precondition: rank() < kMaxRank (CHECKed).
  void push_back(int64_t d);
  void resize(int rank, int64_t fill = 1);
  void clear() { rank_ = 0; }

  // Product of dims; 1 for rank 0.
  int64_t num_elements() const;
  // The element count, or -1 when the product of the dims overflows int64 (shapes that come from a model file or a
  // request are checked with this before anything is sized from them).
  int64_t CheckedNumElements() const;
  // Row-major strides in elements.
  void Strides(int64_t* out) const;

  // "[2,3,4]"; "[]" for a scalar.
  std::string ToString() const;

  friend bool operator==(const Shape& a, const Shape& b);
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  int64_t dims_[kMaxRank] = {};
  int rank_ = 0;
};

// A non-owning typed view. Not owned: `data` must outlive the view.
struct TensorView {
  DType dtype = DType::kUndefined;
  Shape shape;
  void* data = nullptr;

  TensorView() = default;
  TensorView(DType t, const Shape& s, void* d) : dtype(t), shape(s), data(d) {}
  TensorView(DType t, const Shape& s, const void* d) : dtype(t), shape(s), data(const_cast<void*>(d)) {}

  int64_t num_elements() const { return shape.num_elements(); }
  size_t byte_size() const { return static_cast<size_t>(num_elements()) * DTypeSize(dtype); }

  // Unchecked typed access (kernels check dtype when they are created or planned).
  template <typename T> T* data_as() const { return static_cast<T*>(data); }
  template <typename T> std::span<T> span() const { return {static_cast<T*>(data), static_cast<size_t>(num_elements())}; }
};

// An owning tensor with a 64-byte-aligned buffer. Movable, not copyable (use Clone()).
class Tensor {
 public:
  Tensor() = default;
  // Allocates (zero-filled) storage for dtype/shape.
  Tensor(DType dtype, const Shape& shape);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  // A tensor holding a copy of `values` with `shape` (element count must match; CHECKed).
  template <typename T>
  static Tensor FromVector(const Shape& shape, std::span<const T> values);
  template <typename T>
  static Tensor FromVector(const Shape& shape, std::initializer_list<T> values) {
    return FromVector<T>(shape, std::span<const T>(values.begin(), values.size()));
  }
  // Like the constructor, but ResourceExhausted instead of an abort when the memory is not there (for sizes a
  // model or request decides).
  static StatusOr<Tensor> TryCreate(DType dtype, const Shape& shape);
  // Deep copy of a view.
  static Tensor CopyOf(const TensorView& view);
  Tensor Clone() const { return CopyOf(view()); }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t num_elements() const { return shape_.num_elements(); }
  size_t byte_size() const { return static_cast<size_t>(num_elements()) * DTypeSize(dtype_); }
  void* raw_data() { return data_.get(); }
  const void* raw_data() const { return data_.get(); }
  template <typename T> T* data() { return static_cast<T*>(raw_data()); }
  template <typename T> const T* data() const { return static_cast<const T*>(raw_data()); }
  template <typename T> std::span<const T> span() const { return {data<T>(), static_cast<size_t>(num_elements())}; }

  TensorView view() const { return TensorView(dtype_, shape_, raw_data()); }
  // Changes the shape without touching data; element count must be unchanged (CHECKed).
  void Reshape(const Shape& shape);

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::unique_ptr<void, FreeDeleter> data_;
};

// A named view (input to / output of Session::Run). `name` is not owned.
struct NamedView {
  std::string_view name;
  TensorView view;
};

// A named owning tensor (the convenience Run's output).
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// IEEE binary16 <-> float (round to nearest even; NaN/Inf kept).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

// 64-byte-aligned allocation helpers used by Tensor and the run arena. AlignedAlloc(0) returns nullptr.
void* AlignedAlloc(size_t bytes);
// Like AlignedAlloc, but nullptr when the memory is not there (for sizes that come from request shapes).
void* TryAlignedAlloc(size_t bytes);
// The largest tensor the engine will plan or allocate (64 GiB): shapes beyond it are rejected as implausible
// before any allocation, so hostile dims fail with a Status instead of an abort.
inline constexpr int64_t kMaxTensorBytes = int64_t{1} << 36;
void AlignedFree(void* p);
inline constexpr size_t kTensorAlignment = 64;

template <typename T>
Tensor Tensor::FromVector(const Shape& shape, std::span<const T> values) {
  if (values.size() != static_cast<size_t>(shape.num_elements())) std::abort();  // programmer error
  Tensor t(DTypeOf<T>(), shape);
  T* out = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return t;
}

}  // namespace reco::engine
