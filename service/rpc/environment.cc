#include "service/rpc/environment.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "service/rpc/status_mapping.h"

namespace verkenner::service {

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
                const absl::Status& status, int64_t retry_after_seconds) {
  if (retry_after_seconds > 0) {
    context->AddTrailingMetadata("retry-after", std::to_string(retry_after_seconds));
  }
  reactor->Finish(ToGrpcStatus(status));
}

absl::Status InvalidField(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(reason)));
}

void SetTimestamp(int64_t micros, google::protobuf::Timestamp* out) {
  out->set_seconds(micros / 1'000'000);
  out->set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
}

}  // namespace verkenner::service
