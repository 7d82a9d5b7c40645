#include "service/rpc/saved_profile_service.h"

#include "service/rpc/request_validation.h"
#include "service/rpc/search_service.h"

namespace verkenner::service {
namespace {

void FillSaved(const SavedProfileRecord& record, v1::SavedProfile* out) {
  out->set_profile_id(record.profile_id);
  out->set_note(record.note);
  out->mutable_saved_by()->set_name("accounts/" + record.saved_by);
  out->mutable_saved_by()->set_display_name(record.saved_by_display_name);
  out->mutable_saved_by()->set_role(record.saved_by_role);
  SetTimestamp(record.create_time_micros, out->mutable_create_time());
  SetTimestamp(record.update_time_micros, out->mutable_update_time());
}

// The checks of a call that names a saved profile and may carry a note.
absl::Status CheckEntry(const std::string& profile_id, const std::string& note) {
  absl::Status status = CheckProfileId(profile_id);
  if (status.ok()) status = CheckNote("note", note);
  return status;
}

}  // namespace

SavedProfileService::SavedProfileService(const ServiceEnvironment* environment,
                                         engine::SearcherPool* pool, std::function<int64_t()> today)
    : environment_(*environment), pool_(pool), today_(std::move(today)) {}

void SavedProfileService::ShowAndFinish(UnaryCall call, std::vector<SavedProfileRecord> records,
                                        std::vector<v1::SavedProfile*> out) {
  pool_->Submit([this, call, records = std::move(records), out = std::move(out),
                 today = today_()](engine::Searcher& searcher) {
    for (size_t i = 0; i < records.size(); ++i) {
      FillSaved(records[i], out[i]);
      // Withdrawn or ended: the entry stays, with its note, without the profile.
      absl::StatusOr<std::optional<v1::AnonymousProfile>> profile =
          CurrentProfile(searcher, *environment_.reference_data, records[i].profile_id, today);
      if (!profile.ok()) {
        call.Finish(profile.status());
        return;
      }
      if (profile->has_value()) *out[i]->mutable_profile() = std::move(**profile);
    }
    call.Finish(absl::OkStatus());
  });
}

void SavedProfileService::StoreEntry(UnaryCall call, const Caller& caller,
                                     const v1::SaveProfileRequest& request,
                                     v1::SaveProfileResponse* response) {
  SavedProfileRecord record;
  record.profile_id = request.profile_id();
  record.note = request.note();
  record.saved_by = caller.account.id;
  record.saved_by_display_name = caller.account.display_name;
  record.saved_by_role = caller.account.role;
  record.create_time_micros = record.update_time_micros = absl::ToUnixMicros(environment_.now());
  // The candidate's right of access names who saved them: the row commits with the entry.
  const AuditEntry audit{record.create_time_micros,
                         caller.account.id,
                         "save_profile",
                         record.profile_id,
                         "",
                         "",
                         "ok"};
  environment_.store->Write(
      [record, audit, organisation = caller.account.organisation](sql::Connection& db) {
        absl::Status added = AddSavedProfile(db, organisation, record, kMaxPerOrganisation);
        if (!added.ok()) return added;
        return AppendAudit(db, audit).status();
      },
      [call, response, record](absl::Status status) {
        if (status.ok()) {
          FillSaved(record, response->mutable_saved_profile());
        } else {
          response->Clear();
        }
        call.Finish(status);
      });
}

grpc::ServerUnaryReactor* SavedProfileService::SaveProfile(grpc::CallbackServerContext* context,
                                                           const v1::SaveProfileRequest* request,
                                                           v1::SaveProfileResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckEntry(request->profile_id(), request->note()); !valid.ok()) {
          return valid;
        }
        // Only an active profile can be saved: look it up first, then store the entry.
        pool_->Submit(
            [this, call, request, response, caller, today = today_()](engine::Searcher& searcher) {
              absl::StatusOr<engine::CandidateMatch> match =
                  searcher.GetProfile(request->profile_id(), today);
              absl::Status shown = match.status();
              if (shown.ok()) {
                shown = FillProfile(*match, *environment_.reference_data,
                                    response->mutable_saved_profile()->mutable_profile());
              }
              if (!shown.ok()) {
                response->Clear();
                call.Finish(shown);
                return;
              }
              StoreEntry(call, caller, *request, response);
            });
        return Answer::Later();
      });
}

