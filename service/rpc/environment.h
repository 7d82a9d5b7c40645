#ifndef VERKENNER_SERVICE_RPC_ENVIRONMENT_H_
#define VERKENNER_SERVICE_RPC_ENVIRONMENT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/refdata/reference_data.h"
#include "service/auth/authenticator.h"
#include "service/auth/quota.h"
#include "service/rpc/error_details.h"
#include "service/store/store.h"
#include "verkenner/v1/sessions.pb.h"

namespace verkenner::service {

// What the services of one server share. Not owned; everything outlives the services.
struct ServiceEnvironment {
  Store* store = nullptr;
  Authenticator* authenticator = nullptr;
  QuotaLimiter* quotas = nullptr;
  std::shared_ptr<const engine::ReferenceData> reference_data;
  std::function<absl::Time()> now = [] { return absl::Now(); };
  // Proxies whose X-Forwarded-For names the client (verkenner-server --trusted_proxies).
  std::vector<std::string> trusted_proxies;
};

// The API's view of an account, with its quotas as they stand when `with_quotas`.
void FillAccount(const AccountRecord& account, const ServiceEnvironment& environment,
                 bool with_quotas, v1::Account* out);
void FillAccountReference(const AccountRecord& account, v1::AccountReference* out);

// The caller of `context` when it is authenticated and has one of `roles`; else finishes the
// call with the reason (Unauthenticated, PermissionDenied) and returns nullopt.
std::optional<Caller> AdmitCaller(const ServiceEnvironment& environment,
                                  grpc::CallbackServerContext* context,
                                  grpc::ServerUnaryReactor* reactor,
                                  std::initializer_list<v1::AccountRole> roles);

// Finishes `reactor` with `status` and its error details (ToGrpcStatus). A status with a retry
// delay (WithRetryDelay) also sends it as trailing metadata `retry-after`, in whole seconds.
void FinishWith(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                const absl::Status& status);

// InvalidArgument naming the first field of `request` (a path such as "vacancy.driving_licence",
// through nested and repeated messages) that holds a number its enum does not define; OK when
// there is none. proto3 enums are open, so parsing keeps any number a client sends: every
// handler whose request has enum fields calls this before its other checks, so an unknown
// value is never read as a default. The message names the field and the enum type, never the
// number.
absl::Status CheckEnumsKnown(const google::protobuf::Message& request);

// Timestamp of Unix microseconds, and back.
void SetTimestamp(int64_t micros, google::protobuf::Timestamp* out);
int64_t MicrosOf(const google::protobuf::Timestamp& time);

// Europe/Amsterdam, the users' time zone (due times, export dates); UTC when the system has no
// zone data.
const absl::TimeZone& AmsterdamTimeZone();

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_ENVIRONMENT_H_
