#include "service/rpc/error_details.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"

namespace verkenner::service {
namespace {

template <typename Detail>
std::string TypeUrlOf() {
  return absl::StrCat("type.googleapis.com/", Detail::descriptor()->full_name());
}

template <typename Detail>
std::optional<Detail> DetailOf(const absl::Status& status) {
  const auto payload = status.GetPayload(TypeUrlOf<Detail>());
  Detail detail;
  if (!payload.has_value() || !detail.ParseFromString(std::string(*payload))) return std::nullopt;
  return detail;
}

template <typename Detail>
void Attach(const Detail& detail, absl::Status* status) {
  status->SetPayload(TypeUrlOf<Detail>(), absl::Cord(detail.SerializeAsString()));
}

template <typename Detail>
void AddDetail(const Detail& detail, google::rpc::Status* out) {
  out->add_details()->PackFrom(detail);
}

// Whether `text` is a field path as the API's messages name fields: lowercase proto names
// joined by dots, each perhaps indexed ("vacancy.days[2]", "header.import_id").
bool IsFieldPath(absl::string_view text) {
  bool name_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (name_start) {
      if (!absl::ascii_islower(c)) return false;
      name_start = false;
    } else if (c == '.') {
      name_start = true;
    } else if (c == '[') {
      const size_t close = text.find(']', i);
      if (close == absl::string_view::npos || close == i + 1) return false;
      for (size_t k = i + 1; k < close; ++k) {
        if (!absl::ascii_isdigit(text[k])) return false;
      }
      i = close;
      if (i + 1 < text.size() && text[i + 1] != '.') return false;
    } else if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') {
      return false;
    }
  }
  return !text.empty() && !name_start;
}

google::rpc::BadRequest OneViolation(std::string_view field, std::string_view description) {
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field(std::string(field));
  violation->set_description(std::string(description));
  return bad_request;
}

// The BadRequest of an INVALID_ARGUMENT: the attached one, else one parsed from a message of
// the shape "<field>: <description>"; nullopt when the message names no field.
std::optional<google::rpc::BadRequest> BadRequestOf(const absl::Status& status) {
  if (auto attached = DetailOf<google::rpc::BadRequest>(status)) return attached;
  const absl::string_view message = status.message();
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos || !IsFieldPath(message.substr(0, colon))) {
    return std::nullopt;
  }
  return OneViolation(std::string(message.substr(0, colon)),
                      std::string(message.substr(colon + 2)));
}

}  // namespace

absl::Status WithReason(
    absl::Status status, v1::ErrorReason reason,
    std::initializer_list<std::pair<std::string_view, std::string_view>> metadata) {
  if (status.ok()) return status;
  google::rpc::ErrorInfo info;
  info.set_domain(kErrorDomain);
  info.set_reason(v1::ErrorReason_Name(reason));
  for (const auto& [key, value] : metadata) {
    (*info.mutable_metadata())[std::string(key)] = std::string(value);
  }
  Attach(info, &status);
  return status;
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (status.ok() || delay <= absl::ZeroDuration()) return status;
  google::rpc::RetryInfo retry;
  const int64_t seconds = absl::ToInt64Seconds(delay);
  retry.mutable_retry_delay()->set_seconds(seconds);
  retry.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(delay - absl::Seconds(seconds))));
  Attach(retry, &status);
  return status;
}

absl::Status InvalidField(std::string_view field, std::string_view description) {
  absl::Status status =
      absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(description)));
  Attach(OneViolation(field, description), &status);
  return status;
}

v1::ErrorReason DefaultReasonOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return v1::ERROR_REASON_UNSPECIFIED;
    case absl::StatusCode::kCancelled:
      return v1::CANCELLED;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return v1::INVALID_ARGUMENT;
    case absl::StatusCode::kDeadlineExceeded:
      return v1::DEADLINE_EXCEEDED;
    case absl::StatusCode::kNotFound:
      return v1::NOT_FOUND;
    case absl::StatusCode::kAlreadyExists:
      return v1::ALREADY_EXISTS;
    case absl::StatusCode::kPermissionDenied:
      return v1::PERMISSION_DENIED;
    case absl::StatusCode::kResourceExhausted:
      return v1::RESOURCE_EXHAUSTED;
    case absl::StatusCode::kFailedPrecondition:
      return v1::FAILED_PRECONDITION;
    case absl::StatusCode::kAborted:
      return v1::ABORTED;
    case absl::StatusCode::kUnimplemented:
      return v1::UNIMPLEMENTED;
    case absl::StatusCode::kUnavailable:
      return v1::UNAVAILABLE;
    case absl::StatusCode::kUnauthenticated:
      return v1::UNAUTHENTICATED;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS
      return v1::INTERNAL;
  }
}

v1::ErrorReason ReasonOf(const absl::Status& status) {
  if (auto info = DetailOf<google::rpc::ErrorInfo>(status)) {
    v1::ErrorReason reason;
    if (v1::ErrorReason_Parse(info->reason(), &reason)) return reason;
  }
  return DefaultReasonOf(status.code());
}

absl::Duration RetryDelayOf(const absl::Status& status) {
  const auto retry = DetailOf<google::rpc::RetryInfo>(status);
  if (!retry.has_value()) return absl::ZeroDuration();
  return absl::Seconds(retry->retry_delay().seconds()) +
         absl::Nanoseconds(retry->retry_delay().nanos());
}

google::rpc::Status RpcStatusOf(const absl::Status& status) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(status.code()));
  out.set_message(std::string(status.message()));
  if (status.ok()) return out;
  google::rpc::ErrorInfo info;
  if (auto attached = DetailOf<google::rpc::ErrorInfo>(status)) {
    info = *attached;
  } else {
    info.set_domain(kErrorDomain);
    info.set_reason(v1::ErrorReason_Name(DefaultReasonOf(status.code())));
  }
  AddDetail(info, &out);
  if (info.reason() == v1::ErrorReason_Name(v1::INVALID_ARGUMENT)) {
    if (auto bad_request = BadRequestOf(status)) AddDetail(*bad_request, &out);
  }
  if (auto retry = DetailOf<google::rpc::RetryInfo>(status)) AddDetail(*retry, &out);
  return out;
}

google::rpc::Status RpcStatusOf(const grpc::Status& status) {
  google::rpc::Status out;
  if (!status.error_details().empty() && out.ParseFromString(status.error_details()) &&
      out.code() == static_cast<int>(status.error_code())) {
    return out;
  }
  // absl::StatusCode and grpc::StatusCode share their numbering (both follow google.rpc.Code).
  return RpcStatusOf(
      absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message()));
}

}  // namespace verkenner::service
