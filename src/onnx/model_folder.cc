#include "onnx/model_folder.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <unistd.h>

#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/ranker_features.h"
#include "data/vocab_id.h"
#include "nn/ranker.h"

namespace reco::onnx_export {
namespace {

namespace fs = std::filesystem;
using rapidjson::Value;

constexpr const char* kVocabFiles[][2] = {{"user", "user_vocab.txt"}, {"item", "item_vocab.txt"},
                                          {"cate", "cate_vocab.txt"}};

StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return NotFoundError(path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) return InternalError(path + ": read failed");
  return s.str();
}

std::string NowIso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Every vocabulary parses; item/cate sizes match the embedding tables (din/base).
Status CheckVocabularies(const nn::RankerConfig& c, const std::string& vocab_dir) {
  for (const auto& [what, file] : kVocabFiles) {
    const std::string path = (fs::path(vocab_dir) / file).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return NotFoundError(path + ": " + what + " vocabulary missing (the model folder needs " + file + ")");
    }
    ASSIGN_OR_RETURN(data::IdVocab vocab, data::IdVocab::Load(path));
    const int64_t rows = std::string(what) == "item" ? c.num_items : std::string(what) == "cate" ? c.num_cates : 0;
    if (c.kind != "seed-mlp" && rows > 0 && vocab.size() != rows) {
      return InvalidArgumentError(path + ": " + std::to_string(vocab.size()) + " indices, but the model's " + what +
                                  " embedding has " + std::to_string(rows) + " rows (vocabulary of another run?)");
    }
  }
  return Status::Ok();
}

Value StringValue(const std::string& s, rapidjson::Document::AllocatorType& a) { return Value(s.c_str(), a); }

Value TensorSpecs(const std::vector<RankerTensorSpec>& specs, rapidjson::Document::AllocatorType& a) {
  Value arr(rapidjson::kArrayType);
  for (const auto& s : specs) {
    Value o(rapidjson::kObjectType);
    o.AddMember("name", StringValue(s.name, a), a);
    o.AddMember("dtype", StringValue(s.dtype, a), a);
    Value shape(rapidjson::kArrayType);
    for (const std::string& d : s.shape) {
      if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0]))) {
        shape.PushBack(Value(static_cast<int64_t>(std::stoll(d))), a);
      } else {
        shape.PushBack(StringValue(d, a), a);
      }
    }
    o.AddMember("shape", shape, a);
    o.AddMember("meaning", StringValue(s.meaning, a), a);
    arr.PushBack(o, a);
  }
  return arr;
}

// Parses an embedded JSON object; `what` names it in the error.
StatusOr<Value> ParseObject(const std::string& text, const std::string& what, rapidjson::Document::AllocatorType& a) {
  rapidjson::Document d(&a);
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError() || !d.IsObject()) return InvalidArgumentError(what + ": not a JSON object");
  Value v;
  v.CopyFrom(d, a);
  return v;
}

