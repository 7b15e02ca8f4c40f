// Sequential: construction, building, compile, summary and introspection. Training is in sequential_fit.cc,
// persistence in sequential_io.cc.
#include "nn/keras/sequential.h"

#include <torch/torch.h>

#include <cstdio>
#include <map>

#include "nn/keras/internal.h"

namespace reco::keras {
namespace {

using internal::CatchTorch;
using internal::ShapeString;

// Keras's automatic layer name prefixes.
std::string AutoPrefix(LayerType type) {
  switch (type) {
    case LayerType::kInput: return "input";
    case LayerType::kDense: return "dense";
    case LayerType::kFlatten: return "flatten";
    case LayerType::kConv2D: return "conv2d";
    case LayerType::kMaxPool2D: return "max_pooling2d";
    case LayerType::kDropout: return "dropout";
  }
  return "layer";
}

// "1,234,567".
std::string WithThousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() + 1 > width) return s + " ";
  s.resize(width, ' ');
  return s;
}

}  // namespace

int64_t LayerInfo::num_params() const {
  int64_t n = 0;
  for (const auto& [name, t] : params) n += t.numel();
  return n;
}

Sequential::Sequential(std::vector<LayerConfig> layers, std::string name) : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
  for (auto& layer : layers) {
    Status s = add(std::move(layer));
    if (!s.ok() && impl_->status.ok()) impl_->status = s;
  }
}

Status Sequential::Impl::BuildDeclared() {
  if (declared_input.empty() || !status.ok()) return status;
  built = false;
  Status s = internal::CatchTorch("Sequential", [&] { return Build(declared_input); });
  if (!s.ok() && status.ok()) status = s;
  return s;
}

Sequential::~Sequential() = default;
Sequential::Sequential(Sequential&&) noexcept = default;
Sequential& Sequential::operator=(Sequential&&) noexcept = default;

Status Sequential::add(LayerConfig layer) {
  Impl& m = *impl_;
  // A model built only because it starts with Input(...) may still grow (it is rebuilt); one built from data or
  // compiled may not, as its weights or optimizer would silently be replaced.
  const bool rebuild = m.built && !m.declared_input.empty() && !m.compiled;
  if (m.built && !rebuild) return FailedPreconditionError("Sequential::add: the model is already built");
  if (layer.name.empty()) {
    const std::string prefix = AutoPrefix(layer.type);
    int count = 0;
    for (const auto& c : m.configs) count += c.name == prefix || c.name.rfind(prefix + "_", 0) == 0;
    layer.name = count == 0 ? prefix : prefix + "_" + std::to_string(count);
  }
  for (const auto& c : m.configs) {
    if (c.name == layer.name) return InvalidArgumentError("duplicate layer name '" + layer.name + "'");
  }
  RETURN_IF_ERROR(internal::ValidateConfig(layer));
  if (layer.type == LayerType::kInput) {
    if (!m.configs.empty()) return InvalidArgumentError("Input must be the first layer of a Sequential");
    m.declared_input = layer.shape;
    return m.BuildDeclared();
  }
  m.configs.push_back(std::move(layer));
  return m.declared_input.empty() ? Status::Ok() : m.BuildDeclared();
}

Status Sequential::build(std::vector<int64_t> input_shape) {
  RETURN_IF_ERROR(impl_->status);
  return CatchTorch("Sequential::build", [&] { return impl_->Build(input_shape); });
}

Status Sequential::Impl::Build(const std::vector<int64_t>& shape) {
  if (built) {
    if (shape == input_shape) return Status::Ok();
    return InvalidArgumentError("model '" + name + "' was built for inputs " + ShapeString(input_shape) +
                                " per sample, got " + ShapeString(shape));
  }
  if (shape.empty()) return InvalidArgumentError("build: input shape must have at least one dimension");
  for (int64_t d : shape) {
    if (d <= 0) return InvalidArgumentError("build: input shape " + ShapeString(shape) + " must be positive");
  }
  std::vector<LayerInfo> new_infos;
  std::vector<int64_t> cur = shape;
  for (const auto& c : configs) {
    ASSIGN_OR_RETURN(LayerInfo info, internal::InferShape(c, cur));
    cur = info.output_shape;
    new_infos.push_back(std::move(info));
  }
  auto new_root = std::make_shared<torch::nn::Module>(name);
  std::vector<std::shared_ptr<internal::LayerModule>> new_modules;
  for (const auto& info : new_infos) {
    new_modules.push_back(new_root->register_module(info.config.name, internal::MakeLayerModule(info)));
  }
  infos = std::move(new_infos);
  root = std::move(new_root);
  modules = std::move(new_modules);
  input_shape = shape;
  built = true;
  return MakeOptimizerIfReady();
}

Status Sequential::Impl::MakeOptimizerIfReady() {
  if (!built || !compiled || optimizer) return Status::Ok();
  auto params = root->parameters();
  if (optimizer_spec.name == "adam") {
    optimizer = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(optimizer_spec.learning_rate)
                    .betas({optimizer_spec.beta_1, optimizer_spec.beta_2})
                    .eps(optimizer_spec.epsilon));
  } else {
    optimizer = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(optimizer_spec.learning_rate)
                                                                .momentum(optimizer_spec.momentum)
                                                                .nesterov(optimizer_spec.nesterov));
  }
  return Status::Ok();
}

torch::Tensor Sequential::Impl::Forward(torch::Tensor x) const {
  for (const auto& m : modules) x = m->forward(x);
  return x;
}

