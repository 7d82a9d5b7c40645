#ifndef VERKENNER_TESTS_INTEGRATION_ERROR_DETAILS_H_
#define VERKENNER_TESTS_INTEGRATION_ERROR_DETAILS_H_

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace verkenner::testing {

// What a client reads from an error, decoded as a client of the API would, without the server's
// code: the google.rpc.Status of gRPC's details trailer or of the HTTP JSON API's error body.

// The details of a gRPC status; code -1 when it has none or they do not parse.
inline google::rpc::Status DetailsOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    details.set_code(-1);
  }
  return details;
}

// The google.rpc.Status of an HTTP error body; code -1 when the body is not one.
inline google::rpc::Status ErrorBodyOf(const std::string& body) {
  google::rpc::Status status;
  if (!google::protobuf::util::JsonStringToMessage(body, &status).ok()) status.set_code(-1);
  return status;
}

// The ErrorInfo of `status`; empty without one.
inline google::rpc::ErrorInfo ErrorInfoOf(const google::rpc::Status& status) {
  google::rpc::ErrorInfo info;
  for (const google::protobuf::Any& detail : status.details()) {
    if (detail.UnpackTo(&info)) return info;
  }
  return google::rpc::ErrorInfo();
}

// ErrorInfo's reason, "" without one.
inline std::string ReasonOf(const google::rpc::Status& status) {
  return ErrorInfoOf(status).reason();
}

// "<code> <reason>", e.g. "FAILED_PRECONDITION REQUEST_NOT_CLAIMED": what a program acts on, in
// one comparison. "OK" for OK.
inline std::string CodeAndReason(const grpc::Status& status) {
  const std::string code =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  if (status.ok()) return code;
  const std::string reason = ReasonOf(DetailsOf(status));
  return code + " " + (reason.empty() ? "(no reason)" : reason);
}

// BadRequest's field violations as "<field>: <description>".
inline std::vector<std::string> FieldViolationsOf(const google::rpc::Status& status) {
  std::vector<std::string> violations;
  for (const google::protobuf::Any& detail : status.details()) {
    google::rpc::BadRequest bad_request;
    if (!detail.UnpackTo(&bad_request)) continue;
    for (const auto& violation : bad_request.field_violations()) {
      violations.push_back(violation.field() + ": " + violation.description());
    }
  }
  return violations;
}

// RetryInfo's delay in whole seconds, rounded up; -1 without one.
inline int64_t RetryDelaySecondsOf(const google::rpc::Status& status) {
  for (const google::protobuf::Any& detail : status.details()) {
    google::rpc::RetryInfo retry;
    if (detail.UnpackTo(&retry)) {
      return retry.retry_delay().seconds() + (retry.retry_delay().nanos() > 0 ? 1 : 0);
    }
  }
  return -1;
}

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_INTEGRATION_ERROR_DETAILS_H_
