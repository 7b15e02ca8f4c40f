// Gemm and MatMul (float32). Both go through Sgemm (gemm_backend.h), which picks the direct loop or OpenBLAS per
// shape. Constant weights are re-laid out once at load time into [K, N] (no transpose), the layout both backends
// stream fastest for the small batch sizes serving sees; the planner may fuse a following activation (both ops)
// and a MatMul + Add bias (MatMul), applied in the same pass over C.
#include <algorithm>
#include <vector>

#include "engine/kernels/gemm_backend.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

// Copies a constant [rows, cols] matrix, transposed when `transpose`, into a [K, N] buffer.
std::vector<float> PackKxN(const TensorView& w, bool transpose) {
  const int64_t rows = w.shape[0], cols = w.shape[1];
  const float* src = w.data_as<float>();
  std::vector<float> out(static_cast<size_t>(rows * cols));
  if (!transpose) return std::vector<float>(src, src + rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[c * rows + r] = src[r * cols + c];
  }
  return out;
}

// Y = alpha * A' * B' + beta * C (C unidirectionally broadcast to [M, N]; optional since opset 11).
class GemmKernel final : public OpKernel {
 public:
  explicit GemmKernel(const KernelInfo& info)
      : OpKernel(info), alpha_(info.GetFloat("alpha", 1.f)), beta_(info.GetFloat("beta", 1.f)),
        trans_a_(info.GetInt("transA", 0) != 0), trans_b_(info.GetInt("transB", 0) != 0),
        act_(info.fused_activation()) {
    if (info.HasAttr("broadcast") && info.GetInt("broadcast", 0) == 0 && info.opset() < 7) {
      SetInitError(Unimplemented("broadcast=0 (opset < 7)"));
    }
    const TensorView* b = info.constant_input(1);
    if (b && b->dtype == DType::kFloat32 && b->shape.rank() == 2) {
      packed_b_ = PackKxN(*b, trans_b_);
      packed_ = true;
    }
  }

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* a = ctx.input_meta(0);
    const TensorView* b = ctx.input_meta(1);
    const TensorView* c = ctx.num_inputs() > 2 ? ctx.input_meta(2) : nullptr;
    if (a->dtype != DType::kFloat32 || b->dtype != DType::kFloat32 || (c && c->dtype != DType::kFloat32)) {
      return Unimplemented("only float32 is supported, got " + std::string(DTypeName(a->dtype)));
    }
    if (a->shape.rank() != 2 || b->shape.rank() != 2) return Error("A and B must be 2-D");
    const int64_t m = trans_a_ ? a->shape[1] : a->shape[0];
    const int64_t k = trans_a_ ? a->shape[0] : a->shape[1];
    const int64_t kb = trans_b_ ? b->shape[1] : b->shape[0];
    const int64_t n = trans_b_ ? b->shape[0] : b->shape[1];
    if (k != kb) return Error("inner dimensions differ: A " + a->shape.ToString() + ", B " + b->shape.ToString());
    if (c) {
      const Shape& cs = c->shape;
      bool ok = cs.rank() <= 2;
      if (ok && cs.rank() >= 1) ok = cs[cs.rank() - 1] == n || cs[cs.rank() - 1] == 1;
      if (ok && cs.rank() == 2) ok = cs[0] == m || cs[0] == 1;
      if (!ok) return Error("C " + cs.ToString() + " does not broadcast to [" + std::to_string(m) + "," +
                            std::to_string(n) + "]");
    }
    ctx.set_output(0, DType::kFloat32, Shape{m, n});
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    SetGemmThreads(ctx.intra_op_threads());
    const TensorView& a = *ctx.input(0);
    const TensorView& b = *ctx.input(1);
    const TensorView* c = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    TensorView& y = ctx.output(0);
    const int64_t m = y.shape[0], n = y.shape[1];
    const int64_t k = trans_a_ ? a.shape[0] : a.shape[1];
    float* out = y.data_as<float>();
    float beta = 0.f;
    if (c && beta_ != 0.f) {
      // Pre-fill Y with beta * C broadcast, then accumulate into it.
      const Shape& cs = c->shape;
      const float* cv = c->data_as<float>();
      const int64_t rs = cs.rank() == 2 && cs[0] != 1 ? cs[1] : 0;
      const int64_t cstride = cs.rank() >= 1 && cs[cs.rank() - 1] != 1 ? 1 : 0;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) out[i * n + j] = beta_ * cv[i * rs + j * cstride];
      }
      beta = 1.f;
    }
    const int64_t lda = a.shape[1];
    if (packed_) {
      Sgemm(trans_a_, false, m, n, k, alpha_, a.data_as<float>(), lda, packed_b_.data(), n, beta, out, n);
    } else {
      Sgemm(trans_a_, trans_b_, m, n, k, alpha_, a.data_as<float>(), lda, b.data_as<float>(), b.shape[1], beta, out,
            n);
    }
    ApplyActivation(act_, out, m * n);
    return Status::Ok();
  }

 private:
  float alpha_, beta_;
  bool trans_a_, trans_b_;
  Activation act_;
  bool packed_ = false;
  std::vector<float> packed_b_;  // constant B as [K, N]
};

