#include "online/ranking/ranker_model.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "online/ranking/model_inputs.h"
#include "serving/version_policy.h"

namespace reco::online::ranking {
namespace {

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("{}: cannot open (missing file?)", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return DataLossError(fmt::format("{}: read failed", path));
  return text.str();
}

// The dtype each contract input must have.
StatusOr<serving::DataType> ExpectedInputType(std::string_view name) {
  if (name == kHistMask) return serving::DataType::kFloat;
  for (std::string_view n : {kHistItem, kHistCate, kHistType, kHistRecency, kTargetItem, kTargetCate}) {
    if (name == n) return serving::DataType::kInt64;
  }
  return InvalidArgumentError(fmt::format("model input '{}' is not part of the ranker contract "
                                          "(docs/ranker_model.md)", name));
}

class RankerLoader final : public serving::Loader {
 public:
  RankerLoader(std::string dir, RankerLoadOptions options) : dir_(std::move(dir)), options_(options) {}
  StatusOr<std::shared_ptr<const serving::Servable>> Load() override {
    ASSIGN_OR_RETURN(std::shared_ptr<const RankerModel> model, LoadRankerModel(dir_, options_));
    return std::shared_ptr<const serving::Servable>(std::move(model));
  }

 private:
  std::string dir_;
  RankerLoadOptions options_;
};

}  // namespace

StatusOr<RankerManifest> ParseRankerManifest(std::string_view json, std::string_view file) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return InvalidArgumentError(fmt::format("{}: not JSON ({} at offset {})", file,
                                            rapidjson::GetParseError_En(doc.GetParseError()), doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return InvalidArgumentError(fmt::format("{}: must be a JSON object", file));
  RankerManifest m;
  if (auto it = doc.FindMember("format"); it != doc.MemberEnd()) {
    if (!it->value.IsString() || std::string_view(it->value.GetString()) != kManifestFormat) {
      return InvalidArgumentError(fmt::format("{}: \"format\" must be \"{}\"", file, kManifestFormat));
    }
  }
  auto kind = doc.FindMember("model_kind");
  if (kind == doc.MemberEnd() || !kind->value.IsString()) {
    return InvalidArgumentError(fmt::format("{}: missing string field \"model_kind\"", file));
  }
  m.model_kind = kind->value.GetString();
  if (m.model_kind != "din" && m.model_kind != "base") {
    return InvalidArgumentError(fmt::format("{}: model_kind \"{}\" cannot rank candidates (need din or base)", file,
                                            m.model_kind));
  }
  auto len = doc.FindMember("max_history");
  if (len == doc.MemberEnd() || !len->value.IsInt() || len->value.GetInt() <= 0 || len->value.GetInt() > 4096) {
    return InvalidArgumentError(fmt::format("{}: \"max_history\" must be an integer in [1, 4096]", file));
  }
  m.max_history = len->value.GetInt();
  if (auto v = doc.FindMember("vocabularies"); v != doc.MemberEnd()) {
    if (!v->value.IsObject()) return InvalidArgumentError(fmt::format("{}: \"vocabularies\" must be an object", file));
    for (auto [key, target] : {std::pair{"item", &m.item_vocab}, {"cate", &m.cate_vocab}, {"user", &m.user_vocab}}) {
      auto e = v->value.FindMember(key);
      if (e == v->value.MemberEnd()) continue;
      if (!e->value.IsString()) {
        return InvalidArgumentError(fmt::format("{}: vocabularies.{} must be a file name", file, key));
      }
      std::string name = e->value.GetString();
      if (name.empty() || name.find('/') != std::string::npos || name == "..") {
        return InvalidArgumentError(fmt::format("{}: vocabularies.{} \"{}\" must be a plain file name", file, key,
                                                name));
      }
      *target = std::move(name);
    }
  }
  if (auto c = doc.FindMember("created_at"); c != doc.MemberEnd() && c->value.IsString()) {
    m.created_at = c->value.GetString();
  }
  return m;
}

RankerModel::RankerModel(RankerManifest manifest, data::IdVocab items, data::IdVocab cates,
                         std::shared_ptr<const serving::Servable> servable)
    : manifest_(std::move(manifest)), items_(std::move(items)), cates_(std::move(cates)),
      servable_(std::move(servable)) {
  if (servable_) {
    for (const serving::TensorInfo& out : servable_->outputs()) has_attention_ |= out.name == kAttention;
    for (const serving::TensorInfo& in : servable_->inputs()) {
      if (in.name == kHistItem) dynamic_history_ = !in.unknown_rank && in.shape.size() == 2 && in.shape[1] < 0;
    }
  } else {
    has_attention_ = manifest_.model_kind == "din";
  }
}

const std::vector<serving::TensorInfo>& RankerModel::inputs() const {
  return servable_ ? servable_->inputs() : no_infos_;
}
const std::vector<serving::TensorInfo>& RankerModel::outputs() const {
  return servable_ ? servable_->outputs() : no_infos_;
}

Status RankerModel::Run(std::span<const serving::NamedTensor> inputs, std::span<const std::string> output_names,
                        std::vector<serving::NamedTensor>* outputs) const {
  if (!servable_) return FailedPreconditionError("this ranker model was loaded for its vocabularies only");
  return servable_->Run(inputs, output_names, outputs);
}

StatusOr<std::shared_ptr<const RankerModel>> LoadRankerModel(const std::string& version_dir,
                                                             const RankerLoadOptions& options) {
  const std::string manifest_path = version_dir + "/" + kManifestFileName;
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(manifest_path));
  ASSIGN_OR_RETURN(RankerManifest manifest, ParseRankerManifest(text, manifest_path));
  ASSIGN_OR_RETURN(data::IdVocab items, data::IdVocab::Load(version_dir + "/" + manifest.item_vocab));
  ASSIGN_OR_RETURN(data::IdVocab cates, data::IdVocab::Load(version_dir + "/" + manifest.cate_vocab));

  std::shared_ptr<const serving::Servable> servable;
  if (!options.vocab_only) {
    const std::string model_path = version_dir + "/" + serving::kModelFileName;
    // Room for every padded shape a request can produce (history buckets x batch buckets), so the engine never
    // evicts a plan that traffic still uses (its default keeps 64).
    serving::OnnxLoaderOptions onnx = options.onnx;
    onnx.max_cached_plans = std::max<size_t>(
        onnx.max_cached_plans,
        static_cast<size_t>(NumRankerShapes(manifest.max_history, std::max(options.warm_up_max_batch, 512))) + 16);
    ASSIGN_OR_RETURN(servable, serving::LoadOnnxServable(model_path, onnx));
    bool has_prob = false;
    for (const serving::TensorInfo& out : servable->outputs()) has_prob |= out.name == kProb;
    if (!has_prob) return InvalidArgumentError(fmt::format("{}: the model has no output 'prob'", model_path));
    for (const serving::TensorInfo& in : servable->inputs()) {
      StatusOr<serving::DataType> expected = ExpectedInputType(in.name);
      if (!expected.ok()) return expected.status().WithContext(model_path);
      const serving::DataType want = *expected;
      if (in.dtype != want) {
        return InvalidArgumentError(fmt::format("{}: input '{}' has dtype {}, the contract says {}", model_path,
                                                in.name, serving::DataTypeName(in.dtype),
                                                serving::DataTypeName(want)));
      }
    }
  }
  auto model = std::make_shared<const RankerModel>(std::move(manifest), std::move(items), std::move(cates),
                                                  std::move(servable));
  if (model->has_engine() && options.warm_up_max_batch > 0) {
    // Every history bucket at the full candidate count (what nearly every request feeds) and every batch bucket at
    // the shortest history: builds and caches those plans before serving. Other (batch, history) pairs — category
    // filters, small catalogs — are planned at their first request (a one-time cost of a few ms each), which keeps
    // a load (and a hot swap) short: planning all of them would run the model ~340 times.
    std::vector<std::string> names;
    for (const serving::TensorInfo& in : model->inputs()) names.push_back(in.name);
    std::vector<std::string> outputs = {std::string(kProb)};
    if (model->has_attention()) outputs.emplace_back(kAttention);
    const int64_t L = model->manifest().max_history;
    const int64_t max_batch = PaddedBatch(options.warm_up_max_batch);
    const std::vector<uint64_t> hist_ids(static_cast<size_t>(L), 0);
    const std::vector<data::BehaviorType> hist_type(static_cast<size_t>(L), data::BehaviorType::kPv);
    const std::vector<int64_t> hist_time(static_cast<size_t>(L), 0);
    const std::vector<uint64_t> targets(static_cast<size_t>(max_batch), 0);
    std::vector<int64_t> lengths = {L};
    if (model->dynamic_history()) {
      lengths.clear();
      for (int64_t n = 1; n <= L; ++n) {
        if (lengths.empty() || HistoryBucket(n, L) != HistoryBucket(lengths.back(), L)) lengths.push_back(n);
      }
    }
    std::vector<std::pair<int64_t, int64_t>> shapes;  // (history length, batch)
    for (int64_t n : lengths) shapes.emplace_back(n, max_batch);
    for (int64_t b = kBatchQuantum; b < max_batch; b += kBatchQuantum) shapes.emplace_back(lengths.front(), b);
    ModelInputs inputs;
    std::vector<serving::NamedTensor> out;
    for (const auto& [n, b] : shapes) {
      const auto h = [n](const auto& v) { return std::span(v.data(), static_cast<size_t>(n)); };
      const std::span<const uint64_t> t(targets.data(), static_cast<size_t>(b));
      RETURN_IF_ERROR(inputs.Build(*model, names,
                                   RankRequest{h(hist_ids), h(hist_ids), h(hist_type), h(hist_time), t, t, 0}));
      RETURN_IF_ERROR(model->Run(inputs.tensors(), outputs, &out).WithContext(version_dir + ": warm-up"));
    }
  }
  return model;
}

std::unique_ptr<serving::Loader> RankerLoaderFactory::Create(const std::string& model_name, int64_t version,
                                                             const std::string& version_path) {
  return std::make_unique<RankerLoader>(version_path, options_);
}

}  // namespace reco::online::ranking
