#include "service/rpc/candidate_rights_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "indexer/profile_anonymizer.h"
#include "indexer/profile_validator.h"
#include "service/rpc/access_report.h"
#include "service/rpc/error_details.h"
#include "service/rpc/request_validation.h"
#include "service/store/accounts.h"

namespace verkenner::service {
namespace {

constexpr size_t kMinReasonCharacters = 10;
constexpr size_t kMaxReasonCharacters = 500;
// The one answer for a candidate without a current profile and for one the caller does not act
// for, so that a WSP cannot tell another region's candidates from no candidate.
constexpr char kNoSuchCandidate[] = "candidate: no current profile of a candidate you act for";

// The visibility of the profile of `match` as the store holds it now.
absl::Status ReadVisibility(sql::Connection& db, const engine::CandidateMatch& match,
                            v1::CandidateVisibility& out) {
  out.Clear();
  out.set_profile_id(match.profile_id);
  out.set_hidden_by_import(match.record.hidden_at_source);
  absl::StatusOr<std::optional<HiddenProfileRecord>> hidden =
      FindHiddenProfile(db, match.profile_id);
  if (!hidden.ok()) return hidden.status();
  if (hidden->has_value()) {
    out.set_hidden_by_organisation(true);
    out.set_reason((*hidden)->reason);
    SetTimestamp((*hidden)->time_micros, out.mutable_hide_time());
    absl::StatusOr<std::optional<AccountRecord>> account = FindAccount(db, (*hidden)->account_id);
    if (!account.ok()) return account.status();
    if (account->has_value()) FillAccountReference(**account, out.mutable_hidden_by());
  }
  out.set_visible(!out.hidden_by_import() && !out.hidden_by_organisation());
  return absl::OkStatus();
}

}  // namespace

CandidateRightsService::CandidateRightsService(const ServiceEnvironment* environment,
                                               Options options)
    : environment_(*environment), options_(std::move(options)) {}

AuditEntry CandidateRightsService::AuditOf(const Caller& caller, std::string action,
                                           std::string reason) const {
  AuditEntry audit;
  audit.time_micros = absl::ToUnixMicros(environment_.now());
  audit.account_id = caller.account.id;
  audit.action = std::move(action);
  audit.purpose = reason.substr(0, kMaxReasonCharacters * 4);
  audit.outcome = "ok";
  return audit;
}

absl::StatusOr<std::string> CandidateRightsService::ProfileIdOf(const Caller& caller,
                                                                const v1::CandidateKey& candidate) {
  if (options_.pseudonymizer == nullptr) {
    return WithReason(absl::FailedPreconditionError("this server has no pseudonym key, so it "
                                                    "cannot find candidates by client number"),
                      v1::NOT_CONFIGURED);
  }
  std::string source = candidate.source();
  std::string client_number = candidate.client_number();
  indexer::NormalizeProfileKey(source, client_number);  // as an import reads it
  std::vector<indexer::FieldError> errors =
      indexer::CheckProfileKey(source, client_number, *environment_.reference_data);
  if (!errors.empty()) return InvalidField("candidate." + errors[0].field, errors[0].reason);
  if (caller.account.role == v1::ACCOUNT_ROLE_IMPORTER && source != caller.account.source) {
    return WithReason(absl::PermissionDeniedError(
                          "candidate.source: you act only for the clients of your own source"),
                      v1::OTHER_SOURCE);
  }
  return options_.pseudonymizer->ProfileId(source, client_number);
}

absl::StatusOr<std::string> CandidateRightsService::ProfileIdWithText(
    const Caller& caller, const v1::CandidateKey& candidate, std::string_view field,
    const std::string& text) {
  absl::StatusOr<std::string> profile_id = ProfileIdOf(caller, candidate);
  if (!profile_id.ok()) return profile_id;
  if (absl::Status valid = CheckCharacters(field, text, kMinReasonCharacters, kMaxReasonCharacters);
      !valid.ok()) {
    return valid;
  }
  return profile_id;
}

absl::StatusOr<engine::CandidateMatch> CandidateRightsService::FindFor(
    engine::Searcher& searcher, const Caller& caller, const std::string& profile_id) {
  absl::StatusOr<engine::CandidateMatch> match =
      searcher.GetProfile(profile_id, options_.today(), engine::Searcher::Visibility::kHiddenToo);
  if (absl::IsNotFound(match.status())) return absl::NotFoundError(kNoSuchCandidate);
  if (!match.ok()) return match.status();
  if (caller.account.role == v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER &&
      match->record.region_code != caller.account.region_code) {
    return absl::NotFoundError(kNoSuchCandidate);
  }
  return match;
}

void CandidateRightsService::RefuseAndFinish(UnaryCall call, AuditEntry audit,
                                             const absl::Status& outcome) {
  audit.outcome = absl::StatusCodeToString(outcome.code());
  environment_.store->Write(
      [audit](sql::Connection& db) { return AppendAudit(db, audit).status(); },
      [call, outcome](absl::Status audited) {
        // Nothing leaves without its audit row.
        call.Finish(audited.ok() ? outcome : absl::UnavailableError("cannot answer now"));
      });
}

void CandidateRightsService::WriteAndFinish(UnaryCall call, AuditEntry audit,
                                            std::function<absl::Status(sql::Connection&)> change,
                                            const engine::CandidateMatch& match,
                                            v1::CandidateVisibility* out) {
  auto visibility = std::make_shared<v1::CandidateVisibility>();
  environment_.store->Write(
      [audit, change = std::move(change), match, visibility](sql::Connection& db) {
        if (change != nullptr) {
          if (absl::Status changed = change(db); !changed.ok()) return changed;
        }
        if (absl::StatusOr<int64_t> appended = AppendAudit(db, audit); !appended.ok()) {
          return appended.status();
        }
        return ReadVisibility(db, match, *visibility);
      },
      [call, out, visibility](absl::Status status) {
        if (status.ok()) *out = std::move(*visibility);
        call.Finish(status);
      });
}

grpc::ServerUnaryReactor* CandidateRightsService::GetCandidateVisibility(
    grpc::CallbackServerContext* context, const v1::GetCandidateVisibilityRequest* request,
    v1::GetCandidateVisibilityResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_IMPORTER, v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        AuditEntry audit = AuditOf(caller, "get_candidate_visibility", "");
        absl::StatusOr<std::string> profile_id = ProfileIdOf(caller, request->candidate());
        if (!profile_id.ok()) {
          RefuseAndFinish(call, std::move(audit), profile_id.status());
          return Answer::Later();
        }
        audit.profile_id = *profile_id;
        options_.pool->Submit([this, call, caller, audit, response](engine::Searcher& searcher) {
          absl::StatusOr<engine::CandidateMatch> match =
              FindFor(searcher, caller, audit.profile_id);
          if (!match.ok()) {
            RefuseAndFinish(call, audit, match.status());
            return;
          }
          WriteAndFinish(call, audit, nullptr, *match, response->mutable_visibility());
        });
        return Answer::Later();
      });
}

