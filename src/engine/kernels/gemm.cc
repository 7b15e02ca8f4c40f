// Gemm and MatMul (float32). Both go through Sgemm (gemm_backend.h), which picks the direct loop or OpenBLAS per
// shape. Constant weights are re-laid out once at load time into [K, N] (no transpose), the layout both backends
// stream fastest for the small batch sizes serving sees; constant B is also packed for SgemmPacked. The planner
// may fuse a MatMul + Add bias (MatMul) and the elementwise chain that follows either op (epilogue.h, activations
// included), applied block of rows by block of rows right after the GEMM wrote them, while they are in cache.
#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <memory>
#include <vector>

#include "engine/epilogue.h"
#include "engine/kernels/gemm_backend.h"
#include "engine/kernels/gemm_packed.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

// RECO_ENGINE_PACKED_GEMM=0 keeps constant-B products on Sgemm (OpenBLAS / direct), to measure what packing buys.
bool UsePackedGemm() {
  static const bool use = [] {
    const char* env = std::getenv("RECO_ENGINE_PACKED_GEMM");
    return env == nullptr || std::string_view(env) != "0";
  }();
  return use;
}

// The fused elementwise chain of a Gemm/MatMul node (KernelInfo::fused_epilogue), if any.
class EpilogueHook {
 public:
  explicit EpilogueHook(const KernelInfo& info)
      : program_(info.fused_epilogue()), first_side_(info.num_inputs() + (info.fused_bias() ? 1 : 0)) {}

  bool active() const { return program_ != nullptr; }

  // Plan time: output 0's shape from the GEMM result's shape `x` (and the chain's side inputs).
  Status Infer(InferenceContext& ctx, const Shape& x, const OpKernel& kernel) const {
    if (!program_) {
      ctx.set_output(0, DType::kFloat32, x);
      return Status::Ok();
    }
    std::vector<Shape> sides;
    for (int s = 0; s < program_->num_side_inputs; ++s) {
      const TensorView* meta = ctx.input_meta(first_side_ + s);
      if (meta == nullptr || meta->dtype != DType::kFloat32) {
        return InvalidArgumentError(kernel.describe() + ": fused elementwise operand " + std::to_string(s) +
                                    " is not float32");
      }
      sides.push_back(meta->shape);
    }
    StatusOr<EpiloguePlan> plan = EpilogueShapes(*program_, x, sides);
    if (!plan.ok()) return plan.status().WithContext(kernel.describe() + " + [" + program_->label + "]");
    ctx.set_output(0, DType::kFloat32, plan->out_shape);
    if (!plan->in_place) ctx.request_scratch(sizeof(float) * static_cast<size_t>(x.num_elements()));
    ctx.set_plan_state(std::make_shared<const EpiloguePlan>(std::move(plan).value()));
    return Status::Ok();
  }

  // Where the GEMM writes its result: the output itself, or scratch when the chain broadcasts it larger.
  float* GemmTarget(const KernelContext& ctx) const {
    float* out = ctx.output(0).data_as<float>();
    if (!program_ || ctx.plan_state<EpiloguePlan>()->in_place) return out;
    return static_cast<float*>(ctx.scratch());
  }
  bool InPlace(const KernelContext& ctx) const { return !program_ || ctx.plan_state<EpiloguePlan>()->in_place; }

  // Rows per GEMM block so a block of C (~32 KiB) is still in L1/L2 when the chain reads it.
  static int64_t BlockRows(int64_t n) { return std::max<int64_t>(16, (8192 / std::max<int64_t>(n, 1) + 7) / 8 * 8); }

  // Runs the chain over output rows [row0, row0 + rows).
  void Apply(const KernelContext& ctx, const float* x, int64_t row0, int64_t rows) const {
    const float* sides[EpilogueProgram::kMaxSideInputs];
    for (int s = 0; s < program_->num_side_inputs; ++s) sides[s] = ctx.input(first_side_ + s)->data_as<float>();
    ApplyEpilogue(*program_, *ctx.plan_state<EpiloguePlan>(), x,
                  std::span<const float* const>(sides, program_->num_side_inputs), ctx.output(0).data_as<float>(),
                  row0, rows);
  }
  // Runs the chain over every output row.
  void ApplyAll(const KernelContext& ctx, const float* x) const {
    Apply(ctx, x, 0, ctx.plan_state<EpiloguePlan>()->rows);
  }

