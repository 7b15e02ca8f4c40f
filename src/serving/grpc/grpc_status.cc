#include "serving/grpc/grpc_status.h"

namespace reco::serving::grpc_api {

::grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return ::grpc::Status::OK;
  return ::grpc::Status(static_cast<::grpc::StatusCode>(static_cast<int>(status.code())), status.message());
}

void ToStatusProto(const Status& status, tensorflow::serving::StatusProto* proto) {
  proto->set_error_code(static_cast<tensorflow::error::Code>(static_cast<int>(status.code())));
  if (!status.ok()) proto->set_error_message(status.message());
}

}  // namespace reco::serving::grpc_api
