// ReduceSum / ReduceMean / ReduceMax / ReduceMin / ReduceSumSquare and ArgMax / ArgMin.
// Axes: an attribute up to opset 12 for ReduceSum (an optional input from 13) and up to 17 for the others (an
// input from 18, not claimed). With no axes every axis is reduced, unless noop_with_empty_axes=1 (opset 13+
// ReduceSum), which makes the op an identity. One contiguous run of reduced axes is row accumulation over
// [outer, red, inner]; any other axis set walks the input once in memory order and
// accumulates into out[offset] where reduced axes have output stride 0, so any axis set costs one pass.
#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

enum class ReduceOp { kSum, kMean, kMax, kMin, kSumSquare };

// Resolves `axes` (possibly negative; empty = all unless noop) against `rank` into a bool mask.
Status ResolveAxes(std::span<const int64_t> axes, int rank, bool* mask) {
  for (int d = 0; d < rank; ++d) mask[d] = axes.empty();
  for (int64_t a : axes) {
    const int64_t r = a < 0 ? a + rank : a;
    if (r < 0 || r >= rank) return InvalidArgumentError("axis " + std::to_string(a) + " out of range for rank " + std::to_string(rank));
    if (mask[r]) return InvalidArgumentError("axis " + std::to_string(a) + " is listed twice");
    mask[r] = true;
  }
  return Status::Ok();
}

template <ReduceOp kOp>
class ReduceKernel final : public OpKernel {
 public:
  explicit ReduceKernel(const KernelInfo& info)
      : OpKernel(info), axes_from_input_(kOp == ReduceOp::kSum && info.opset() >= 13),
        keepdims_(info.GetInt("keepdims", 1) != 0), noop_(info.GetInt("noop_with_empty_axes", 0) != 0),
        axes_attr_(info.GetInts("axes")) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchNumeric(x->dtype, [](auto) {})) return Unimplemented("dtype " + std::string(DTypeName(x->dtype)));
    std::vector<int64_t> axes = axes_attr_;
    if (axes_from_input_ && ctx.num_inputs() > 1 && ctx.input_meta(1)) {
      const TensorView* a = ctx.input_value(1);
      if (!a) return Unimplemented("axes must be known at plan time");
      if (a->dtype != DType::kInt64) return Error("axes must be int64");
      axes.assign(a->data_as<int64_t>(), a->data_as<int64_t>() + a->num_elements());
    }
    auto state = std::make_shared<Plan>();
    const int rank = x->shape.rank();
    state->noop = axes.empty() && noop_;
    Status s = ResolveAxes(axes, rank, state->mask);
    if (!s.ok()) return Error(s.message());
    Shape out;
    int64_t stride = 1;
    for (int d = rank - 1; d >= 0; --d) {
      state->out_stride[d] = (state->mask[d] && !state->noop) ? 0 : stride;
      if (!state->mask[d] || state->noop) stride *= x->shape[d];
    }
    PlanBlocks(*x, state.get());
    for (int d = 0; d < rank; ++d) {
      if (!state->mask[d] || state->noop) out.push_back(x->shape[d]);
      else if (keepdims_) out.push_back(1);
      if (state->mask[d] && !state->noop && x->shape[d] == 0 && (kOp == ReduceOp::kMax || kOp == ReduceOp::kMin)) {
        return Error("cannot reduce an empty axis with max/min");
      }
    }
    ctx.set_output(0, x->dtype, out);
    ctx.set_plan_state(std::move(state));
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const Plan& p = *ctx.plan_state<Plan>();
    const TensorView& x = *ctx.input(0);
    TensorView& y = ctx.output(0);
    DispatchNumeric(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data_as<T>();
      T* out = y.data_as<T>();
      const int64_t n_out = y.num_elements();
      const int64_t n_in = x.num_elements();
      if (p.noop) {
        std::copy(in, in + n_in, out);
        return;
      }
      T init = 0;
      if (kOp == ReduceOp::kMax) init = std::numeric_limits<T>::lowest();
      if (kOp == ReduceOp::kMin) init = std::numeric_limits<T>::max();
      if constexpr (std::is_floating_point_v<T>) {
        if (kOp == ReduceOp::kMax) init = -std::numeric_limits<T>::infinity();
        if (kOp == ReduceOp::kMin) init = std::numeric_limits<T>::infinity();
      }
      std::fill(out, out + n_out, init);
      auto combine = [](T o, T v) -> T {
        if constexpr (kOp == ReduceOp::kSum || kOp == ReduceOp::kMean) return static_cast<T>(o + v);
        if constexpr (kOp == ReduceOp::kSumSquare) return static_cast<T>(o + v * v);
        if constexpr (kOp == ReduceOp::kMax) return (v > o || v != v) ? v : o;
        if constexpr (kOp == ReduceOp::kMin) return (v < o || v != v) ? v : o;
      };
      if (p.blocked) {
        // Same order per output as the walk below (reduced index ascending), so results are bit-identical.
        for (int64_t o = 0; o < p.outer; ++o) {
          T* __restrict dst = out + o * p.inner;
          const T* src = in + o * p.red * p.inner;
          if (p.inner == 1) {
            T acc = *dst;
            for (int64_t r = 0; r < p.red; ++r) acc = combine(acc, src[r]);
            *dst = acc;
            continue;
          }
          for (int64_t r = 0; r < p.red; ++r) {
            const T* __restrict row = src + r * p.inner;
            for (int64_t i = 0; i < p.inner; ++i) dst[i] = combine(dst[i], row[i]);
          }
        }
        FinishMean(out, n_out, n_in);
        return;
      }
      const int rank = x.shape.rank();
      int64_t idx[Shape::kMaxRank] = {};
      int64_t off = 0;
      for (int64_t i = 0; i < n_in; ++i) {
        out[off] = combine(out[off], in[i]);
        for (int d = rank - 1; d >= 0; --d) {
          off += p.out_stride[d];
          if (++idx[d] < x.shape[d]) break;
          off -= p.out_stride[d] * x.shape[d];
          idx[d] = 0;
        }
      }
      FinishMean(out, n_out, n_in);
    });
    return Status::Ok();
  }

 private:
  struct Plan {
    bool mask[Shape::kMaxRank] = {};
    int64_t out_stride[Shape::kMaxRank] = {};
    bool noop = false;
    // When the reduced axes form one contiguous run (after dropping size-1 axes), the input is
    // [outer, red, inner] and the reduction is row accumulation, which vectorizes; else the strided walk.
    bool blocked = false;
    int64_t outer = 1, red = 1, inner = 1;
  };

  static void PlanBlocks(const TensorView& x, Plan* p) {
    if (p->noop || x.shape.num_elements() == 0) return;
    int64_t size[Shape::kMaxRank];
    bool reduced[Shape::kMaxRank];
    int runs = 0;
    for (int d = 0; d < x.shape.rank(); ++d) {
      if (x.shape[d] == 1) continue;
      if (runs > 0 && reduced[runs - 1] == p->mask[d]) {
        size[runs - 1] *= x.shape[d];
        continue;
      }
      size[runs] = x.shape[d];
      reduced[runs++] = p->mask[d];
    }
    int i = 0;
    if (i < runs && !reduced[i]) p->outer = size[i++];
    if (i < runs && reduced[i]) p->red = size[i++];
    if (i < runs && !reduced[i]) p->inner = size[i++];
    if (i != runs) return;  // two separate reduced runs: keep the general walk
    if (runs == 1 && !reduced[0]) std::swap(p->outer, p->inner);  // nothing reduced: one row, copied
    p->blocked = true;
  }

  template <typename T>
  static void FinishMean(T* out, int64_t n_out, int64_t n_in) {
    if constexpr (kOp == ReduceOp::kMean) {
      using Acc = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;
      const int64_t count = n_out == 0 ? 1 : n_in / n_out;
      for (int64_t i = 0; i < n_out; ++i) out[i] = static_cast<T>(static_cast<Acc>(out[i]) / static_cast<Acc>(count == 0 ? 1 : count));
    }
  }
  bool axes_from_input_;
  bool keepdims_;
  bool noop_;
  std::vector<int64_t> axes_attr_;
};

