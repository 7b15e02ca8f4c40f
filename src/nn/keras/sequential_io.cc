// Sequential::save / load: one LibTorch archive holding the architecture and compile settings as JSON
// ("keras/spec"), the weights ("model") and the optimizer state ("optimizer"), so training can resume.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <torch/torch.h>

#include <filesystem>

#include "nn/keras/internal.h"

namespace reco::keras {
namespace {

constexpr const char* kFormat = "reco-keras-v1";
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteShape(Writer& w, const char* key, const std::vector<int64_t>& shape) {
  w.Key(key);
  w.StartArray();
  for (int64_t d : shape) w.Int64(d);
  w.EndArray();
}

void WriteSize2(Writer& w, const char* key, Size2 s) { WriteShape(w, key, {s.h, s.w}); }

std::string SpecJson(const Sequential::Impl& m) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("name");
  w.String(m.name.c_str());
  WriteShape(w, "declared_input", m.declared_input);
  WriteShape(w, "input_shape", m.built ? m.input_shape : std::vector<int64_t>{});
  w.Key("layers");
  w.StartArray();
  for (const auto& c : m.configs) {
    w.StartObject();
    w.Key("type");
    w.String(std::string(LayerTypeName(c.type)).c_str());
    w.Key("name");
    w.String(c.name.c_str());
    w.Key("activation");
    w.String(c.activation.c_str());
    w.Key("units");
    w.Int64(c.units);
    w.Key("filters");
    w.Int64(c.filters);
    WriteSize2(w, "kernel_size", c.kernel_size);
    WriteSize2(w, "pool_size", c.pool_size);
    WriteSize2(w, "strides", c.strides);
    w.Key("padding");
    w.String(c.padding.c_str());
    w.Key("rate");
    w.Double(c.rate);
    w.EndObject();
  }
  w.EndArray();
  if (m.compiled) {
    const OptimizerSpec& o = m.optimizer_spec;
    w.Key("optimizer");
    w.StartObject();
    w.Key("name");
    w.String(o.name.c_str());
    w.Key("learning_rate");
    w.Double(o.learning_rate);
    w.Key("beta_1");
    w.Double(o.beta_1);
    w.Key("beta_2");
    w.Double(o.beta_2);
    w.Key("epsilon");
    w.Double(o.epsilon);
    w.Key("momentum");
    w.Double(o.momentum);
    w.Key("nesterov");
    w.Bool(o.nesterov);
    w.EndObject();
    w.Key("loss");
    w.StartObject();
    w.Key("name");
    w.String(m.loss_spec.name.c_str());
    w.Key("from_logits");
    w.Bool(m.loss_spec.from_logits);
    w.EndObject();
    w.Key("metrics");
    w.StartArray();
    for (const auto& metric : m.metrics) w.String(metric.c_str());
    w.EndArray();
  }
  w.EndObject();
  return buf.GetString();
}

// Small typed readers that name the missing field.
class SpecReader {
 public:
  SpecReader(const rapidjson::Value& v, std::string where) : v_(v), where_(std::move(where)) {}
  StatusOr<std::string> Str(const char* key) const {
    if (!v_.HasMember(key) || !v_[key].IsString()) return Missing(key, "string");
    return std::string(v_[key].GetString());
  }
  StatusOr<double> Num(const char* key) const {
    if (!v_.HasMember(key) || !v_[key].IsNumber()) return Missing(key, "number");
    return v_[key].GetDouble();
  }
  StatusOr<int64_t> Int(const char* key) const {
    if (!v_.HasMember(key) || !v_[key].IsInt64()) return Missing(key, "integer");
    return v_[key].GetInt64();
  }
  StatusOr<bool> Bool(const char* key) const {
    if (!v_.HasMember(key) || !v_[key].IsBool()) return Missing(key, "boolean");
    return v_[key].GetBool();
  }
  StatusOr<std::vector<int64_t>> Ints(const char* key) const {
    if (!v_.HasMember(key) || !v_[key].IsArray()) return Missing(key, "array");
    std::vector<int64_t> out;
    for (const auto& e : v_[key].GetArray()) {
      if (!e.IsInt64()) return Missing(key, "array of integers");
      out.push_back(e.GetInt64());
    }
    return out;
  }
  StatusOr<Size2> Pair(const char* key) const {
    ASSIGN_OR_RETURN(auto v, Ints(key));
    if (v.size() != 2) return Missing(key, "pair");
    return Size2(v[0], v[1]);
  }