grpc::ServerUnaryReactor* CandidateRightsService::SetCandidateVisibility(
    grpc::CallbackServerContext* context, const v1::SetCandidateVisibilityRequest* request,
    v1::SetCandidateVisibilityResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_IMPORTER, v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        const bool visible = request->visible();
        AuditEntry audit =
            AuditOf(caller, visible ? "show_profile" : "hide_profile", request->reason());
        absl::StatusOr<std::string> profile_id =
            ProfileIdWithText(caller, request->candidate(), "reason", request->reason());
        if (!profile_id.ok()) {
          RefuseAndFinish(call, std::move(audit), profile_id.status());
          return Answer::Later();
        }
        audit.profile_id = *profile_id;
        options_.pool->Submit(
            [this, call, caller, audit, visible, request, response](engine::Searcher& searcher) {
              absl::StatusOr<engine::CandidateMatch> match =
                  FindFor(searcher, caller, audit.profile_id);
              if (!match.ok()) {
                RefuseAndFinish(call, audit, match.status());
                return;
              }
              const HiddenProfileRecord hiding{audit.profile_id, caller.account.id,
                                               request->reason(), audit.time_micros};
              auto change = [hiding, visible](sql::Connection& db) {
                return visible ? UnhideProfile(db, hiding.profile_id) : HideProfile(db, hiding);
              };
              WriteAndFinish(call, audit, change, *match, response->mutable_visibility());
            });
        return Answer::Later();
      });
}