// ArgMax / ArgMin along one axis; ties resolve to the first index unless select_last_index=1 (opset 12+).
template <bool kMax>
class ArgKernel final : public OpKernel {
 public:
  explicit ArgKernel(const KernelInfo& info)
      : OpKernel(info), axis_(info.GetInt("axis", 0)), keepdims_(info.GetInt("keepdims", 1) != 0),
        last_(info.GetInt("select_last_index", 0) != 0) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (!DispatchNumeric(x->dtype, [](auto) {})) return Unimplemented("dtype " + std::string(DTypeName(x->dtype)));
    const int rank = x->shape.rank();
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= rank) return Error("axis " + std::to_string(axis_) + " out of range");
    if (x->shape[static_cast<int>(axis)] == 0) return Error("cannot take arg of an empty axis");
    Shape out;
    for (int d = 0; d < rank; ++d) {
      if (d != axis) out.push_back(x->shape[d]);
      else if (keepdims_) out.push_back(1);
    }
    ctx.set_output(0, DType::kInt64, out);
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const int rank = x.shape.rank();
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= x.shape[d];
    for (int d = axis + 1; d < rank; ++d) inner *= x.shape[d];
    const int64_t n = x.shape[axis];
    int64_t* out = ctx.output(0).data_as<int64_t>();
    DispatchNumeric(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data_as<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const T* p = in + o * n * inner + i;
          int64_t best = 0;
          for (int64_t j = 1; j < n; ++j) {
            const T v = p[j * inner], b = p[best * inner];
            const bool better = kMax ? (last_ ? v >= b : v > b) : (last_ ? v <= b : v < b);
            if (better) best = j;
          }
          out[o * inner + i] = best;
        }
      }
    });
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool keepdims_;
  bool last_;
};

}  // namespace

void RegisterReduceKernels(KernelRegistry* r) {
  r->Add<ReduceKernel<ReduceOp::kSum>>("ReduceSum", 1, 12);
  r->Add<ReduceKernel<ReduceOp::kSum>>("ReduceSum", 13, 17, KernelDef::PlanTimeInput(1));
  r->Add<ReduceKernel<ReduceOp::kMean>>("ReduceMean", 1, 17);
  r->Add<ReduceKernel<ReduceOp::kMax>>("ReduceMax", 1, 17);
  r->Add<ReduceKernel<ReduceOp::kMin>>("ReduceMin", 1, 17);
  r->Add<ReduceKernel<ReduceOp::kSumSquare>>("ReduceSumSquare", 1, 17);
  r->Add<ArgKernel<true>>("ArgMax", 1, 17);
  r->Add<ArgKernel<false>>("ArgMin", 1, 17);
}

}  // namespace reco::engine
