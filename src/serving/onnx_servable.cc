#include "serving/onnx_servable.h"

#include <cstring>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "engine/session.h"
#include "serving/version_policy.h"

namespace reco::serving {
namespace {

DataType FromEngine(engine::DType t) {
  switch (t) {
    case engine::DType::kFloat32: return DataType::kFloat;
    case engine::DType::kFloat64: return DataType::kDouble;
    case engine::DType::kInt32: return DataType::kInt32;
    case engine::DType::kInt64: return DataType::kInt64;
    case engine::DType::kBool: return DataType::kBool;
    case engine::DType::kUint8: return DataType::kUint8;
    case engine::DType::kInt8: return DataType::kInt8;
    case engine::DType::kFloat16: return DataType::kHalf;
    case engine::DType::kUndefined: break;
  }
  return DataType::kInvalid;
}

engine::DType ToEngine(DataType t) {
  switch (t) {
    case DataType::kFloat: return engine::DType::kFloat32;
    case DataType::kDouble: return engine::DType::kFloat64;
    case DataType::kInt32: return engine::DType::kInt32;
    case DataType::kInt64: return engine::DType::kInt64;
    case DataType::kBool: return engine::DType::kBool;
    case DataType::kUint8: return engine::DType::kUint8;
    case DataType::kInt8: return engine::DType::kInt8;
    case DataType::kHalf: return engine::DType::kFloat16;
    case DataType::kString: case DataType::kInvalid: break;
  }
  return engine::DType::kUndefined;
}

std::vector<TensorInfo> ConvertInfos(const std::vector<engine::TensorInfo>& infos) {
  std::vector<TensorInfo> out;
  for (const engine::TensorInfo& info : infos) {
    TensorInfo t;
    t.name = info.name;
    t.dtype = FromEngine(info.dtype);
    t.shape = info.shape;
    t.unknown_rank = !info.has_shape;
    out.push_back(std::move(t));
  }
  return out;
}

class OnnxServable final : public Servable {
 public:
  explicit OnnxServable(std::unique_ptr<engine::Session> session)
      : session_(std::move(session)), inputs_(ConvertInfos(session_->inputs())),
        outputs_(ConvertInfos(session_->outputs())) {}

  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }

  Status Run(std::span<const NamedTensor> inputs, std::span<const std::string> output_names,
             std::vector<NamedTensor>* outputs) const override {
    thread_local std::vector<engine::NamedView> views;
    views.clear();
    for (const NamedTensor& input : inputs) {
      auto shape = engine::Shape::FromDims(input.tensor.shape);
      if (!shape.ok()) return shape.status().WithContext(fmt::format("input '{}'", input.name));
      views.push_back(engine::NamedView{input.name, engine::TensorView(ToEngine(input.tensor.dtype), *shape,
                                                                         input.tensor.bytes.data())});
    }
    std::unique_ptr<engine::RunContext> ctx = Borrow();
    Status status = session_->Run(views, ctx.get());
    if (status.ok()) {
      outputs->resize(output_names.size());
      for (size_t i = 0; i < output_names.size(); ++i) {
        const engine::TensorView* view = ctx->output(output_names[i]);
        if (!view) {
          status = InternalError(fmt::format("the engine produced no output '{}'", output_names[i]));
          break;
        }
        NamedTensor& out = (*outputs)[i];
        out.name = output_names[i];
        out.tensor.Reset(FromEngine(view->dtype), view->shape.dims());
        if (view->byte_size() > 0) std::memcpy(out.tensor.bytes.data(), view->data, view->byte_size());
      }
    }
    Return(std::move(ctx));
    return status;
  }

 private:
  std::unique_ptr<engine::RunContext> Borrow() const {
    {
      std::lock_guard lock(pool_mu_);
      if (!pool_.empty()) {
        std::unique_ptr<engine::RunContext> ctx = std::move(pool_.back());
        pool_.pop_back();
        return ctx;
      }
    }
    return std::make_unique<engine::RunContext>();
  }
  void Return(std::unique_ptr<engine::RunContext> ctx) const {
    std::lock_guard lock(pool_mu_);
    if (pool_.size() < 64) pool_.push_back(std::move(ctx));
  }

  std::unique_ptr<engine::Session> session_;
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<engine::RunContext>> pool_;  // GUARDED_BY(pool_mu_)
};

// Runs a batch of one with zeros, for every input whose non-batch dims are fixed. Failures are load errors:
// a model that cannot run a zero batch is not worth serving.
Status WarmUp(const Servable& servable) {
  std::vector<NamedTensor> inputs;
  for (const TensorInfo& info : servable.inputs()) {
    if (info.unknown_rank || info.dtype == DataType::kInvalid || info.dtype == DataType::kString) return Status::Ok();
    for (size_t d = 1; d < info.shape.size(); ++d) {
      if (info.shape[d] < 0) return Status::Ok();  // cannot guess; skip the warm-up
    }
    std::vector<int64_t> shape = info.shape;
    if (!shape.empty() && shape[0] < 0) shape[0] = 1;
    NamedTensor t;
    t.name = info.name;
    t.tensor.Reset(info.dtype, shape);
    std::fill(t.tensor.bytes.begin(), t.tensor.bytes.end(), std::byte{0});
    inputs.push_back(std::move(t));
  }
  std::vector<std::string> names;
  for (const TensorInfo& info : servable.outputs()) names.push_back(info.name);
  std::vector<NamedTensor> outputs;
  return servable.Run(inputs, names, &outputs).WithContext("warm-up run");
}

class OnnxLoader final : public Loader {
 public:
  OnnxLoader(std::string path, OnnxLoaderOptions options) : path_(std::move(path)), options_(options) {}
  StatusOr<std::shared_ptr<const Servable>> Load() override { return LoadOnnxServable(path_, options_); }

 private:
  std::string path_;
  OnnxLoaderOptions options_;
};

}  // namespace

StatusOr<std::shared_ptr<const Servable>> LoadOnnxServable(const std::string& path,
                                                           const OnnxLoaderOptions& options) {
  engine::SessionOptions session_options;
  session_options.intra_op_threads = options.intra_op_threads;
  session_options.max_cached_plans = options.max_cached_plans;
  ASSIGN_OR_RETURN(std::unique_ptr<engine::Session> session, engine::Session::Load(path, session_options));
  for (const engine::TensorInfo& info : session->inputs()) {
    if (FromEngine(info.dtype) == DataType::kInvalid) {
      return UnimplementedError(fmt::format("{}: input '{}' has dtype {} which the server cannot feed", path,
                                            info.name, engine::DTypeName(info.dtype)));
    }
  }
  auto servable = std::make_shared<OnnxServable>(std::move(session));
  if (options.warm_up) RETURN_IF_ERROR(WarmUp(*servable).WithContext(path));
  return std::shared_ptr<const Servable>(std::move(servable));
}

std::unique_ptr<Loader> OnnxLoaderFactory::Create(const std::string& model_name, int64_t version,
                                                  const std::string& version_path) {
  return std::make_unique<OnnxLoader>(version_path + "/" + kModelFileName, options_);
}

}  // namespace reco::serving
