#include "service/rpc/status_mapping.h"

#include <string>

#include "service/rpc/error_details.h"

namespace verkenner::service {
namespace {

using grpc::experimental::InterceptionHookPoints;

class MalformedRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MalformedRequestInterceptor(bool unary) : unary_(unary) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // A unary call always has its one request message by the time the handler would run; no
    // message there means it did not parse.
    if (unary_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      malformed_ = true;
    }
    if (malformed_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      methods->ModifySendStatus(MalformedRequestStatus());
    }
    methods->Proceed();
  }

 private:
  const bool unary_;
  bool malformed_ = false;
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering (both follow google.rpc.Code).
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      RpcStatusOf(status).SerializeAsString());
}

grpc::Status MalformedRequestStatus() {
  return ToGrpcStatus(WithReason(
      absl::InvalidArgumentError("request: not a valid message of this method (malformed "
                                 "protobuf, or a string field that is not UTF-8)"),
      v1::MALFORMED_REQUEST));
}

grpc::experimental::Interceptor* MalformedRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MalformedRequestInterceptor(info->type() ==
                                         grpc::experimental::ServerRpcInfo::Type::UNARY);
}

}  // namespace verkenner::service
