// The one place where a reco Status becomes a gRPC status. reco's StatusCode uses gRPC's numbering, so codes map
// one to one (RESOURCE_EXHAUSTED stays RESOURCE_EXHAUSTED for both "overloaded" and "request too large", as in
// TF Serving); the message is passed through.
// Thread-safety: pure functions.
#pragma once

#include <grpcpp/support/status.h>

#include "core/status.h"
#include "tensorflow_serving/util/status.pb.h"

namespace reco::serving::grpc_api {

::grpc::Status ToGrpcStatus(const Status& status);
// TF Serving's StatusProto (error_code + error_message) for the status and reload APIs.
void ToStatusProto(const Status& status, tensorflow::serving::StatusProto* proto);

}  // namespace reco::serving::grpc_api
