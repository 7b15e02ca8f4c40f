#include "serving/rest/rest_handler.h"

#include <rapidjson/error/en.h>

#include <fmt/format.h>

#include <chrono>

#include "serving/http_status.h"
#include "serving/model_config.h"
#include "serving/rest/json_tensor.h"
#include "serving/rest/kserve_api.h"
#include "serving/rest/tf_rest_api.h"
#include "serving/version_policy.h"

namespace reco::serving::rest {
namespace {

constexpr size_t kPoolBytes = 64 * 1024;
using PoolAllocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using PoolDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, PoolAllocator, PoolAllocator>;
// Iterative: a recursive parse of 100k nested '[' overflows the stack long before any depth check can run.
constexpr unsigned kParseFlags =
    rapidjson::kParseInsituFlag | rapidjson::kParseNanAndInfFlag | rapidjson::kParseIterativeFlag;

// ASCII case-insensitive equality: TF Serving matches its /v1 routes with (?i) regular expressions, so
// /V1/Models/m:Predict works there; model names and labels keep their case.
bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool ConsumeI(std::string_view* s, std::string_view prefix) {
  if (s->size() < prefix.size() || !IEquals(s->substr(0, prefix.size()), prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool Consume(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// Splits the next path segment off `*rest` (up to '/' or ':' when `stop_at_colon`).
std::string_view NextSegment(std::string_view* rest, bool stop_at_colon) {
  size_t end = rest->find_first_of(stop_at_colon ? "/:" : "/");
  std::string_view seg = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end);
  return seg;
}

Status CheckName(std::string_view name, std::string_view what) {
  if (!IsValidModelName(name)) {
    return InvalidArgumentError(fmt::format("invalid {} '{}': use 1-256 characters of [A-Za-z0-9_.-] (no '/', "
                                            "'..' or escapes)", what, name));
  }
  return Status::Ok();
}

Status ParseVersion(std::string_view text, int64_t* version) {
  std::optional<int64_t> v = ParseVersionNumber(text);
  if (!v) return InvalidArgumentError(fmt::format("version '{}' is not a non-negative integer", text));
  *version = *v;
  return Status::Ok();
}

}  // namespace

struct RestContext::Impl {
  std::unique_ptr<char[]> value_buffer{new char[kPoolBytes]};
  std::unique_ptr<char[]> stack_buffer{new char[kPoolBytes / 4]};
  PoolAllocator value_pool{value_buffer.get(), kPoolBytes};
  PoolAllocator stack_pool{stack_buffer.get(), kPoolBytes / 4};
  PredictRequest request;
  PredictResponse response;
  std::string id;
  std::vector<int64_t> versions;
  // What the request was about, for Options::on_request.
  std::string_view api;
  std::string model;
  int64_t version = 0;
  rapidjson::StringBuffer out;
  JsonWriter writer;

  Impl() : writer(out) {}

  void BeginResponse() {
    out.Clear();
    writer.Reset(out);
  }

  // Parses `body` in place into a fresh DOM that lives in the pools (cleared first).
  StatusOr<PoolDocument*> Parse(std::string& body) {
    doc.reset();
    value_pool.Clear();
    stack_pool.Clear();
    doc.emplace(&value_pool, kPoolBytes / 8, &stack_pool);
    doc->ParseInsitu<kParseFlags>(body.data());
    if (doc->HasParseError()) {
      return InvalidArgumentError(fmt::format("malformed JSON at offset {}: {}", doc->GetErrorOffset(),
                                              rapidjson::GetParseError_En(doc->GetParseError())));
    }
    return &*doc;
  }

  std::optional<PoolDocument> doc;
};

RestContext::RestContext() : impl_(std::make_unique<Impl>()) {}
RestContext::~RestContext() = default;

RestHandler::RestHandler(const PredictionService* service, Options options)
    : service_(service), options_(std::move(options)) {}

void RestHandler::Handle(std::string_view method, std::string_view target, std::string& body, RestContext* context,
                         RestResponse* response) const {
  RestContext::Impl* ctx = context->impl_.get();
  ctx->BeginResponse();
  response->status = 200;
  response->content_type = "application/json";
  std::string_view path = target.substr(0, target.find('?'));
  const auto start = std::chrono::steady_clock::now();
  ctx->api = {};
  ctx->version = 0;
  Status status;
  try {
    status = Route(method, path, body, ctx, response);
  } catch (const std::exception& e) {  // e.g. bad_alloc: nothing escapes a request handler
    status = InternalError(fmt::format("internal error: {}", e.what()));
  }
  if (!status.ok()) {
    ctx->BeginResponse();
    const std::string error = ErrorJson(status.message());
    for (char c : error) ctx->out.Put(c);
    response->status = HttpStatusCode(status);
    response->content_type = "application/json";
  }
  response->body = std::string_view(ctx->out.GetString(), ctx->out.GetSize());
  if (options_.on_request && !ctx->api.empty()) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // A name that resolved to nothing is not a label: every 404 would otherwise add a time series for good.
    const std::string_view model = status.code() == StatusCode::kNotFound ? std::string_view() : ctx->model;
    options_.on_request(model, ctx->version, ctx->api, status.code(), seconds);
  }
}

Status RestHandler::Route(std::string_view method, std::string_view path, std::string& body, RestContext::Impl* ctx,
                          RestResponse* response) const {
  std::string_view rest = path;
  if (ConsumeI(&rest, "/v1/models/")) return HandleV1(method, rest, body, ctx);
  if (rest == "/v2" || Consume(&rest, "/v2/")) return HandleV2(method, rest, body, ctx, response);
  if (options_.metrics_text && path == options_.metrics_path) {
    if (method != "GET") return NotFoundError(fmt::format("Malformed request: {} {} (use GET)", method, path));
    const std::string text = options_.metrics_text();
    for (char c : text) ctx->out.Put(c);
    response->content_type = "text/plain; version=0.0.4";
    return Status::Ok();
  }
  return NotFoundError(fmt::format("Malformed request: {} {}", method, path));
}

Status RestHandler::HandleV1(std::string_view method, std::string_view rest, std::string& body,
                             RestContext::Impl* ctx) const {
  const std::string_view model = NextSegment(&rest, /*stop_at_colon=*/true);
  RETURN_IF_ERROR(CheckName(model, "model name"));
  VersionSelector selector;
  if (ConsumeI(&rest, "/versions/")) {
    int64_t version = 0;
    RETURN_IF_ERROR(ParseVersion(NextSegment(&rest, true), &version));
    selector.version = version;
  } else if (ConsumeI(&rest, "/labels/")) {
    const std::string_view label = NextSegment(&rest, true);
    RETURN_IF_ERROR(CheckName(label, "version label"));
    selector.label = std::string(label);
  }
  const std::string model_name(model);
  ctx->model.assign(model.data(), model.size());
  const bool metadata = IEquals(rest, "/metadata");
  ctx->api = rest.empty() ? "status" : metadata ? "metadata" : "predict";
  if (rest.empty() || metadata) {
    if (method != "GET") return NotFoundError(fmt::format("Malformed request: {} on /v1/models/{} (use GET)", method,
                                                          model));
    if (rest.empty()) {
      std::optional<int64_t> version = selector.version;
      if (selector.label) {
        ASSIGN_OR_RETURN(ServableHandle handle, service_->Resolve(model_name, selector));
        version = handle.version();
      }
      ASSIGN_OR_RETURN(std::vector<VersionStatus> versions, service_->manager().GetStatus(model_name, version));
      WriteModelStatus(versions, &ctx->writer);
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(ServableHandle handle, service_->Resolve(model_name, selector));
    WriteModelMetadata(handle, &ctx->writer);
    return Status::Ok();
  }
  if (IEquals(rest, ":classify") || IEquals(rest, ":regress")) {
    return UnimplementedError(fmt::format("{} is not supported: ONNX models have no tf.Example classify/regress "
                                          "signatures; use :predict", rest.substr(1)));
  }
  if (!IEquals(rest, ":predict")) return NotFoundError(fmt::format("Malformed request: unknown verb or path '{}'", rest));
  if (method != "POST") return NotFoundError("Malformed request: :predict needs POST");
  ASSIGN_OR_RETURN(ServableHandle handle, service_->Resolve(model_name, selector));
  ctx->version = handle.version();
  ASSIGN_OR_RETURN(PoolDocument * doc, ctx->Parse(body));
  ctx->request.Clear();
  RequestFormat format;
  RETURN_IF_ERROR(DecodePredictRequest(*doc, *handle, &ctx->request, &format));
  RETURN_IF_ERROR(service_->Predict(handle, ctx->request, &ctx->response));
  return WritePredictResponse(ctx->response, format, &ctx->writer);
}

Status RestHandler::HandleV2(std::string_view method, std::string_view rest, std::string& body,
                             RestContext::Impl* ctx, RestResponse* response) const {
  JsonWriter& w = ctx->writer;
  if (rest.empty() || rest == "health/live" || rest == "health/ready") {
    if (method != "GET") return NotFoundError(fmt::format("Malformed request: {} /v2/{} (use GET)", method, rest));
    w.StartObject();
    if (rest.empty()) {
      w.Key("name");
      w.String("reco-model-server");
      w.Key("version");
      w.String("0.1.0");
      w.Key("extensions");
      w.StartArray();
      w.EndArray();
    } else if (rest == "health/live") {
      w.Key("live");
      w.Bool(true);
    } else {
      bool ready = true;
      for (const std::string& name : service_->manager().ListModels()) {
        ready = ready && service_->manager().GetHandle(name, {}).ok();
      }
      w.Key("ready");
      w.Bool(ready);
      if (!ready) response->status = 503;
    }
    w.EndObject();
    return Status::Ok();
  }
  if (!Consume(&rest, "models/")) return NotFoundError(fmt::format("Malformed request: {} /v2/{}", method, rest));
  const std::string_view model = NextSegment(&rest, false);
  RETURN_IF_ERROR(CheckName(model, "model name"));
  VersionSelector selector;
  if (Consume(&rest, "/versions/")) {
    int64_t version = 0;
    RETURN_IF_ERROR(ParseVersion(NextSegment(&rest, false), &version));
    selector.version = version;
  }
  const std::string model_name(model);
  ctx->model.assign(model.data(), model.size());
  if (rest == "/ready") {
    if (method != "GET") return NotFoundError("Malformed request: /ready needs GET");
    const bool ready = service_->Resolve(model_name, selector).ok();
    if (!ready) RETURN_IF_ERROR(service_->manager().GetStatus(model_name, std::nullopt).status());  // 404 if unknown
    w.StartObject();
    w.Key("name");
    w.String(model_name.c_str(), static_cast<rapidjson::SizeType>(model_name.size()));
    w.Key("ready");
    w.Bool(ready);
    w.EndObject();
    if (!ready) response->status = 503;
    return Status::Ok();
  }
  if (rest.empty()) {
    ctx->api = "kserve_metadata";
    if (method != "GET") return NotFoundError("Malformed request: model metadata needs GET");
    ASSIGN_OR_RETURN(ServableHandle handle, service_->Resolve(model_name, selector));
    ASSIGN_OR_RETURN(std::vector<VersionStatus> statuses, service_->manager().GetStatus(model_name, std::nullopt));
    ctx->versions.clear();
    for (const VersionStatus& s : statuses) {
      if (s.state == VersionState::kAvailable) ctx->versions.push_back(s.version);
    }
    WriteKServeModelMetadata(handle, ctx->versions, &w);
    return Status::Ok();
  }
  if (rest != "/infer") return NotFoundError(fmt::format("Malformed request: unknown path '{}'", rest));
  ctx->api = "kserve_infer";
  if (method != "POST") return NotFoundError("Malformed request: /infer needs POST");
  ASSIGN_OR_RETURN(ServableHandle handle, service_->Resolve(model_name, selector));
  ctx->version = handle.version();
  ASSIGN_OR_RETURN(PoolDocument * doc, ctx->Parse(body));
  ctx->request.Clear();
  ctx->id.clear();
  RETURN_IF_ERROR(DecodeKServeInferRequest(*doc, *handle, &ctx->request, &ctx->id));
  RETURN_IF_ERROR(service_->Predict(handle, ctx->request, &ctx->response));
  WriteKServeInferResponse(ctx->response, ctx->id, &w);
  return Status::Ok();
}

}  // namespace reco::serving::rest
