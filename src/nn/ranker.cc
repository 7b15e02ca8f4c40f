// MakeRanker, config validation and the config's JSON form.
#include "nn/ranker.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <torch/torch.h>

#include "nn/base_ranker.h"
#include "nn/din.h"
#include "nn/seed_mlp.h"

namespace reco::nn {
namespace {

constexpr int64_t kMaxEmbDim = 4096;
constexpr int64_t kMaxWidth = 1 << 16;
constexpr int64_t kMaxHistory = 65535;  // SampleRecord::hist_len is uint16

Status CheckRange(const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    return InvalidArgumentError("ranker config: " + std::string(field) + " = " + std::to_string(v) +
                                " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return Status::Ok();
}

Status CheckWidths(const char* field, const std::vector<int64_t>& widths, bool allow_empty) {
  if (widths.empty() && !allow_empty) return InvalidArgumentError("ranker config: " + std::string(field) + " is empty");
  for (int64_t w : widths) RETURN_IF_ERROR(CheckRange(field, w, 1, kMaxWidth));
  return Status::Ok();
}

}  // namespace

Status ValidateRankerConfig(const RankerConfig& c) {
  if (c.kind == "seed-mlp") return CheckRange("seed_features", c.seed_features, 1, kMaxWidth);
  if (c.kind != "din" && c.kind != "base") {
    return InvalidArgumentError("ranker config: unknown model kind '" + c.kind + "' (din, base, seed-mlp)");
  }
  // At least padding + OOV rows; int32 indices in the sample file bound the vocabularies.
  RETURN_IF_ERROR(CheckRange("num_items", c.num_items, 2, INT32_MAX));
  RETURN_IF_ERROR(CheckRange("num_cates", c.num_cates, 2, INT32_MAX));
  RETURN_IF_ERROR(CheckRange("emb_dim", c.emb_dim, 1, kMaxEmbDim));
  RETURN_IF_ERROR(CheckRange("type_dim", c.type_dim, 1, kMaxEmbDim));
  RETURN_IF_ERROR(CheckRange("recency_dim", c.recency_dim, 1, kMaxEmbDim));
  RETURN_IF_ERROR(CheckRange("max_history", c.max_history, 1, kMaxHistory));
  if (c.kind == "din") RETURN_IF_ERROR(CheckWidths("attention_hidden", c.attention_hidden, /*allow_empty=*/false));
  RETURN_IF_ERROR(CheckWidths("mlp_hidden", c.mlp_hidden, /*allow_empty=*/true));
  if (c.activation != "dice" && c.activation != "prelu") {
    return InvalidArgumentError("ranker config: activation '" + c.activation + "' (dice, prelu)");
  }
  if (c.pooling != "sum" && c.pooling != "mean") {
    return InvalidArgumentError("ranker config: pooling '" + c.pooling + "' (sum, mean)");
  }
  if (!(c.dice_eps > 0.0)) return InvalidArgumentError("ranker config: dice_eps must be > 0");
  if (!(c.dice_momentum > 0.0 && c.dice_momentum <= 1.0)) {
    return InvalidArgumentError("ranker config: dice_momentum must be in (0, 1]");
  }
  return Status::Ok();
}

StatusOr<std::shared_ptr<RankerModel>> MakeRanker(const RankerConfig& config) {
  RETURN_IF_ERROR(ValidateRankerConfig(config));
  try {
    if (config.kind == "din") return std::shared_ptr<RankerModel>(std::make_shared<DinRanker>(config));
    if (config.kind == "base") return std::shared_ptr<RankerModel>(std::make_shared<BaseRanker>(config));
    return std::shared_ptr<RankerModel>(std::make_shared<SeedMlpRanker>(config));
  } catch (const c10::Error& e) {  // e.g. out of memory for a huge vocabulary
    return ResourceExhaustedError("ranker '" + config.kind + "': " + e.what_without_backtrace());
  }
}

std::string RankerConfigToJson(const RankerConfig& c) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto ints = [&w](const char* key, const std::vector<int64_t>& v) {
    w.Key(key);
    w.StartArray();
    for (int64_t x : v) w.Int64(x);
    w.EndArray();
  };
  w.StartObject();
  w.Key("kind"), w.String(c.kind.c_str());
  w.Key("num_items"), w.Int64(c.num_items);
  w.Key("num_cates"), w.Int64(c.num_cates);
  w.Key("emb_dim"), w.Int64(c.emb_dim);
  w.Key("type_dim"), w.Int64(c.type_dim);
  w.Key("recency_dim"), w.Int64(c.recency_dim);
  w.Key("max_history"), w.Int64(c.max_history);
  ints("attention_hidden", c.attention_hidden);
  ints("mlp_hidden", c.mlp_hidden);
  w.Key("activation"), w.String(c.activation.c_str());
  w.Key("attention_softmax"), w.Bool(c.attention_softmax);
  w.Key("pooling"), w.String(c.pooling.c_str());
  w.Key("seed_features"), w.Int64(c.seed_features);
  w.Key("dice_eps"), w.Double(c.dice_eps);
  w.Key("dice_momentum"), w.Double(c.dice_momentum);
  w.Key("sparse_embeddings"), w.Bool(c.sparse_embeddings);
  w.EndObject();
  return buf.GetString();
}

StatusOr<RankerConfig> RankerConfigFromJson(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError() || !d.IsObject()) return InvalidArgumentError("ranker config: not a JSON object");
  RankerConfig c;
  std::string bad;
  auto str = [&](const char* k, std::string* out) {
    if (!d.HasMember(k)) return;
    if (d[k].IsString()) *out = d[k].GetString(); else bad = k;
  };
  auto i64 = [&](const char* k, int64_t* out) {
    if (!d.HasMember(k)) return;
    if (d[k].IsInt64()) *out = d[k].GetInt64(); else bad = k;
  };
  auto dbl = [&](const char* k, double* out) {
    if (!d.HasMember(k)) return;
    if (d[k].IsNumber()) *out = d[k].GetDouble(); else bad = k;
  };
  auto boolean = [&](const char* k, bool* out) {
    if (!d.HasMember(k)) return;
    if (d[k].IsBool()) *out = d[k].GetBool(); else bad = k;
  };
  auto ints = [&](const char* k, std::vector<int64_t>* out) {
    if (!d.HasMember(k)) return;
    if (!d[k].IsArray()) { bad = k; return; }
    out->clear();
    for (const auto& v : d[k].GetArray()) {
      if (!v.IsInt64()) { bad = k; return; }
      out->push_back(v.GetInt64());
    }
  };
  if (!d.HasMember("kind")) return InvalidArgumentError("ranker config: missing 'kind'");
  str("kind", &c.kind);
  i64("num_items", &c.num_items);
  i64("num_cates", &c.num_cates);
  i64("emb_dim", &c.emb_dim);
  i64("type_dim", &c.type_dim);
  i64("recency_dim", &c.recency_dim);
  i64("max_history", &c.max_history);
  ints("attention_hidden", &c.attention_hidden);
  ints("mlp_hidden", &c.mlp_hidden);
  str("activation", &c.activation);
  boolean("attention_softmax", &c.attention_softmax);
  str("pooling", &c.pooling);
  i64("seed_features", &c.seed_features);
  dbl("dice_eps", &c.dice_eps);
  dbl("dice_momentum", &c.dice_momentum);
  boolean("sparse_embeddings", &c.sparse_embeddings);
  if (!bad.empty()) return InvalidArgumentError("ranker config: field '" + bad + "' has the wrong type");
  RETURN_IF_ERROR(ValidateRankerConfig(c));
  return c;
}

}  // namespace reco::nn
