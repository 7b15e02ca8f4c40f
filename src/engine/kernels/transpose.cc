// Transpose: walks the output row-major with the input strides permuted; elements moved by size (1/2/4/8 bytes).
#include <cstring>

#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

template <typename T>
void TransposeTyped(const T* in, T* out, const Shape& out_shape, const int64_t* in_strides_perm) {
  const int r = out_shape.rank();
  const int64_t total = out_shape.num_elements();
  if (total == 0) return;
  if (r == 0) {
    out[0] = in[0];
    return;
  }
  const int64_t inner = out_shape[r - 1];
  const int64_t inner_stride = in_strides_perm[r - 1];
  int64_t idx[Shape::kMaxRank] = {};
  int64_t off = 0;
  for (int64_t o = 0; o < total; o += inner) {
    const T* src = in + off;
    T* dst = out + o;
    if (inner_stride == 1) {
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[i];
    } else {
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * inner_stride];
    }
    for (int d = r - 2; d >= 0; --d) {
      ++idx[d];
      off += in_strides_perm[d];
      if (idx[d] < out_shape[d]) break;
      off -= in_strides_perm[d] * idx[d];
      idx[d] = 0;
    }
  }
}

class TransposeKernel final : public OpKernel {
 public:
  explicit TransposeKernel(const KernelInfo& info) : OpKernel(info), perm_(info.GetInts("perm")) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const int r = x->shape.rank();
    std::vector<int64_t> perm;
    if (!Perm(r, &perm)) return Error("perm is not a permutation of the input's " + std::to_string(r) + " axes");
    Shape out;
    for (int i = 0; i < r; ++i) out.push_back(x->shape[static_cast<int>(perm[i])]);
    ctx.set_output(0, x->dtype, out);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const TensorView& y = ctx.output(0);
    const int r = x.shape.rank();
    int64_t in_strides[Shape::kMaxRank], perm_strides[Shape::kMaxRank];
    x.shape.Strides(in_strides);
    for (int i = 0; i < r; ++i) {
      const int p = perm_.empty() ? r - 1 - i : static_cast<int>(perm_[i] < 0 ? perm_[i] + r : perm_[i]);
      perm_strides[i] = in_strides[p];
    }
    switch (DTypeSize(x.dtype)) {
      case 1: TransposeTyped(x.data_as<uint8_t>(), y.data_as<uint8_t>(), y.shape, perm_strides); break;
      case 2: TransposeTyped(x.data_as<uint16_t>(), y.data_as<uint16_t>(), y.shape, perm_strides); break;
      case 4: TransposeTyped(x.data_as<uint32_t>(), y.data_as<uint32_t>(), y.shape, perm_strides); break;
      case 8: TransposeTyped(x.data_as<uint64_t>(), y.data_as<uint64_t>(), y.shape, perm_strides); break;
      default: return Error("unsupported element size");
    }
    return Status::Ok();
  }

 private:
  bool Perm(int r, std::vector<int64_t>* perm) const {
    if (perm_.empty()) {
      for (int i = r - 1; i >= 0; --i) perm->push_back(i);
      return true;
    }
    if (static_cast<int>(perm_.size()) != r) return false;
    std::vector<bool> seen(r, false);
    for (int64_t p : perm_) {
      if (p < 0 || p >= r || seen[p]) return false;  // a permutation of 0..r-1: no negative entries (as ORT)
      seen[p] = true;
      perm->push_back(p);
    }
    return true;
  }

  std::vector<int64_t> perm_;
};

}  // namespace

void RegisterTransposeKernels(KernelRegistry* r) { r->Add<TransposeKernel>("Transpose", 1, 17); }

}  // namespace reco::engine
