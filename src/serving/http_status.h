// The one place where a Status becomes an HTTP status code (TF Serving's REST mapping), plus the JSON error body
// every REST error uses: {"error": "<message>"}.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::serving {

// 400 invalid argument / failed precondition / out of range, 401, 403, 404, 409 already exists / aborted,
// 413 (see PayloadTooLargeError), 429 resource exhausted, 499 cancelled, 500 internal / unknown / data loss,
// 501 unimplemented, 503 unavailable, 504 deadline exceeded.
int HttpStatusCode(const Status& status);

// A request body over --max_request_bytes: RESOURCE_EXHAUSTED with a marker the mapping turns into 413
// rather than 429 (overload), so gRPC still sees RESOURCE_EXHAUSTED as TF Serving's does.
Status PayloadTooLargeError(std::string message);

// `s` with every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view s);
// {"error": "<escaped message>"}, the message made valid UTF-8 first.
std::string ErrorJson(std::string_view message);

}  // namespace reco::serving
