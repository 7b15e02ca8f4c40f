#include "serving/http_status.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace reco::serving {
namespace {
constexpr std::string_view kTooLargePrefix = "Request body too large: ";
}  // namespace

Status PayloadTooLargeError(std::string message) {
  return ResourceExhaustedError(std::string(kTooLargePrefix) + message);
}

int HttpStatusCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange: return 400;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted: return 409;
    case StatusCode::kResourceExhausted:
      return std::string_view(status.message()).substr(0, kTooLargePrefix.size()) == kTooLargePrefix ? 413 : 429;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kUnknown:
    case StatusCode::kInternal:
    case StatusCode::kDataLoss: return 500;
  }
  return 500;
}

std::string ErrorJson(std::string_view message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("error");
  writer.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace reco::serving
