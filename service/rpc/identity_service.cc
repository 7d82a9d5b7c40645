#include "service/rpc/identity_service.h"

#include "absl/strings/str_cat.h"
#include "service/rpc/contact_request_service.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {

constexpr size_t kMinPurposeCharacters = 10;
constexpr size_t kMaxPurposeCharacters = 500;

// Characters, not bytes: the purpose is Dutch text ("één", "geïnteresseerd").
size_t Utf8Length(const std::string& text) {
  size_t characters = 0;
  for (unsigned char byte : text) {
    if ((byte & 0xC0) != 0x80) ++characters;
  }
  return characters;
}

}  // namespace

IdentityService::IdentityService(const ServiceEnvironment* environment, std::string vault_path)
    : environment_(*environment), vault_path_(std::move(vault_path)) {}

absl::StatusOr<std::optional<indexer::VaultEntry>> IdentityService::Lookup(
    const std::string& profile_id) {
  std::lock_guard<std::mutex> lock(vault_mutex_);
  if (vault_ == nullptr) {
    if (vault_path_.empty()) {
      return absl::FailedPreconditionError("this server has no identity vault configured");
    }
    absl::StatusOr<std::unique_ptr<indexer::IdentityVault>> opened =
        indexer::IdentityVault::OpenReadOnly(vault_path_);
    if (!opened.ok()) return absl::UnavailableError("the identity vault cannot be opened now");
    vault_ = std::move(*opened);
  }
  return vault_->Lookup(profile_id);
}

grpc::ServerUnaryReactor* IdentityService::ResolveIdentity(
    grpc::CallbackServerContext* context, const v1::ResolveIdentityRequest* request,
    v1::ResolveIdentityResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER});
  if (!caller.has_value()) return reactor;

  // Decide the outcome; every path below ends in one audit row.
  absl::Status outcome;
  std::string profile_id;
  const std::string id = ContactRequestIdOfName(request->contact_request());
  const size_t purpose_length = Utf8Length(request->purpose());
  if (id.empty()) {
    outcome = absl::InvalidArgumentError("contact_request: expected contactRequests/<id>");
  } else if (purpose_length < kMinPurposeCharacters || purpose_length > kMaxPurposeCharacters) {
    outcome = absl::InvalidArgumentError(
        "purpose: say in 10 to 500 characters why you need to reach the person");
  } else {
    outcome = environment_.store->Read([&](sqlite::SqliteConnection& db) -> absl::Status {
      absl::StatusOr<std::optional<StoredContactRequest>> stored = LoadContactRequest(db, id);
      if (!stored.ok()) return stored.status();
      if (!stored->has_value() ||
          (*stored)->request.labour_market_region_code() != caller->account.region_code) {
        return absl::NotFoundError("no such contact request");
      }
      profile_id = (*stored)->request.profile_id();
      if ((*stored)->assigned_to != caller->account.id) {
        return absl::FailedPreconditionError("claim the contact request first");
      }
      if ((*stored)->request.status() == v1::CONTACT_REQUEST_STATUS_WITHDRAWN) {
        return absl::FailedPreconditionError("the employer has withdrawn this contact request");
      }
      return absl::OkStatus();
    });
  }
  if (outcome.ok()) {
    absl::StatusOr<std::optional<indexer::VaultEntry>> entry = Lookup(profile_id);
    if (!entry.ok()) {
      outcome = entry.status();
    } else if (!entry->has_value()) {
      outcome = absl::FailedPreconditionError(
          "the source has withdrawn this profile; the identity vault no longer holds the link");
    } else {
      response->set_source((*entry)->source);
      response->set_client_number((*entry)->client_number);
      if ((*entry)->source == "UWV") {
        response->set_source_name("UWV");
      } else if (const engine::Municipality* municipality =
                     environment_.reference_data->FindMunicipality((*entry)->source)) {
        response->set_source_name("Gemeente " + municipality->name);
      }
    }
  }

  AuditEntry audit{absl::ToUnixMicros(environment_.now()),
                   caller->account.id,
                   "resolve_identity",
                   profile_id,
                   request->contact_request().substr(0, 100),
                   request->purpose().substr(0, kMaxPurposeCharacters * 4),
                   outcome.ok() ? "ok" : absl::StatusCodeToString(outcome.code())};
  auto audit_id = std::make_shared<int64_t>(0);
  environment_.store->Write(
      [audit, audit_id](sqlite::SqliteConnection& db) {
        absl::StatusOr<int64_t> appended = AppendAudit(db, audit);
        if (!appended.ok()) return appended.status();
        *audit_id = *appended;
        return absl::OkStatus();
      },
      [context, reactor, response, outcome, audit_id](absl::Status audited) {
        if (!audited.ok()) {
          // Nothing leaves without its audit row.
          response->Clear();
          FinishWith(context, reactor, absl::UnavailableError("cannot resolve identities now"));
          return;
        }
        if (!outcome.ok()) response->Clear();
        if (outcome.ok()) response->set_audit_id(absl::StrCat("audit/", *audit_id));
        FinishWith(context, reactor, outcome);
      });
  return reactor;
}

}  // namespace verkenner::service
