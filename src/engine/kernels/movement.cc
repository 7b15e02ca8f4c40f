// Data movement: Expand, Tile, Slice, Identity, Dropout (inference: identity + all-true mask).
// Target shapes / repeats / slice bounds must be known at plan time (constants or Shape-derived values).
#include <algorithm>
#include <cstring>
#include <limits>

#include "engine/kernels/broadcast.h"
#include "engine/kernels/int_values.h"
#include "engine/kernels/registry.h"

namespace reco::engine {
namespace {

template <typename T>
void ExpandTyped(const TensorView& x, const TensorView& y) {
  const T* in = x.data_as<T>();
  T* out = y.data_as<T>();
  ForEachBroadcast<1>(y.shape, {&x.shape},
                      [&](int64_t o, const std::array<int64_t, 1>& off, const std::array<int64_t, 1>& st, int64_t n) {
                        if (st[0] == 1) {
                          std::memcpy(out + o, in + off[0], static_cast<size_t>(n) * sizeof(T));
                        } else {
                          const T v = in[off[0]];
                          for (int64_t i = 0; i < n; ++i) out[o + i] = v;
                        }
                      });
}


class ExpandKernel final : public OpKernel {
 public:
  explicit ExpandKernel(const KernelInfo& info) : OpKernel(info) {}
  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const TensorView* shape = ctx.input_value(1);
    if (!shape) return Error("the shape input is not known while planning; unsupported");
    std::vector<int64_t> dims;
    if (!ReadInt64s(shape, &dims).ok()) return Error("shape must be int64");
    StatusOr<Shape> target = Shape::FromDims(dims);
    if (!target.ok()) return Error(target.status().message());
    StatusOr<Shape> out = BroadcastShape(x->shape, *target);
    if (!out.ok()) return Error(out.status().message());
    ctx.set_output(0, x->dtype, *out);
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const TensorView& y = ctx.output(0);
    switch (DTypeSize(x.dtype)) {
      case 1: ExpandTyped<uint8_t>(x, y); break;
      case 2: ExpandTyped<uint16_t>(x, y); break;
      case 4: ExpandTyped<uint32_t>(x, y); break;
      case 8: ExpandTyped<uint64_t>(x, y); break;
      default: return Error("unsupported element size");
    }
    return Status::Ok();
  }
};

class TileKernel final : public OpKernel {
 public:
  explicit TileKernel(const KernelInfo& info) : OpKernel(info) {}
  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const TensorView* reps = ctx.input_value(1);
    if (!reps) return Error("repeats are not known while planning; unsupported");
    std::vector<int64_t> r;
    if (!ReadInt64s(reps, &r).ok() || static_cast<int>(r.size()) != x->shape.rank()) {
      return Error("repeats must be int64 with one entry per input dim");
    }
    Shape out = x->shape;
    for (int i = 0; i < out.rank(); ++i) {
      if (r[i] < 0) return Error("negative repeat");
      out[i] *= r[i];
    }
    ctx.set_output(0, x->dtype, out);
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const TensorView& y = ctx.output(0);
    const int r = y.shape.rank();
    const size_t es = DTypeSize(x.dtype);
    const int64_t total = y.num_elements();
    if (total == 0) return Status::Ok();
    if (r == 0) {
      std::memcpy(y.data, x.data, es);
      return Status::Ok();
    }
    int64_t in_strides[Shape::kMaxRank];
    x.shape.Strides(in_strides);
    const int64_t inner_out = y.shape[r - 1], inner_in = x.shape[r - 1];
    const auto* in = static_cast<const std::byte*>(x.data);
    auto* out = static_cast<std::byte*>(y.data);
    int64_t idx[Shape::kMaxRank] = {};
    for (int64_t o = 0; o < total; o += inner_out) {
      int64_t off = 0;
      for (int d = 0; d < r - 1; ++d) off += (idx[d] % x.shape[d]) * in_strides[d];
      for (int64_t k = 0; k < inner_out; k += inner_in) {
        std::memcpy(out + (o + k) * es, in + off * es, static_cast<size_t>(inner_in) * es);
      }
      for (int d = r - 2; d >= 0; --d) {
        if (++idx[d] < y.shape[d]) break;
        idx[d] = 0;
      }
    }
    return Status::Ok();
  }
};

// Per-plan slice geometry (computed by InferOutputs, used by Compute).
struct SliceGeometry {
  int64_t start[Shape::kMaxRank];
  int64_t step[Shape::kMaxRank];
};