grpc::ServerUnaryReactor* CandidateRightsService::ConfirmAvailability(
    grpc::CallbackServerContext* context, const v1::ConfirmAvailabilityRequest* request,
    v1::ConfirmAvailabilityResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        AuditEntry audit = AuditOf(caller, "confirm_availability", "");
        if (absl::Status valid = CheckProfileId(request->profile_id()); !valid.ok()) {
          RefuseAndFinish(call, std::move(audit), valid);
          return Answer::Later();
        }
        audit.profile_id = request->profile_id();
        options_.pool->Submit([this, call, caller, audit, response](engine::Searcher& searcher) {
          absl::StatusOr<engine::CandidateMatch> match =
              FindFor(searcher, caller, audit.profile_id);
          if (!match.ok()) {
            RefuseAndFinish(call, audit, match.status());
            return;
          }
          const int64_t today = options_.today();
          environment_.store->Write(
              [audit, today](sql::Connection& db) {
                absl::Status recorded = RecordAvailabilityConfirmation(
                    db, audit.profile_id, audit.account_id, today, audit.time_micros);
                if (!recorded.ok()) return recorded;
                return AppendAudit(db, audit).status();
              },
              [this, call, audit, today, response](absl::Status status) {
                if (status.ok()) {
                  indexer::SetDateOfDay(today, /*with_day=*/true,
                                        *response->mutable_availability_confirmed_on());
                }
                call.Finish(status);
              });
        });
        return Answer::Later();
      });
}

void CandidateRightsService::AnswerAccessReport(UnaryCall call, const Caller& caller,
                                                const v1::CandidateKey& candidate,
                                                const std::string& purpose, const char* action,
                                                ReportFill fill) {
  AuditEntry audit = AuditOf(caller, action, purpose);
  absl::StatusOr<std::string> profile_id = ProfileIdWithText(caller, candidate, "purpose", purpose);
  if (!profile_id.ok()) {
    RefuseAndFinish(call, std::move(audit), profile_id.status());
    return;
  }
  audit.profile_id = *profile_id;
  options_.pool->Submit([this, call, caller, audit,
                         fill = std::move(fill)](engine::Searcher& searcher) mutable {
    // A WSP acts for the candidates of its region, which only a current profile tells; an
    // importer for its own clients, whose history outlives a withdrawal.
    if (caller.account.role == v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER) {
      absl::StatusOr<engine::CandidateMatch> match = FindFor(searcher, caller, audit.profile_id);
      if (!match.ok()) {
        RefuseAndFinish(call, audit, match.status());
        return;
      }
    }
    auto entries = std::make_shared<std::vector<v1::AccessReportEntry>>();
    environment_.store->Write(
        [audit, entries,
         reference_data = environment_.reference_data](sql::Connection& db) -> absl::Status {
          // Read before this request's own row is added: it shows in the next report.
          absl::StatusOr<std::vector<v1::AccessReportEntry>> report =
              AccessReportOf(db, audit.profile_id, *reference_data);
          if (!report.ok()) return report.status();
          *entries = *std::move(report);
          return AppendAudit(db, audit).status();
        },
        [call, audit, entries, fill = std::move(fill)](absl::Status status) {
          if (status.ok()) fill(audit.profile_id, std::move(*entries));
          call.Finish(status);
        });
  });
}

grpc::ServerUnaryReactor* CandidateRightsService::GetAccessReport(
    grpc::CallbackServerContext* context, const v1::GetAccessReportRequest* request,
    v1::GetAccessReportResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_IMPORTER, v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        AnswerAccessReport(
            call, caller, request->candidate(), request->purpose(), "access_report",
            [response](const std::string& profile_id, std::vector<v1::AccessReportEntry> entries) {
              response->set_profile_id(profile_id);
              for (v1::AccessReportEntry& entry : entries) {
                *response->add_entries() = std::move(entry);
              }
            });
        return Answer::Later();
      });
}

grpc::ServerUnaryReactor* CandidateRightsService::ExportAccessReport(
    grpc::CallbackServerContext* context, const v1::ExportAccessReportRequest* request,
    v1::ExportAccessReportResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_IMPORTER, v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        const std::string date =
            absl::FormatTime("%Y-%m-%d", environment_.now(), AmsterdamTimeZone());
        AnswerAccessReport(call, caller, request->candidate(), request->purpose(),
                           "export_access_report",
                           [response, date](const std::string& profile_id,
                                            const std::vector<v1::AccessReportEntry>& entries) {
                             response->set_content_type("text/csv; charset=utf-8");
                             response->set_content(AccessReportCsv(entries));
                             response->set_filename(absl::StrCat("inzage-", profile_id.substr(0, 8),
                                                                 "-", date, ".csv"));
                           });
        return Answer::Later();
      });
}

}  // namespace verkenner::service
