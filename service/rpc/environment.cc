#include "service/rpc/environment.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/rpc/status_mapping.h"

namespace verkenner::service {
namespace {

using google::protobuf::FieldDescriptor;

absl::Status UnknownEnum(const std::string& path, const FieldDescriptor& field) {
  return InvalidField(path, absl::StrCat("not a known ", field.enum_type()->name(), " value"));
}

absl::Status CheckEnumsKnownAt(const google::protobuf::Message& message,
                               const std::string& prefix) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);  // the fields that are set, by number
  for (const FieldDescriptor* field : fields) {
    const std::string path =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      const int count = field->is_repeated() ? reflection.FieldSize(message, field) : 1;
      for (int i = 0; i < count; ++i) {
        const int number = field->is_repeated() ? reflection.GetRepeatedEnumValue(message, field, i)
                                                : reflection.GetEnumValue(message, field);
        if (field->enum_type()->FindValueByNumber(number) == nullptr) {
          return UnknownEnum(path, *field);
        }
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const int count = field->is_repeated() ? reflection.FieldSize(message, field) : 1;
      for (int i = 0; i < count; ++i) {
        const google::protobuf::Message& nested =
            field->is_repeated() ? reflection.GetRepeatedMessage(message, field, i)
                                 : reflection.GetMessage(message, field);
        if (absl::Status status = CheckEnumsKnownAt(nested, path); !status.ok()) return status;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckEnumsKnown(const google::protobuf::Message& request) {
  return CheckEnumsKnownAt(request, "");
}

void FillAccount(const AccountRecord& account, const ServiceEnvironment& environment,
                 bool with_quotas, v1::Account* out) {
  out->set_name(account.resource_name());
  out->set_display_name(account.display_name);
  out->set_email(account.email);
  out->set_role(account.role);
  out->set_organisation_name(account.organisation);
  out->set_labour_market_region_code(account.region_code);
  if (const engine::LabourMarketRegion* region =
          environment.reference_data->FindRegion(account.region_code)) {
    out->set_labour_market_region_name(region->name);
  }
  out->set_source(account.source);
  const bool searches = account.role == v1::ACCOUNT_ROLE_EMPLOYER ||
                        account.role == v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  if (with_quotas && searches) {
    const absl::Time now = environment.now();
    *out->mutable_profile_views() =
        environment.quotas->Peek(account, QuotaLimiter::Kind::kProfileView, now);
    *out->mutable_searches() = environment.quotas->Peek(account, QuotaLimiter::Kind::kSearch, now);
  }
}

void FillAccountReference(const AccountRecord& account, v1::AccountReference* out) {
  out->set_name(account.resource_name());
  out->set_display_name(account.display_name);
  out->set_role(account.role);
}

std::optional<Caller> AdmitCaller(const ServiceEnvironment& environment,
                                  grpc::CallbackServerContext* context,
                                  grpc::ServerUnaryReactor* reactor,
                                  std::initializer_list<v1::AccountRole> roles) {
  absl::StatusOr<Caller> caller = environment.authenticator->Authenticate(*context);
  absl::Status admitted = caller.status();
  if (admitted.ok()) admitted = RequireRole(*caller, roles);
  if (!admitted.ok()) {
    FinishWith(context, reactor, admitted);
    return std::nullopt;
  }
  return std::move(*caller);
}

void FinishWith(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                const absl::Status& status) {
  const absl::Duration retry_delay = RetryDelayOf(status);
  if (retry_delay > absl::ZeroDuration()) {
    context->AddTrailingMetadata(
        "retry-after",
        std::to_string(absl::ToInt64Seconds(absl::Ceil(retry_delay, absl::Seconds(1)))));
  }
  reactor->Finish(ToGrpcStatus(status));
}

void SetTimestamp(int64_t micros, google::protobuf::Timestamp* out) {
  out->set_seconds(micros / 1'000'000);
  out->set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
}

int64_t MicrosOf(const google::protobuf::Timestamp& time) {
  return time.seconds() * 1'000'000 + time.nanos() / 1000;
}

const absl::TimeZone& AmsterdamTimeZone() {
  static const absl::TimeZone amsterdam = [] {
    absl::TimeZone zone;
    if (!absl::LoadTimeZone("Europe/Amsterdam", &zone)) zone = absl::UTCTimeZone();
    return zone;
  }();
  return amsterdam;
}

}  // namespace verkenner::service