Status Sequential::Impl::CheckInput(const at::Tensor& x, std::string_view what) {
  const std::string w(what);
  if (!x.defined()) return InvalidArgumentError(w + ": input tensor is undefined");
  if (x.dim() < 2) {
    return InvalidArgumentError(w + ": input must be [batch, ...], got a tensor of rank " + std::to_string(x.dim()));
  }
  std::vector<int64_t> per_sample(x.sizes().begin() + 1, x.sizes().end());
  if (!built) return Build(per_sample);  // Keras builds lazily from the first input
  if (per_sample != input_shape) {
    return InvalidArgumentError(w + ": model '" + name + "' expects inputs of shape " + ShapeString(input_shape) +
                                " per sample, got " + ShapeString(per_sample));
  }
  return Status::Ok();
}

bool Sequential::built() const { return impl_->built; }
Status Sequential::status() const { return impl_->status; }
bool Sequential::compiled() const { return impl_->compiled; }
const std::string& Sequential::name() const { return impl_->name; }
std::vector<int64_t> Sequential::input_shape() const { return impl_->input_shape; }
std::vector<int64_t> Sequential::output_shape() const {
  if (!impl_->built) return {};
  return impl_->infos.empty() ? impl_->input_shape : impl_->infos.back().output_shape;
}
std::shared_ptr<torch::nn::Module> Sequential::module() const { return impl_->root; }
const OptimizerSpec& Sequential::optimizer() const { return impl_->optimizer_spec; }
const LossSpec& Sequential::loss() const { return impl_->loss_spec; }
const Metrics& Sequential::metrics() const { return impl_->metrics; }

Status Sequential::compile(OptimizerSpec optimizer, LossSpec loss, Metrics metrics) {
  Impl& m = *impl_;
  RETURN_IF_ERROR(m.status);
  // Normalise spellings ("Adam", "SparseCategoricalCrossentropy") through the name constructors.
  const OptimizerSpec canonical_opt(optimizer.name);
  if (canonical_opt.name != "adam" && canonical_opt.name != "sgd") {
    return InvalidArgumentError("compile: unknown optimizer '" + optimizer.name + "' (expected adam or sgd)");
  }
  optimizer.name = canonical_opt.name;
  if (!(optimizer.learning_rate > 0)) return InvalidArgumentError("compile: learning rate must be positive");
  const LossSpec canonical_loss(loss.name);
  if (canonical_loss.name != "sparse_categorical_crossentropy" && canonical_loss.name != "binary_crossentropy") {
    return InvalidArgumentError("compile: unknown loss '" + loss.name +
                                "' (expected sparse_categorical_crossentropy or binary_crossentropy)");
  }
  loss.name = canonical_loss.name;
  for (const auto& metric : metrics) {
    if (metric != "accuracy" && metric != "acc" && metric != "sparse_categorical_accuracy" &&
        metric != "binary_accuracy") {
      return InvalidArgumentError("compile: unknown metric '" + metric +
                                  "' (expected accuracy, sparse_categorical_accuracy or binary_accuracy)");
    }
  }
  m.optimizer_spec = std::move(optimizer);
  m.loss_spec = std::move(loss);
  m.metrics = std::move(metrics);
  m.optimizer.reset();  // recompiling starts a fresh optimizer, as in Keras
  m.compiled = true;
  return CatchTorch("compile", [&] { return m.MakeOptimizerIfReady(); });
}

std::vector<LayerInfo> Sequential::layers() const {
  std::vector<LayerInfo> out = impl_->infos;
  for (size_t i = 0; i < out.size(); ++i) {
    for (const auto& p : impl_->modules[i]->named_parameters(/*recurse=*/false)) {
      out[i].params.emplace_back(p.key(), p.value());
    }
  }
  return out;
}

int64_t Sequential::count_params() const {
  if (!impl_->root) return 0;
  int64_t n = 0;
  for (const auto& p : impl_->root->parameters()) n += p.numel();
  return n;
}

std::string Sequential::summary() const {
  const Impl& m = *impl_;
  constexpr size_t kName = 29, kShape = 26, kParams = 10, kLine = kName + kShape + kParams;
  std::string out = "Model: \"" + m.name + "\"\n";
  if (!m.status.ok()) return out + "(invalid: " + m.status.message() + ")\n";
  if (!m.built) {
    return out + "(not built yet: call build(input_shape), start with Input(shape), or call fit/predict)\n";
  }
  const std::string rule(kLine, '_'), double_rule(kLine, '=');
  out += rule + "\n";
  out += Pad(" Layer (type)", kName) + Pad("Output Shape", kShape) + Pad("Param #", kParams) + "\n";
  out += double_rule + "\n";
  const auto infos = layers();
  int64_t total = 0;
  for (size_t i = 0; i < infos.size(); ++i) {
    const auto& info = infos[i];
    std::string shape = "(None";
    for (int64_t d : info.output_shape) shape += ", " + std::to_string(d);
    shape += ")";
    const int64_t n = info.num_params();
    total += n;
    out += Pad(" " + info.config.name + " (" + std::string(LayerTypeName(info.config.type)) + ")", kName) +
           Pad(shape, kShape) + Pad(WithThousands(n), kParams) + "\n";
    if (i + 1 < infos.size()) out += std::string(kLine, ' ') + "\n";
  }
  out += double_rule + "\n";
  out += "Total params: " + WithThousands(total) + "\n";
  out += "Trainable params: " + WithThousands(total) + "\n";
  out += "Non-trainable params: 0\n";
  out += rule + "\n";
  return out;
}

}  // namespace reco::keras
