#ifndef VERKENNER_SERVICE_RPC_STATUS_MAPPING_H_
#define VERKENNER_SERVICE_RPC_STATUS_MAPPING_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace verkenner::service {

// The one place where library errors become gRPC errors: codes map one to one, the message is
// passed through (library messages never hold personal data, and those of the storage layers
// never a file path: SqliteStatus, engine::StatusFromXapianError). A full disk is UNAVAILABLE
// (engine::DiskFullError), never RESOURCE_EXHAUSTED, which is reserved for the caller's quotas.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_STATUS_MAPPING_H_
