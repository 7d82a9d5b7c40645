#include "service/rpc/identity_service.h"

#include "absl/strings/str_cat.h"
#include "service/rpc/contact_request_service.h"
#include "service/rpc/error_details.h"
#include "service/rpc/request_validation.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {

constexpr size_t kMinPurposeCharacters = 10;
constexpr size_t kMaxPurposeCharacters = 500;

}  // namespace

IdentityService::IdentityService(const ServiceEnvironment* environment, std::string vault_path)
    : environment_(*environment), vault_path_(std::move(vault_path)) {}

absl::StatusOr<std::optional<indexer::VaultEntry>> IdentityService::Lookup(
    const std::string& profile_id) {
  std::lock_guard<std::mutex> lock(vault_mutex_);
  if (vault_path_.empty()) {
    return WithReason(absl::FailedPreconditionError("this server has no identity vault configured"),
                      v1::NOT_CONFIGURED);
  }
  // A vault on PostgreSQL loses its connection when the server restarts or fails over; the
  // look-up then runs once more on a new one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (vault_ != nullptr && vault_->broken()) vault_.reset();
    if (vault_ == nullptr) {
      absl::StatusOr<std::unique_ptr<indexer::IdentityVault>> opened =
          indexer::IdentityVault::OpenReadOnly(vault_path_);
      if (!opened.ok()) return absl::UnavailableError("the identity vault cannot be opened now");
      vault_ = std::move(*opened);
    }
    absl::StatusOr<std::optional<indexer::VaultEntry>> entry = vault_->Lookup(profile_id);
    if (entry.ok() || !vault_->broken()) return entry;
  }
  return absl::UnavailableError("the identity vault cannot be read now");
}

absl::Status IdentityService::CheckHolder(const Caller& caller,
                                          const v1::ResolveIdentityRequest& request,
                                          std::string& profile_id) {
  const std::string id = ContactRequestIdOfName(request.contact_request());
  if (id.empty()) return InvalidField("contact_request", "expected contactRequests/<id>");
  // Characters, not bytes: the purpose is Dutch text ("één", "geïnteresseerd").
  if (!HasCharacters(request.purpose(), kMinPurposeCharacters, kMaxPurposeCharacters)) {
    return InvalidField("purpose", "say in 10 to 500 characters why you need to reach the person");
  }
  return environment_.store->Read([&](sql::Connection& db) -> absl::Status {
    absl::StatusOr<std::optional<StoredContactRequest>> stored = LoadContactRequest(db, id);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value() ||
        (*stored)->request.labour_market_region_code() != caller.account.region_code) {
      return absl::NotFoundError("no such contact request");
    }
    profile_id = (*stored)->request.profile_id();
    if ((*stored)->assigned_to != caller.account.id) {
      return WithReason(absl::FailedPreconditionError("claim the contact request first"),
                        v1::REQUEST_NOT_CLAIMED);
    }
    if ((*stored)->request.status() == v1::CONTACT_REQUEST_STATUS_WITHDRAWN) {
      return WithReason(
          absl::FailedPreconditionError("the employer has withdrawn this contact request"),
          v1::REQUEST_WITHDRAWN);
    }
    return absl::OkStatus();
  });
}

absl::Status IdentityService::FillIdentity(const std::string& profile_id,
                                           v1::ResolveIdentityResponse* response) {
  absl::StatusOr<std::optional<indexer::VaultEntry>> entry = Lookup(profile_id);
  if (!entry.ok()) return entry.status();
  if (!entry->has_value()) {
    return WithReason(absl::FailedPreconditionError("the source has withdrawn this profile; the "
                                                    "identity vault no longer holds the link"),
                      v1::PROFILE_WITHDRAWN);
  }
  response->set_source((*entry)->source);
  response->set_client_number((*entry)->client_number);
  if ((*entry)->source == "UWV") {
    response->set_source_name("UWV");
  } else if (const engine::Municipality* municipality =
                 environment_.reference_data->FindMunicipality((*entry)->source)) {
    response->set_source_name("Gemeente " + municipality->name);
  }
  return absl::OkStatus();
}

void IdentityService::AuditAndFinish(UnaryCall call, const AuditEntry& audit,
                                     const absl::Status& outcome,
                                     v1::ResolveIdentityResponse* response) {
  auto audit_id = std::make_shared<int64_t>(0);
  environment_.store->Write(
      [audit, audit_id](sql::Connection& db) {
        absl::StatusOr<int64_t> appended = AppendAudit(db, audit);
        if (!appended.ok()) return appended.status();
        *audit_id = *appended;
        return absl::OkStatus();
      },
      [call, response, outcome, audit_id](absl::Status audited) {
        if (!audited.ok()) {
          // Nothing leaves without its audit row.
          response->Clear();
          call.Finish(absl::UnavailableError("cannot resolve identities now"));
          return;
        }
        if (!outcome.ok()) response->Clear();
        if (outcome.ok()) response->set_audit_id(absl::StrCat("audit/", *audit_id));
        call.Finish(outcome);
      });
}

grpc::ServerUnaryReactor* IdentityService::ResolveIdentity(
    grpc::CallbackServerContext* context, const v1::ResolveIdentityRequest* request,
    v1::ResolveIdentityResponse* response) {
  return AnswerCaller(environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
                      [&](UnaryCall call, const Caller& caller) -> Answer {
                        // Decide the outcome; every path ends in one audit row, refusals included.
                        std::string profile_id;
                        absl::Status outcome = CheckHolder(caller, *request, profile_id);
                        if (outcome.ok()) outcome = FillIdentity(profile_id, response);
                        const AuditEntry audit{
                            absl::ToUnixMicros(environment_.now()),
                            caller.account.id,
                            "resolve_identity",
                            profile_id,
                            request->contact_request().substr(0, 100),
                            request->purpose().substr(0, kMaxPurposeCharacters * 4),
                            outcome.ok() ? "ok" : absl::StatusCodeToString(outcome.code())};
                        AuditAndFinish(call, audit, outcome, response);
                        return Answer::Later();
                      });
}

}  // namespace verkenner::service
