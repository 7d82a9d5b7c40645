#ifndef VERKENNER_SERVICE_RPC_STATUS_MAPPING_H_
#define VERKENNER_SERVICE_RPC_STATUS_MAPPING_H_

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace verkenner::service {

// The one place where library errors become gRPC errors: codes map one to one, the error
// details go along as google.rpc.Status (RpcStatusOf, service/rpc/error_details.h), the message is
// passed through (library messages never hold personal data, and those of the storage layers
// never a file path: SqliteStatus, engine::StatusFromXapianError). A full disk is UNAVAILABLE
// (base::DiskFullError), never RESOURCE_EXHAUSTED, which is reserved for the caller's quotas.
grpc::Status ToGrpcStatus(const absl::Status& status);

// What a unary call whose request message could not be parsed is answered: INVALID_ARGUMENT
// naming the request, never the bytes.
grpc::Status MalformedRequestStatus();

// Answers a unary call whose request bytes are not a valid message of the method (malformed
// protobuf, or a string field that is not UTF-8, which protobuf refuses to parse) with
// MalformedRequestStatus() instead of gRPC's own UNIMPLEMENTED with an empty message.
//
// Why an interceptor: in gRPC 1.51's callback API a request that fails to deserialize never
// reaches the handler; the library finishes the call itself with UNIMPLEMENTED "" (a reactor it
// makes in place of the handler's). The server's interceptors still see the call: their
// POST_RECV_MESSAGE hook gets no message, and their PRE_SEND_STATUS hook may change the status.
// So this works for every unary method of every service without touching the handlers. Client
// streams are not covered: there a message that does not parse ends the reads exactly as the
// client's half-close does, and the stream's reactor decides (an import that ends without its
// closing message fails).
//
// Register it before the metrics and access-log interceptors, so that they count and log the
// corrected status. Thread-safe; one small object per call.
class MalformedRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_STATUS_MAPPING_H_