StatusOr<std::string> ManifestJson(const nn::RankerModel& model, const RankerExportOptions& options,
                                   const ManifestExtras& extras, const std::vector<std::string>& feature_files) {
  const nn::RankerConfig& c = model.config();
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("format", Value(rapidjson::StringRef(kManifestFormatV1)), a);
  doc.AddMember("model_kind", StringValue(c.kind, a), a);
  if (c.kind != "seed-mlp") {
    doc.AddMember("max_history", Value(c.max_history), a);
    doc.AddMember("emb_dim", Value(c.emb_dim), a);
  }
  const RankerSignature sig = RankerSignatureOf(model, options);
  doc.AddMember("inputs", TensorSpecs(sig.inputs, a), a);
  doc.AddMember("outputs", TensorSpecs(sig.outputs, a), a);
  Value vocabs(rapidjson::kObjectType);
  for (const auto& [what, file] : kVocabFiles) vocabs.AddMember(Value(rapidjson::StringRef(what)), Value(rapidjson::StringRef(file)), a);
  doc.AddMember("vocabularies", vocabs, a);
  if (c.kind == "seed-mlp") {
    for (const auto& [key, names] : {std::pair{"user_features", data::kUserFeatureNames},
                                     std::pair{"item_features", data::kItemFeatureNames}}) {
      Value arr(rapidjson::kArrayType);
      for (const char* n : names) arr.PushBack(Value(n, a), a);
      doc.AddMember(Value(rapidjson::StringRef(key)), arr, a);
    }
  }
  if (!feature_files.empty()) {
    Value files(rapidjson::kArrayType);
    for (const std::string& f : feature_files) files.PushBack(StringValue(f, a), a);
    doc.AddMember("feature_tables", files, a);
  }
  Value metrics(rapidjson::kObjectType);
  if (!extras.metrics_json.empty()) {
    ASSIGN_OR_RETURN(metrics, ParseObject(extras.metrics_json, "metrics", a));
  }
  doc.AddMember("metrics", metrics, a);
  if (!extras.training_json.empty()) {
    ASSIGN_OR_RETURN(Value training, ParseObject(extras.training_json, "training", a));
    doc.AddMember("training", training, a);
  }
  rapidjson::Document config_doc(&a);
  config_doc.Parse(nn::RankerConfigToJson(c).c_str());
  Value config;
  config.CopyFrom(config_doc, a);
  doc.AddMember("config", config, a);
  doc.AddMember("created_at", StringValue(NowIso8601(), a), a);
  doc.AddMember("producer", Value("reco 0.1.0"), a);
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
  doc.Accept(w);
  return std::string(buf.GetString()) + "\n";
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return InternalError(path.string() + ": write failed");
  return Status::Ok();
}

bool IsVersionName(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  for (char ch : s) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

}  // namespace

int64_t LargestVersion(const std::string& model_dir) {
  int64_t largest = 0;
  std::error_code ec;
  for (fs::directory_iterator it(model_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec) && IsVersionName(name)) largest = std::max<int64_t>(largest, std::stoll(name));
  }
  return largest;
}

StatusOr<ManifestExtras> ManifestExtrasFromMetricsFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError()) {
    return InvalidArgumentError(path + ": not JSON (" + rapidjson::GetParseError_En(d.GetParseError()) +
                                " at offset " + std::to_string(d.GetErrorOffset()) + ")");
  }
  if (!d.IsObject()) return InvalidArgumentError(path + ": metrics must be a JSON object");
  auto serialize = [](const Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return std::string(buf.GetString());
  };
  ManifestExtras extras;
  rapidjson::Document metrics(rapidjson::kObjectType), training(rapidjson::kObjectType);
  auto& a = metrics.GetAllocator();
  auto& ta = training.GetAllocator();
  auto member = [&a](rapidjson::Document& obj, const char* key) -> Value& {
    if (!obj.HasMember(key)) obj.AddMember(Value(rapidjson::StringRef(key)), Value(rapidjson::kObjectType), a);
    return obj[key];
  };
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
    const std::string key = it->name.GetString();
    Value v;
    if (key == "validation" || key == "best_validation" || key == "test") {
      // Nested form: {"validation": {...}, "test": {...}}.
      const char* to = key == "test" ? "test" : "validation";
      if (!metrics.HasMember(to)) metrics.AddMember(Value(rapidjson::StringRef(to)), v.CopyFrom(it->value, a), a);
    } else if (key.rfind("valid_", 0) == 0 || key.rfind("test_", 0) == 0) {
      // Flat form of `reco train-ranker --metrics-json`: valid_auc, test_gauc, ...
      const bool test = key[0] == 't';
      const std::string name = key.substr(test ? 5 : 6);
      member(metrics, test ? "test" : "validation").AddMember(Value(name.c_str(), a), v.CopyFrom(it->value, a), a);
    } else if (key == "training" && it->value.IsObject()) {
      for (auto t = it->value.MemberBegin(); t != it->value.MemberEnd(); ++t) {
        training.AddMember(Value(t->name, ta), Value(t->value, ta), ta);
      }
    } else if (key == "events" || key == "epochs" || key == "best_epoch" || key == "train_samples" ||
               key == "batch_size" || key == "lr" || key == "optimizer" || key == "negatives" ||
               key == "examples_per_second" || key == "threads") {
      training.AddMember(Value(key == "train_samples" ? "samples" : key.c_str(), ta), Value(it->value, ta), ta);
    }
  }
  if (!training.ObjectEmpty()) extras.training_json = serialize(training);
  extras.metrics_json = metrics.ObjectEmpty() ? text : serialize(metrics);
  return extras;
}

