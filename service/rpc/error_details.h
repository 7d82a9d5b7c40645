#ifndef VERKENNER_SERVICE_RPC_ERROR_DETAILS_H_
#define VERKENNER_SERVICE_RPC_ERROR_DETAILS_H_

#include <grpcpp/support/status.h>

#include <initializer_list>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/rpc/status.pb.h"
#include "verkenner/v1/error_reason.pb.h"

namespace verkenner::service {

// The error details a program acts on (AIP-193, proto/verkenner/v1/error_reason.proto), written
// once. Library code attaches them to an absl::Status where it knows the cause, as payloads
// under their google.rpc type URLs; RpcStatusOf turns a status into the google.rpc.Status that
// gRPC sends in its details trailer and the JSON API as its error body:
//
// - ErrorInfo, always: domain kErrorDomain, the reason attached with WithReason, else the one
//   its code has when that code has one cause (DefaultReasonOf).
// - BadRequest for INVALID_ARGUMENT: the one attached by InvalidField or, for the many checks
//   that build "<field>: <description>" messages themselves, parsed from that shape.
// - RetryInfo when WithRetryDelay attached one.
//
// Payloads never hold personal data: reasons are enum names, fields are paths, the metadata
// is what WithReason's callers pass (an address of a server, a quota's kind). Thread-safe.

inline constexpr char kErrorDomain[] = "verkenner.nl";

// `status` with ErrorInfo `reason` and `metadata`; `status` itself when it is OK.
absl::Status WithReason(
    absl::Status status, v1::ErrorReason reason,
    std::initializer_list<std::pair<std::string_view, std::string_view>> metadata = {});

// `status` with RetryInfo: waiting `delay` makes the call worth repeating.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// InvalidArgument "<field>: <description>" with BadRequest naming `field` (a path in the
// request, "vacancy.workplace.postcode"): every bad-input error of the API names its field.
absl::Status InvalidField(std::string_view field, std::string_view description);

// The reason `status` carries: the attached one, else DefaultReasonOf its code.
v1::ErrorReason ReasonOf(const absl::Status& status);

// The reason of an error whose cause its code alone tells (NOT_FOUND, UNAVAILABLE, ...); for a
// code with several causes, the catch-all of that code (FAILED_PRECONDITION, ...).
v1::ErrorReason DefaultReasonOf(absl::StatusCode code);

// How long `status` says to wait before retrying (RetryInfo); zero when it says nothing.
absl::Duration RetryDelayOf(const absl::Status& status);

// What `status` is sent as: code, message and details as described above.
google::rpc::Status RpcStatusOf(const absl::Status& status);

// What a gRPC status received from a call is as google.rpc.Status: its details when it has them,
// else built from its code and message as RpcStatusOf does.
google::rpc::Status RpcStatusOf(const grpc::Status& status);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_ERROR_DETAILS_H_
