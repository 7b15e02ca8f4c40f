// Ops that make tensors: Constant, ConstantOfShape, Range. Their outputs are usually folded at load or plan
// time; Compute still works for the general case.
#include <cmath>
#include <cstring>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/registry.h"
#include "engine/tensor_proto.h"

namespace reco::engine {
namespace {

class ConstantKernel final : public OpKernel {
 public:
  explicit ConstantKernel(const KernelInfo& info) : OpKernel(info) {
    if (const onnx::TensorProto* t = info.GetTensorAttr("value")) {
      StatusOr<Tensor> v = TensorFromProto(*t);
      if (!v.ok()) {
        SetInitError(Error(v.status().message()));
      } else {
        value_ = std::move(v).value();
      }
    } else if (info.HasAttr("value_float")) {
      value_ = Tensor::FromVector<float>(Shape{}, {info.GetFloat("value_float", 0)});
    } else if (info.HasAttr("value_int")) {
      value_ = Tensor::FromVector<int64_t>(Shape{}, {info.GetInt("value_int", 0)});
    } else if (info.HasAttr("value_floats")) {
      std::vector<float> v = info.GetFloats("value_floats");
      value_ = Tensor::FromVector<float>(Shape{static_cast<int64_t>(v.size())}, std::span<const float>(v));
    } else if (info.HasAttr("value_ints")) {
      std::vector<int64_t> v = info.GetInts("value_ints");
      value_ = Tensor::FromVector<int64_t>(Shape{static_cast<int64_t>(v.size())}, std::span<const int64_t>(v));
    } else {
      SetInitError(Error("no supported value attribute (sparse_value and strings are not supported)"));
    }
  }
  Status InferOutputs(InferenceContext& ctx) const override {
    ctx.set_output(0, value_.dtype(), value_.shape());
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    if (value_.byte_size()) std::memcpy(ctx.output(0).data, value_.raw_data(), value_.byte_size());
    return Status::Ok();
  }

 private:
  Tensor value_;
};

class ConstantOfShapeKernel final : public OpKernel {
 public:
  explicit ConstantOfShapeKernel(const KernelInfo& info) : OpKernel(info) {
    if (const onnx::TensorProto* t = info.GetTensorAttr("value")) {
      StatusOr<Tensor> v = TensorFromProto(*t);
      if (!v.ok() || v->num_elements() != 1) {
        SetInitError(Error("value must be a one-element tensor"));
        return;
      }
      value_ = std::move(v).value();
    } else {
      value_ = Tensor::FromVector<float>(Shape{1}, {0.0f});
    }
  }
  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* v = ctx.input_value(0);
    if (!v) return Error("the shape input is not known while planning; unsupported");
    if (v->dtype != DType::kInt64) return Error("shape must be int64");
    if (v->num_elements() > Shape::kMaxRank) return Error("rank too large");
    Shape s;
    for (int64_t i = 0; i < v->num_elements(); ++i) {
      const int64_t d = v->data_as<int64_t>()[i];
      if (d < 0) return Error("negative dimension");
      s.push_back(d);
    }
    ctx.set_output(0, value_.dtype(), s);
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    const TensorView& y = ctx.output(0);
    const size_t es = DTypeSize(y.dtype);
    auto* out = static_cast<std::byte*>(y.data);
    for (int64_t i = 0, n = y.num_elements(); i < n; ++i) std::memcpy(out + i * es, value_.raw_data(), es);
    return Status::Ok();
  }

 private:
  Tensor value_;
};

class RangeKernel final : public OpKernel {
 public:
  explicit RangeKernel(const KernelInfo& info) : OpKernel(info) {}

  Status InferOutputs(InferenceContext& ctx) const override {
    const TensorView* s = ctx.input_value(0);
    const TensorView* l = ctx.input_value(1);
    const TensorView* d = ctx.input_value(2);
    if (!s || !l || !d) return Error("start/limit/delta are not known while planning; unsupported");
    if (s->dtype != l->dtype || s->dtype != d->dtype) return Error("start/limit/delta dtypes differ");
    int64_t count = -1;
    bool ok = DispatchNumeric(s->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const double start = static_cast<double>(*s->data_as<T>()), limit = static_cast<double>(*l->data_as<T>()),
                   delta = static_cast<double>(*d->data_as<T>());
      if (delta == 0) return;
      const double n = std::ceil((limit - start) / delta);
      // Casting inf, NaN or anything past int64 is undefined (x86 gives INT64_MIN: a silent empty range).
      if (!std::isfinite(n) || n > 9.0e18) {
        count = -2;
        return;
      }
      count = std::max<int64_t>(0, static_cast<int64_t>(n));
    });
    if (!ok) return Error("unsupported dtype");
    if (count == -2) return Error("start/limit/delta give a non-finite or too large element count");
    if (count < 0) return Error("delta is zero");
    ctx.set_output(0, s->dtype, Shape{count});
    return Status::Ok();
  }
  Status Compute(const KernelContext& ctx) const override {
    const TensorView& y = ctx.output(0);
    DispatchNumeric(y.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T start = *ctx.input(0)->data_as<T>(), delta = *ctx.input(2)->data_as<T>();
      T* out = y.data_as<T>();
      for (int64_t i = 0, n = y.num_elements(); i < n; ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    });
    return Status::Ok();
  }
};

}  // namespace

void RegisterGeneratorKernels(KernelRegistry* r) {
  r->Add<ConstantKernel>("Constant", 1, 17);
  r->Add<ConstantOfShapeKernel>("ConstantOfShape", 9, 17, KernelDef::PlanTimeInput(0));
  r->Add<RangeKernel>("Range", 11, 17,
                       KernelDef::PlanTimeInput(0) | KernelDef::PlanTimeInput(1) | KernelDef::PlanTimeInput(2));
}

}  // namespace reco::engine