  // SgemmPacked's per-row-block callback for an in-place chain (null fn when there is no chain).
  struct Binding {
    const EpilogueHook* hook;
    const KernelContext* ctx;
    const float* x;
  };
  static RowBlockEpilogue Callback(Binding* b) {
    if (!b->hook->active()) return {};
    return {[](void* p, float*, int64_t row0, int64_t rows, int64_t) {
              const auto* b = static_cast<const Binding*>(p);
              b->hook->Apply(*b->ctx, b->x, row0, rows);
            },
            b};
  }

 private:
  std::shared_ptr<const EpilogueProgram> program_;
  int first_side_;
};

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
        has_c_(info.input_exists(2)), epilogue_(info) {
    if (info.HasAttr("broadcast") && info.GetInt("broadcast", 0) == 0 && info.opset() < 7) {
      SetInitError(Unimplemented("broadcast=0 (opset < 7)"));
    }
    const TensorView* b = info.constant_input(1);
    if (b && b->dtype == DType::kFloat32 && b->shape.rank() == 2) {
      packed_b_ = PackKxN(*b, trans_b_);
      packed_ = true;
      // The panel-packed GEMM needs op(A) row-major and C to be at most a bias row ([N] or [1, N], beta 1, or
      // absent), which is how every Linear layer is exported.
      const TensorView* c = info.input_exists(2) ? info.constant_input(2) : nullptr;
      const bool bias_like = !info.input_exists(2) ||
                             (c && c->dtype == DType::kFloat32 && beta_ == 1.f && c->shape.rank() >= 1 &&
                              c->shape.rank() <= 2 && c->num_elements() == c->shape[c->shape.rank() - 1]);
      if (!trans_a_ && bias_like && UsePackedGemm()) {
        const int64_t k = trans_b_ ? b->shape[1] : b->shape[0], n = trans_b_ ? b->shape[0] : b->shape[1];
        if (!c || c->num_elements() == n || c->num_elements() == 1) {
          panels_ = PackedMatrix::Pack(b->data_as<float>(), k, n, trans_b_, alpha_);
          use_panels_ = true;
          if (c && c->num_elements() == n) {
            bias_ = c->data_as<float>();
          } else if (c) {  // a single value broadcast over the row
            bias_row_.assign(static_cast<size_t>(n), *c->data_as<float>());
            bias_ = bias_row_.data();
          }
          // The panels replace the [K, N] copy (Compute falls back to B itself if ever needed).
          std::vector<float>().swap(packed_b_);
          packed_ = false;
        }
      }
    }
  }

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* a = ctx.input_meta(0);
    const TensorView* b = ctx.input_meta(1);
    const TensorView* c = has_c_ ? ctx.input_meta(2) : nullptr;
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
    return epilogue_.Infer(ctx, Shape{m, n}, *this);
  }

  Status Compute(const KernelContext& ctx) const override {
    SetGemmThreads(ctx.intra_op_threads());
    const TensorView& a = *ctx.input(0);
    const TensorView& b = *ctx.input(1);
    const TensorView* c = has_c_ ? ctx.input(2) : nullptr;
    const int64_t m = trans_a_ ? a.shape[1] : a.shape[0];
    const int64_t n = trans_b_ ? b.shape[0] : b.shape[1];
    const int64_t k = trans_a_ ? a.shape[0] : a.shape[1];
    float* out = epilogue_.GemmTarget(ctx);
    if (use_panels_ && k == panels_.k() && n == panels_.n()) {
      EpilogueHook::Binding bind{&epilogue_, &ctx, out};
      const bool in_place = epilogue_.InPlace(ctx);
      SgemmPacked(m, a.data_as<float>(), a.shape[1], panels_, bias_, out, n,
                  in_place ? EpilogueHook::Callback(&bind) : RowBlockEpilogue{});
      if (!in_place) epilogue_.ApplyAll(ctx, out);
      return Status::Ok();
    }
    // Without a chain (or when it broadcasts the result larger) one GEMM over all rows; with an in-place chain,
    // blocks of rows so the chain reads each block while it is still in cache.
    const bool blocked = epilogue_.active() && epilogue_.InPlace(ctx);
    const int64_t block = blocked ? EpilogueHook::BlockRows(n) : std::max<int64_t>(m, 1);
    for (int64_t r0 = 0; r0 < m; r0 += block) {
      const int64_t rows = std::min(block, m - r0);
      float* out_block = out + r0 * n;
      float beta = 0.f;
      if (c && beta_ != 0.f) {
        // Pre-fill Y with beta * C broadcast, then accumulate into it.
        const Shape& cs = c->shape;
        const float* cv = c->data_as<float>();
        const int64_t rs = cs.rank() == 2 && cs[0] != 1 ? cs[1] : 0;
        const int64_t cstride = cs.rank() >= 1 && cs[cs.rank() - 1] != 1 ? 1 : 0;
        for (int64_t i = r0; i < r0 + rows; ++i) {
          for (int64_t j = 0; j < n; ++j) out[i * n + j] = beta_ * cv[i * rs + j * cstride];
        }
        beta = 1.f;
      }
      const int64_t lda = a.shape[1];
      // Row r of op(A) starts at A + r * lda, or at column r of A when transposed.
      const float* a_block = a.data_as<float>() + (trans_a_ ? r0 : r0 * lda);
      if (packed_) {
        Sgemm(trans_a_, false, rows, n, k, alpha_, a_block, lda, packed_b_.data(), n, beta, out_block, n);
      } else {
        Sgemm(trans_a_, trans_b_, rows, n, k, alpha_, a_block, lda, b.data_as<float>(), b.shape[1], beta, out_block,
              n);
      }
      if (blocked) epilogue_.Apply(ctx, out, r0, rows);
    }
    if (epilogue_.active() && !blocked) epilogue_.ApplyAll(ctx, out);
    return Status::Ok();
  }

 private:
  float alpha_, beta_;
  bool trans_a_, trans_b_;
  bool has_c_;
  EpilogueHook epilogue_;
  bool packed_ = false;
  std::vector<float> packed_b_;  // constant B as [K, N]
  bool use_panels_ = false;      // SgemmPacked against panels_ (see the constructor)
  PackedMatrix panels_;
  const float* bias_ = nullptr;  // C as a bias row (points into the model's constant, or bias_row_)
  std::vector<float> bias_row_;
};