// numpy matmul: 1-D operands are promoted (and the added dim removed), batch dims broadcast.
class MatMulKernel final : public OpKernel {
 public:
  explicit MatMulKernel(const KernelInfo& info)
      : OpKernel(info), act_(info.fused_activation()), fused_bias_(info.fused_bias()) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* a = ctx.input_meta(0);
    const TensorView* b = ctx.input_meta(1);
    if (a->dtype != DType::kFloat32 || b->dtype != DType::kFloat32) {
      return Unimplemented("only float32 is supported, got " + std::string(DTypeName(a->dtype)));
    }
    const Shape& as = a->shape;
    const Shape& bs = b->shape;
    if (as.rank() == 0 || bs.rank() == 0) return Error("operands must have rank >= 1");
    const int64_t k = as[as.rank() - 1];
    const int64_t kb = bs.rank() == 1 ? bs[0] : bs[bs.rank() - 2];
    if (k != kb) return Error("inner dimensions differ: A " + as.ToString() + ", B " + bs.ToString());
    const int abatch = std::max(0, as.rank() - 2), bbatch = std::max(0, bs.rank() - 2);
    const int batch_rank = std::max(abatch, bbatch);
    Shape out;
    for (int d = 0; d < batch_rank; ++d) {
      const int ai = d - (batch_rank - abatch), bi = d - (batch_rank - bbatch);
      const int64_t da = ai >= 0 ? as[ai] : 1, db = bi >= 0 ? bs[bi] : 1;
      if (da != db && da != 1 && db != 1) return Error("batch dims do not broadcast: " + as.ToString() + " x " + bs.ToString());
      out.push_back(da == 1 ? db : da);
    }
    if (as.rank() >= 2) out.push_back(as[as.rank() - 2]);
    if (bs.rank() >= 2) out.push_back(bs[bs.rank() - 1]);
    if (out.rank() > Shape::kMaxRank) return Error("result rank too large");
    if (fused_bias_) {
      const TensorView* bias = ctx.input_meta(ctx.num_inputs() - 1);
      const int64_t n = bs.rank() >= 2 ? bs[bs.rank() - 1] : 1;
      if (bias->dtype != DType::kFloat32 || bias->num_elements() != n) return Error("fused bias length != N");
    }
    ctx.set_output(0, DType::kFloat32, out);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    SetGemmThreads(ctx.intra_op_threads());
    const TensorView& a = *ctx.input(0);
    const TensorView& b = *ctx.input(1);
    TensorView& y = ctx.output(0);
    const Shape& as = a.shape;
    const Shape& bs = b.shape;
    const int64_t m = as.rank() >= 2 ? as[as.rank() - 2] : 1;
    const int64_t k = as[as.rank() - 1];
    const int64_t n = bs.rank() >= 2 ? bs[bs.rank() - 1] : 1;
    float* out = y.data_as<float>();
    const float* av = a.data_as<float>();
    const float* bv = b.data_as<float>();
    const int64_t total = y.num_elements();
    float beta = 0.f;
    if (fused_bias_) {
      const float* bias = ctx.input(ctx.num_inputs() - 1)->data_as<float>();
      for (int64_t r = 0; r < total / std::max<int64_t>(n, 1); ++r) std::copy(bias, bias + n, out + r * n);
      beta = 1.f;
    }
    const int64_t b_batches = bs.rank() > 2 ? bs.num_elements() / (k * n == 0 ? 1 : k * n) : 1;
    if (b_batches == 1 || (bs.rank() > 2 && k * n == 0)) {
      // B is one matrix: fold every batch of A into M (A is contiguous), one GEMM.
      const int64_t rows = k == 0 ? total / std::max<int64_t>(n, 1) : a.num_elements() / k;
      Sgemm(false, false, rows, n, k, 1.f, av, k, bv, n, beta, out, n);
    } else {
      // Broadcast batch dims: walk the output batch index and map it to A's and B's batch offsets.
      const int out_batch_rank = y.shape.rank() - (as.rank() >= 2 ? 1 : 0) - (bs.rank() >= 2 ? 1 : 0);
      const int abatch = std::max(0, as.rank() - 2), bbatch = std::max(0, bs.rank() - 2);
      int64_t astride[Shape::kMaxRank] = {}, bstride[Shape::kMaxRank] = {}, dims[Shape::kMaxRank] = {};
      int64_t sa = m * k, sb = k * n;
      for (int d = out_batch_rank - 1; d >= 0; --d) {
        dims[d] = y.shape[d];
        const int ai = d - (out_batch_rank - abatch), bi = d - (out_batch_rank - bbatch);
        const int64_t da = ai >= 0 ? as[ai] : 1, db = bi >= 0 ? bs[bi] : 1;
        astride[d] = da == 1 ? 0 : sa;
        bstride[d] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
      }
      int64_t idx[Shape::kMaxRank] = {};
      const int64_t batches = out_batch_rank == 0 ? 1 : total / std::max<int64_t>(m * n, 1);
      for (int64_t t = 0; t < batches; ++t) {
        int64_t ao = 0, bo = 0;
        for (int d = 0; d < out_batch_rank; ++d) {
          ao += idx[d] * astride[d];
          bo += idx[d] * bstride[d];
        }
        Sgemm(false, false, m, n, k, 1.f, av + ao, k, bv + bo, n, beta, out + t * m * n, n);
        for (int d = out_batch_rank - 1; d >= 0; --d) {
          if (++idx[d] < dims[d]) break;
          idx[d] = 0;
        }
      }
    }
    ApplyActivation(act_, out, total);
    return Status::Ok();
  }

 private:
  Activation act_;
  bool fused_bias_;
};

}  // namespace

void RegisterGemmKernels(KernelRegistry* r) {
  r->Add<GemmKernel>("Gemm", 7, 17, KernelDef::kFusableActivation);
  r->Add<MatMulKernel>("MatMul", 1, 17, KernelDef::kFusableActivation | KernelDef::kFusableBias);
}

}  // namespace reco::engine