class SliceKernel final : public OpKernel {
 public:
  explicit SliceKernel(const KernelInfo& info)
      : OpKernel(info), legacy_(info.opset() < 10), starts_(info.GetInts("starts")), ends_(info.GetInts("ends")),
        axes_(info.GetInts("axes")) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    const int r = x->shape.rank();
    std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
    if (!legacy_) {
      for (int i = 1; i < ctx.num_inputs(); ++i) {
        if (!ctx.input_meta(i)) continue;
        const TensorView* v = ctx.input_value(i);
        if (!v) return Error("slice bounds are not known while planning; unsupported");
        std::vector<int64_t>* dst = i == 1 ? &starts : i == 2 ? &ends : i == 3 ? &axes : &steps;
        if (!ReadInt64s(v, dst).ok()) return Error("slice bounds must be int32/int64");
      }
    }
    if (starts.size() != ends.size()) return Error("starts and ends differ in length");
    if (axes.empty()) {
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size()) return Error("axes/steps length mismatch");
    auto geo = std::make_shared<SliceGeometry>();
    Shape out = x->shape;
    for (int d = 0; d < r; ++d) {
      geo->start[d] = 0;
      geo->step[d] = 1;
    }
    std::vector<bool> seen(r, false);
    for (size_t i = 0; i < starts.size(); ++i) {
      int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
      if (a < 0 || a >= r || seen[a]) return Error("bad or repeated axis");
      seen[a] = true;
      const int64_t dim = x->shape[static_cast<int>(a)], step = steps[i];
      if (step == 0) return Error("step is zero");
      int64_t s = starts[i], e = ends[i];
      if (s < 0) s += dim;
      if (e < 0 && e > std::numeric_limits<int64_t>::min() / 2) e += dim;
      int64_t count;
      if (step > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        count = e > s ? (e - s + step - 1) / step : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        count = s > e ? (s - e + (-step) - 1) / (-step) : 0;
      }
      geo->start[a] = s;
      geo->step[a] = step;
      out[static_cast<int>(a)] = count;
    }
    ctx.set_output(0, x->dtype, out);
    ctx.set_plan_state(std::move(geo));
    return Status::Ok();
  }

  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    const TensorView& y = ctx.output(0);
    const auto* geo = ctx.plan_state<SliceGeometry>();
    const int r = y.shape.rank();
    const int64_t total = y.num_elements();
    if (total == 0) return Status::Ok();
    const size_t es = DTypeSize(x.dtype);
    const auto* in = static_cast<const std::byte*>(x.data);
    auto* out = static_cast<std::byte*>(y.data);
    if (r == 0) {
      std::memcpy(out, in, es);
      return Status::Ok();
    }
    int64_t strides[Shape::kMaxRank];
    x.shape.Strides(strides);
    const int64_t inner = y.shape[r - 1];
    const int64_t inner_step = geo->step[r - 1];
    int64_t idx[Shape::kMaxRank] = {};
    for (int64_t o = 0; o < total; o += inner) {
      int64_t off = 0;
      for (int d = 0; d < r; ++d) off += (geo->start[d] + idx[d] * geo->step[d]) * strides[d];
      if (inner_step == 1) {
        std::memcpy(out + o * es, in + off * es, static_cast<size_t>(inner) * es);
      } else {
        for (int64_t i = 0; i < inner; ++i) std::memcpy(out + (o + i) * es, in + (off + i * inner_step) * es, es);
      }
      for (int d = r - 2; d >= 0; --d) {
        if (++idx[d] < y.shape[d]) break;
        idx[d] = 0;
      }
    }
    return Status::Ok();
  }

 private:
  bool legacy_;
  std::vector<int64_t> starts_, ends_, axes_;
};

// Identity and Dropout (inference): output 0 = input 0; Dropout's optional mask output is all true. Aliased by
// the planner (kAliasesInput0) unless the output is a graph output or the mask is requested.
class IdentityKernel final : public OpKernel {
 public:
  explicit IdentityKernel(const KernelInfo& info) : OpKernel(info) {}
  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* x = ctx.input_meta(0);
    if (ctx.num_inputs() > 2 && ctx.input_meta(2)) {  // Dropout-12 training_mode
      const TensorView* t = ctx.input_value(2);
      if (!t || (t->dtype == DType::kBool && *t->data_as<bool>())) return Unimplemented("training mode is not supported");
    }
    ctx.set_output(0, x->dtype, x->shape);
    if (ctx.num_outputs() > 1) ctx.set_output(1, DType::kBool, x->shape);
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    const TensorView& x = *ctx.input(0);
    if (x.byte_size()) std::memcpy(ctx.output(0).data, x.data, x.byte_size());
    if (ctx.output_exists(1) && ctx.output(1).byte_size()) std::memset(ctx.output(1).data, 1, ctx.output(1).byte_size());
    return Status::Ok();
  }
};

}  // namespace

void RegisterMovementKernels(KernelRegistry* r) {
  r->Add<ExpandKernel>("Expand", 8, 17, KernelDef::PlanTimeInput(1));
  r->Add<TileKernel>("Tile", 6, 17, KernelDef::PlanTimeInput(1));
  r->Add<SliceKernel>("Slice", 1, 17,
                       KernelDef::PlanTimeInput(1) | KernelDef::PlanTimeInput(2) | KernelDef::PlanTimeInput(3) |
                           KernelDef::PlanTimeInput(4));
  r->Add<IdentityKernel>("Identity", 1, 17, KernelDef::kAliasesInput0);
  r->Add<IdentityKernel>("Dropout", 1, 17, KernelDef::PlanTimeInput(2) | KernelDef::kAliasesInput0);
}

}  // namespace reco::engine