// numpy matmul: 1-D operands are promoted (and the added dim removed), batch dims broadcast.
class MatMulKernel final : public OpKernel {
 public:
  explicit MatMulKernel(const KernelInfo& info)
      : OpKernel(info), fused_bias_(info.fused_bias()), bias_input_(info.num_inputs()), epilogue_(info) {
    const TensorView* b = info.constant_input(1);
    if (b && b->dtype == DType::kFloat32 && b->shape.rank() == 2 && UsePackedGemm()) {
      panels_ = PackedMatrix::Pack(b->data_as<float>(), b->shape[0], b->shape[1], false);
      use_panels_ = true;
    }
  }

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
    Shape out;
    if (!ResultShape(as, bs, &out)) {
      return Error("batch dims do not broadcast: " + as.ToString() + " x " + bs.ToString());
    }
    if (fused_bias_) {
      const TensorView* bias = ctx.input_meta(bias_input_);
      const int64_t n = bs.rank() >= 2 ? bs[bs.rank() - 1] : 1;
      if (bias->dtype != DType::kFloat32 || bias->num_elements() != n) return Error("fused bias length != N");
    }
    return epilogue_.Infer(ctx, out, *this);
  }

  Status Compute(const KernelContext& ctx) const override {
    SetGemmThreads(ctx.intra_op_threads());
    const TensorView& a = *ctx.input(0);
    const TensorView& b = *ctx.input(1);
    const Shape& as = a.shape;
    const Shape& bs = b.shape;
    const int64_t m = as.rank() >= 2 ? as[as.rank() - 2] : 1;
    const int64_t k = as[as.rank() - 1];
    const int64_t n = bs.rank() >= 2 ? bs[bs.rank() - 1] : 1;
    float* out = epilogue_.GemmTarget(ctx);
    const float* av = a.data_as<float>();
    const float* bv = b.data_as<float>();
    // The GEMM result (the output, unless a fused chain broadcasts it larger).
    Shape result;
    ResultShape(as, bs, &result);  // validated at plan time
    const int64_t total = result.num_elements();
    const int64_t b_batches = bs.rank() > 2 ? bs.num_elements() / (k * n == 0 ? 1 : k * n) : 1;
    float beta = 0.f;
    const float* bias = fused_bias_ ? ctx.input(bias_input_)->data_as<float>() : nullptr;
    if (use_panels_ && as.rank() >= 2 && bs.rank() == 2) {
      // Constant 2-D B: every batch of A folds into M; the chain runs per row block inside SgemmPacked.
      const int64_t rows = total / std::max<int64_t>(n, 1);
      EpilogueHook::Binding bind{&epilogue_, &ctx, out};
      const bool in_place = epilogue_.InPlace(ctx);
      SgemmPacked(rows, av, k, panels_, bias, out, n, in_place ? EpilogueHook::Callback(&bind) : RowBlockEpilogue{});
      if (!in_place) epilogue_.ApplyAll(ctx, out);
      return Status::Ok();
    }
    if (b_batches == 1 || (bs.rank() > 2 && k * n == 0)) {
      // B is one matrix: fold every batch of A into M (A is contiguous); with an in-place chain, in row blocks.
      const int64_t rows = total / std::max<int64_t>(n, 1);
      const bool blocked = epilogue_.active() && epilogue_.InPlace(ctx);
      const int64_t block = blocked ? EpilogueHook::BlockRows(n) : std::max<int64_t>(rows, 1);
      for (int64_t r0 = 0; r0 < rows; r0 += block) {
        const int64_t nr = std::min(block, rows - r0);
        if (bias) {
          for (int64_t r = r0; r < r0 + nr; ++r) std::copy(bias, bias + n, out + r * n);
          beta = 1.f;
        }
        Sgemm(false, false, nr, n, k, 1.f, av + r0 * k, k, bv, n, beta, out + r0 * n, n);
        if (blocked) epilogue_.Apply(ctx, out, r0, nr);
      }
      if (epilogue_.active() && !blocked) epilogue_.ApplyAll(ctx, out);
      return Status::Ok();
    }
    {
      if (bias) {
        for (int64_t r = 0; r < total / std::max<int64_t>(n, 1); ++r) std::copy(bias, bias + n, out + r * n);
        beta = 1.f;
      }
      // Broadcast batch dims: walk the output batch index and map it to A's and B's batch offsets.
      const int out_batch_rank = result.rank() - (as.rank() >= 2 ? 1 : 0) - (bs.rank() >= 2 ? 1 : 0);
      const int abatch = std::max(0, as.rank() - 2), bbatch = std::max(0, bs.rank() - 2);
      int64_t astride[Shape::kMaxRank] = {}, bstride[Shape::kMaxRank] = {}, dims[Shape::kMaxRank] = {};
      int64_t sa = m * k, sb = k * n;
      for (int d = out_batch_rank - 1; d >= 0; --d) {
        dims[d] = result[d];
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
    if (epilogue_.active()) epilogue_.ApplyAll(ctx, out);
    return Status::Ok();
  }

 private:
  // Shape of numpy-matmul(as, bs) (ranks >= 1, inner dims checked by the caller); false if the batch dims do not
  // broadcast. At most 6 batch dims + 2 <= Shape::kMaxRank.
  static bool ResultShape(const Shape& as, const Shape& bs, Shape* out) {
    const int abatch = std::max(0, as.rank() - 2), bbatch = std::max(0, bs.rank() - 2);
    const int batch_rank = std::max(abatch, bbatch);
    out->clear();
    for (int d = 0; d < batch_rank; ++d) {
      const int ai = d - (batch_rank - abatch), bi = d - (batch_rank - bbatch);
      const int64_t da = ai >= 0 ? as[ai] : 1, db = bi >= 0 ? bs[bi] : 1;
      if (da != db && da != 1 && db != 1) return false;
      out->push_back(da == 1 ? db : da);
    }
    if (as.rank() >= 2) out->push_back(as[as.rank() - 2]);
    if (bs.rank() >= 2) out->push_back(bs[bs.rank() - 1]);
    return true;
  }

  bool fused_bias_;
  int bias_input_;  // index of the fused bias input (right after the node's own inputs)
  EpilogueHook epilogue_;
  bool use_panels_ = false;  // constant 2-D B packed for SgemmPacked
  PackedMatrix panels_;
};

}  // namespace

void RegisterGemmKernels(KernelRegistry* r) {
  r->Add<GemmKernel>("Gemm", 7, 17, KernelDef::kFusableEpilogue);
  r->Add<MatMulKernel>("MatMul", 1, 17, KernelDef::kFusableBias | KernelDef::kFusableEpilogue);
}

}  // namespace reco::engine