 private:
  Status Missing(const char* key, const char* type) const {
    return DataLossError(where_ + ": field '" + key + "' missing or not a " + type);
  }
  const rapidjson::Value& v_;
  std::string where_;
};

StatusOr<LayerType> ParseLayerType(const std::string& name, const std::string& where) {
  for (LayerType t : {LayerType::kDense, LayerType::kFlatten, LayerType::kConv2D, LayerType::kMaxPool2D,
                      LayerType::kDropout}) {
    if (LayerTypeName(t) == name) return t;
  }
  return DataLossError(where + ": unknown layer type '" + name + "'");
}

StatusOr<Sequential> FromSpec(const std::string& json, const std::string& path) {
  rapidjson::Document doc;
  if (doc.Parse(json.c_str()).HasParseError() || !doc.IsObject()) {
    return DataLossError(path + ": architecture spec is not valid JSON");
  }
  const SpecReader top(doc, path);
  ASSIGN_OR_RETURN(std::string name, top.Str("name"));
  ASSIGN_OR_RETURN(std::vector<int64_t> declared, top.Ints("declared_input"));
  ASSIGN_OR_RETURN(std::vector<int64_t> input_shape, top.Ints("input_shape"));
  if (!doc.HasMember("layers") || !doc["layers"].IsArray()) return DataLossError(path + ": spec has no layers");
  std::vector<LayerConfig> configs;
  if (!declared.empty()) configs.push_back(Input(declared));
  int index = 0;
  for (const auto& v : doc["layers"].GetArray()) {
    const std::string where = path + ": layer " + std::to_string(index++);
    if (!v.IsObject()) return DataLossError(where + ": not an object");
    const SpecReader r(v, where);
    LayerConfig c;
    ASSIGN_OR_RETURN(std::string type, r.Str("type"));
    ASSIGN_OR_RETURN(c.type, ParseLayerType(type, where));
    ASSIGN_OR_RETURN(c.name, r.Str("name"));
    ASSIGN_OR_RETURN(c.activation, r.Str("activation"));
    ASSIGN_OR_RETURN(c.units, r.Int("units"));
    ASSIGN_OR_RETURN(c.filters, r.Int("filters"));
    ASSIGN_OR_RETURN(c.kernel_size, r.Pair("kernel_size"));
    ASSIGN_OR_RETURN(c.pool_size, r.Pair("pool_size"));
    ASSIGN_OR_RETURN(c.strides, r.Pair("strides"));
    ASSIGN_OR_RETURN(c.padding, r.Str("padding"));
    ASSIGN_OR_RETURN(c.rate, r.Num("rate"));
    configs.push_back(std::move(c));
  }
  Sequential model(std::move(configs), name);
  RETURN_IF_ERROR(model.status().WithContext(path));
  if (!input_shape.empty()) RETURN_IF_ERROR(model.build(input_shape).WithContext(path));
  if (doc.HasMember("optimizer") && doc["optimizer"].IsObject() && doc.HasMember("loss") && doc["loss"].IsObject()) {
    const SpecReader o(doc["optimizer"], path + ": optimizer"), l(doc["loss"], path + ": loss");
    OptimizerSpec opt;
    ASSIGN_OR_RETURN(opt.name, o.Str("name"));
    ASSIGN_OR_RETURN(opt.learning_rate, o.Num("learning_rate"));
    ASSIGN_OR_RETURN(opt.beta_1, o.Num("beta_1"));
    ASSIGN_OR_RETURN(opt.beta_2, o.Num("beta_2"));
    ASSIGN_OR_RETURN(opt.epsilon, o.Num("epsilon"));
    ASSIGN_OR_RETURN(opt.momentum, o.Num("momentum"));
    ASSIGN_OR_RETURN(opt.nesterov, o.Bool("nesterov"));
    LossSpec loss;
    ASSIGN_OR_RETURN(loss.name, l.Str("name"));
    ASSIGN_OR_RETURN(loss.from_logits, l.Bool("from_logits"));
    Metrics metrics;
    if (doc.HasMember("metrics") && doc["metrics"].IsArray()) {
      for (const auto& m : doc["metrics"].GetArray()) {
        if (m.IsString()) metrics.emplace_back(m.GetString());
      }
    }
    RETURN_IF_ERROR(model.compile(opt, loss, metrics).WithContext(path));
  }
  return model;
}

}  // namespace

Status Sequential::save(const std::string& path) const {
  const Impl& m = *impl_;
  RETURN_IF_ERROR(m.status);
  try {
    torch::serialize::OutputArchive archive;
    archive.write("keras/format", c10::IValue(std::string(kFormat)));
    archive.write("keras/spec", c10::IValue(SpecJson(m)));
    if (m.built) {
      torch::serialize::OutputArchive weights;
      m.root->save(weights);
      archive.write("model", weights);
    }
    if (m.optimizer) {
      torch::serialize::OutputArchive state;
      m.optimizer->save(state);
      archive.write("optimizer", state);
    }
    // Write then rename: a crash never leaves a half-written model under the final name.
    const std::string tmp = path + ".tmp";
    archive.save_to(tmp);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return InternalError("save: cannot move the model into place at " + path + ": " + ec.message());
    return Status::Ok();
  } catch (const c10::Error& e) {
    return InternalError("save " + path + ": " + e.what_without_backtrace());
  }
}

StatusOr<Sequential> Sequential::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError(path + ": no such model file");
  if (std::filesystem::is_directory(path, ec)) return InvalidArgumentError(path + ": is a directory, not a model");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue format, spec;
    if (!archive.try_read("keras/format", format) || !format.isString() || format.toStringRef() != kFormat) {
      return InvalidArgumentError(path + ": not a reco keras model (missing keras/format " + kFormat + ")");
    }
    if (!archive.try_read("keras/spec", spec) || !spec.isString()) {
      return DataLossError(path + ": model file has no architecture spec");
    }
    ASSIGN_OR_RETURN(Sequential model, FromSpec(spec.toStringRef(), path));
    Impl& m = *model.impl_;
    if (m.built) {
      torch::serialize::InputArchive weights;
      if (!archive.try_read("model", weights)) return DataLossError(path + ": built model without weights");
      m.root->load(weights);
    }
    torch::serialize::InputArchive state;
    if (m.optimizer && archive.try_read("optimizer", state)) m.optimizer->load(state);
    return model;
  } catch (const c10::Error& e) {
    return InvalidArgumentError(path + ": not a readable model file (" + e.what_without_backtrace() + ")");
  }
}

}  // namespace reco::keras