StatusOr<ModelFolderResult> WriteModelFolder(const nn::RankerModel& model, const std::string& vocab_dir,
                                             const ManifestExtras& extras, const std::string& model_dir,
                                             int64_t version, const RankerExportOptions& options) {
  if (version < 0) return InvalidArgumentError("model version must be positive, got " + std::to_string(version));
  RETURN_IF_ERROR(CheckVocabularies(model.config(), vocab_dir));
  std::error_code ec;
  fs::create_directories(model_dir, ec);
  if (ec) return InternalError(model_dir + ": cannot create model directory: " + ec.message());
  if (version == 0) version = LargestVersion(model_dir) + 1;
  const fs::path final_dir = fs::path(model_dir) / std::to_string(version);
  if (fs::exists(final_dir, ec)) {
    return AlreadyExistsError(final_dir.string() + ": version exists (pick another --version; versions are immutable)");
  }

  RankerExportOptions opts = options;
  opts.model_version = version;
  ASSIGN_OR_RETURN(onnx::ModelProto proto, ExportRanker(model, opts));
  std::vector<std::string> feature_files;
  for (const char* f : {data::kUserFeatureFile, data::kItemFeatureFile}) {
    if (fs::is_regular_file(fs::path(vocab_dir) / f, ec)) feature_files.push_back(f);
  }
  ASSIGN_OR_RETURN(std::string manifest, ManifestJson(model, opts, extras, feature_files));

  // Assemble in a hidden staging directory, then one rename publishes the version.
  const fs::path staging = fs::path(model_dir) / ("." + std::to_string(version) + ".tmp-" + std::to_string(getpid()));
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return InternalError(staging.string() + ": cannot create: " + ec.message());
  auto fail = [&staging](Status s) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return s;
  };
  Status written = WriteModel(proto, (staging / kModelFileName).string());
  if (!written.ok()) return fail(written);
  written = WriteText(staging / kManifestFile, manifest);
  if (!written.ok()) return fail(written);
  std::vector<std::string> copies = {"user_vocab.txt", "item_vocab.txt", "cate_vocab.txt"};
  copies.insert(copies.end(), feature_files.begin(), feature_files.end());
  for (const std::string& f : copies) {
    fs::copy_file(fs::path(vocab_dir) / f, staging / f, fs::copy_options::overwrite_existing, ec);
    if (ec) return fail(InternalError("copying " + (fs::path(vocab_dir) / f).string() + ": " + ec.message()));
  }
  fs::rename(staging, final_dir, ec);
  if (ec) return fail(InternalError("cannot move " + staging.string() + " to " + final_dir.string() + ": " +
                                    ec.message()));
  ModelFolderResult result;
  result.version = version;
  result.version_dir = final_dir.string();
  result.model_bytes = static_cast<int64_t>(proto.ByteSizeLong());
  result.nodes = proto.graph().node_size();
  return result;
}

StatusOr<ModelFolderResult> ExportRankerCheckpoint(const std::string& checkpoint, const std::string& vocab_dir,
                                                   const std::string& metrics_json, const std::string& model_dir,
                                                   int64_t version, const RankerExportOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<nn::RankerModel> model, nn::LoadRanker(checkpoint));
  const std::string run_dir = fs::path(checkpoint).parent_path().string();
  std::string metrics_file = metrics_json;
  std::error_code ec;
  if (metrics_file.empty() && fs::is_regular_file(fs::path(run_dir) / kRunMetricsFile, ec)) {
    metrics_file = (fs::path(run_dir) / kRunMetricsFile).string();
  }
  ManifestExtras extras;
  if (!metrics_file.empty()) {
    ASSIGN_OR_RETURN(extras, ManifestExtrasFromMetricsFile(metrics_file));
  }
  const std::string vocabs = vocab_dir.empty() ? run_dir : vocab_dir;
  StatusOr<ModelFolderResult> result =
      WriteModelFolder(*model, vocabs.empty() ? "." : vocabs, extras, model_dir, version, options);
  if (!result.ok() && vocab_dir.empty() && result.status().code() == StatusCode::kNotFound) {
    return result.status().WithContext("no --vocab-dir given, looked beside the checkpoint");
  }
  return result;
}

}  // namespace reco::onnx_export