grpc::ServerUnaryReactor* SavedProfileService::ListSavedProfiles(
    grpc::CallbackServerContext* context, const v1::ListSavedProfilesRequest* request,
    v1::ListSavedProfilesResponse* response) {
  return AnswerCaller(environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER},
                      [&](UnaryCall call, const Caller& caller) -> Answer {
                        absl::StatusOr<ListPage> page = ListPage::Of(*request);
                        if (!page.ok()) return page.status();
                        std::vector<SavedProfileRecord> records;
                        int64_t total = 0;
                        absl::Status read = environment_.store->Read([&](sql::Connection& db) {
                          auto listed = SavedProfilesOf(db, caller.account.organisation,
                                                        page->begin(), page->size());
                          if (!listed.ok()) return listed.status();
                          records = std::move(listed->first);
                          total = listed->second;
                          return absl::OkStatus();
                        });
                        if (!read.ok()) return read;
                        response->set_total_size(static_cast<int32_t>(total));
                        response->set_next_page_token(page->NextToken(static_cast<int>(total)));
                        std::vector<v1::SavedProfile*> out;
                        for (size_t i = 0; i < records.size(); ++i)
                          out.push_back(response->add_saved_profiles());
                        ShowAndFinish(call, std::move(records), std::move(out));
                        return Answer::Later();
                      });
}

grpc::ServerUnaryReactor* SavedProfileService::GetSavedProfile(
    grpc::CallbackServerContext* context, const v1::GetSavedProfileRequest* request,
    v1::GetSavedProfileResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckProfileId(request->profile_id()); !valid.ok()) return valid;
        std::optional<SavedProfileRecord> found;
        absl::Status read = environment_.store->Read([&](sql::Connection& db) {
          auto result = FindSavedProfile(db, caller.account.organisation, request->profile_id());
          if (!result.ok()) return result.status();
          found = std::move(*result);
          return absl::OkStatus();
        });
        if (!read.ok()) return read;
        if (!found.has_value())
          return absl::NotFoundError("profile_id: not among your saved profiles");
        ShowAndFinish(call, {std::move(*found)}, {response->mutable_saved_profile()});
        return Answer::Later();
      });
}

grpc::ServerUnaryReactor* SavedProfileService::UpdateSavedProfileNote(
    grpc::CallbackServerContext* context, const v1::UpdateSavedProfileNoteRequest* request,
    v1::UpdateSavedProfileNoteResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckEntry(request->profile_id(), request->note()); !valid.ok()) {
          return valid;
        }
        auto updated = std::make_shared<SavedProfileRecord>();
        environment_.store->Write(
            [request, updated, organisation = caller.account.organisation,
             now = absl::ToUnixMicros(environment_.now())](sql::Connection& db) {
              if (absl::Status status = SetSavedProfileNote(db, organisation, request->profile_id(),
                                                            request->note(), now);
                  !status.ok()) {
                return status;
              }
              auto found = FindSavedProfile(db, organisation, request->profile_id());
              if (!found.ok()) return found.status();
              if (!found->has_value()) return absl::InternalError("saved profile vanished");
              *updated = std::move(**found);
              return absl::OkStatus();
            },
            [this, call, response, updated](absl::Status status) {
              if (!status.ok()) {
                call.Finish(status);
                return;
              }
              ShowAndFinish(call, {*updated}, {response->mutable_saved_profile()});
            });
        return Answer::Later();
      });
}

grpc::ServerUnaryReactor* SavedProfileService::DeleteSavedProfile(
    grpc::CallbackServerContext* context, const v1::DeleteSavedProfileRequest* request,
    v1::DeleteSavedProfileResponse*) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckProfileId(request->profile_id()); !valid.ok()) return valid;
        environment_.store->Write(
            [request, organisation = caller.account.organisation](sql::Connection& db) {
              return RemoveSavedProfile(db, organisation, request->profile_id());
            },
            [call](absl::Status status) { call.Finish(status); });
        return Answer::Later();
      });
}

}  // namespace verkenner::service
