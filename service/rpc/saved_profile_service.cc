#include "service/rpc/saved_profile_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/rpc/search_service.h"

namespace verkenner::service {
namespace {

constexpr size_t kMaxNoteBytes = 2000;
constexpr int kDefaultPageSize = 20;
constexpr int kMaxPageSize = 100;

absl::Status CheckProfileId(const std::string& profile_id) {
  if (profile_id.empty() || profile_id.size() > 64) {
    return absl::InvalidArgumentError("profile_id: missing or longer than 64 characters");
  }
  return absl::OkStatus();
}

absl::Status CheckNote(const std::string& note) {
  if (note.size() > kMaxNoteBytes) return absl::InvalidArgumentError("note: at most 2,000 bytes");
  return absl::OkStatus();
}

void FillSaved(const SavedProfileRecord& record, v1::SavedProfile* out) {
  out->set_profile_id(record.profile_id);
  out->set_note(record.note);
  out->mutable_saved_by()->set_name("accounts/" + record.saved_by);
  out->mutable_saved_by()->set_display_name(record.saved_by_display_name);
  out->mutable_saved_by()->set_role(record.saved_by_role);
  SetTimestamp(record.create_time_micros, out->mutable_create_time());
  SetTimestamp(record.update_time_micros, out->mutable_update_time());
}

}  // namespace

SavedProfileService::SavedProfileService(const ServiceEnvironment* environment,
                                         engine::SearcherPool* pool, std::function<int64_t()> today)
    : environment_(*environment), pool_(pool), today_(std::move(today)) {}

void SavedProfileService::ShowAndFinish(grpc::CallbackServerContext* context,
                                        grpc::ServerUnaryReactor* reactor,
                                        std::vector<SavedProfileRecord> records,
                                        std::vector<v1::SavedProfile*> out) {
  pool_->Submit([this, context, reactor, records = std::move(records), out = std::move(out),
                 today = today_()](engine::Searcher& searcher) {
    for (size_t i = 0; i < records.size(); ++i) {
      FillSaved(records[i], out[i]);
      absl::StatusOr<engine::CandidateMatch> match =
          searcher.GetProfile(records[i].profile_id, today);
      // Withdrawn or ended: the entry stays, with its note, without the profile. Any other
      // error fails the call rather than hide a profile that is there.
      if (absl::IsNotFound(match.status())) continue;
      if (!match.ok()) {
        FinishWith(context, reactor, match.status());
        return;
      }
      if (absl::Status status =
              FillProfile(*match, *environment_.reference_data, out[i]->mutable_profile());
          !status.ok()) {
        FinishWith(context, reactor, status);
        return;
      }
    }
    FinishWith(context, reactor, absl::OkStatus());
  });
}

grpc::ServerUnaryReactor* SavedProfileService::SaveProfile(grpc::CallbackServerContext* context,
                                                           const v1::SaveProfileRequest* request,
                                                           v1::SaveProfileResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_EMPLOYER});
  if (!caller.has_value()) return reactor;
  absl::Status valid = CheckProfileId(request->profile_id());
  if (valid.ok()) valid = CheckNote(request->note());
  if (!valid.ok()) {
    FinishWith(context, reactor, valid);
    return reactor;
  }
  // Only an active profile can be saved: look it up first, then store the entry.
  pool_->Submit([this, context, reactor, request, response, caller = *caller,
                 today = today_()](engine::Searcher& searcher) {
    absl::StatusOr<engine::CandidateMatch> match =
        searcher.GetProfile(request->profile_id(), today);
    absl::Status shown = match.status();
    if (shown.ok()) {
      shown = FillProfile(*match, *environment_.reference_data,
                          response->mutable_saved_profile()->mutable_profile());
    }
    if (!shown.ok()) {
      response->Clear();
      FinishWith(context, reactor, shown);
      return;
    }
    SavedProfileRecord record;
    record.profile_id = request->profile_id();
    record.note = request->note();
    record.saved_by = caller.account.id;
    record.saved_by_display_name = caller.account.display_name;
    record.saved_by_role = caller.account.role;
    record.create_time_micros = record.update_time_micros = absl::ToUnixMicros(environment_.now());
    environment_.store->Write(
        [record, organisation = caller.account.organisation](sqlite::SqliteConnection& db) {
          return AddSavedProfile(db, organisation, record, kMaxPerOrganisation);
        },
        [context, reactor, response, record](absl::Status status) {
          if (status.ok()) {
            FillSaved(record, response->mutable_saved_profile());
          } else {
            response->Clear();
          }
          FinishWith(context, reactor, status);
        });
  });
  return reactor;
}

grpc::ServerUnaryReactor* SavedProfileService::ListSavedProfiles(
    grpc::CallbackServerContext* context, const v1::ListSavedProfilesRequest* request,
    v1::ListSavedProfilesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_EMPLOYER});
  if (!caller.has_value()) return reactor;
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    FinishWith(context, reactor,
               absl::InvalidArgumentError("page_size: expected 0 (default 20) to 100"));
    return reactor;
  }
  const int size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  int offset = 0;
  if (!request->page_token().empty() &&
      (!absl::SimpleAtoi(request->page_token(), &offset) || offset <= 0)) {
    FinishWith(context, reactor,
               absl::InvalidArgumentError("page_token: not a token from a previous response"));
    return reactor;
  }
  std::vector<SavedProfileRecord> page;
  int64_t total = 0;
  absl::Status read = environment_.store->Read([&](sqlite::SqliteConnection& db) {
    auto listed = SavedProfilesOf(db, caller->account.organisation, offset, size);
    if (!listed.ok()) return listed.status();
    page = std::move(listed->first);
    total = listed->second;
    return absl::OkStatus();
  });
  if (!read.ok()) {
    FinishWith(context, reactor, read);
    return reactor;
  }
  response->set_total_size(static_cast<int32_t>(total));
  if (offset + size < total) response->set_next_page_token(absl::StrCat(offset + size));
  std::vector<v1::SavedProfile*> out;
  for (size_t i = 0; i < page.size(); ++i) out.push_back(response->add_saved_profiles());
  ShowAndFinish(context, reactor, std::move(page), std::move(out));
  return reactor;
}

grpc::ServerUnaryReactor* SavedProfileService::GetSavedProfile(
    grpc::CallbackServerContext* context, const v1::GetSavedProfileRequest* request,
    v1::GetSavedProfileResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_EMPLOYER});
  if (!caller.has_value()) return reactor;
  std::optional<SavedProfileRecord> found;
  absl::Status status = CheckProfileId(request->profile_id());
  if (status.ok()) {
    status = environment_.store->Read([&](sqlite::SqliteConnection& db) {
      auto result = FindSavedProfile(db, caller->account.organisation, request->profile_id());
      if (!result.ok()) return result.status();
      found = std::move(*result);
      return absl::OkStatus();
    });
  }
  if (status.ok() && !found.has_value()) {
    status = absl::NotFoundError("profile_id: not among your saved profiles");
  }
  if (!status.ok()) {
    FinishWith(context, reactor, status);
    return reactor;
  }
  ShowAndFinish(context, reactor, {std::move(*found)}, {response->mutable_saved_profile()});
  return reactor;
}

grpc::ServerUnaryReactor* SavedProfileService::UpdateSavedProfileNote(
    grpc::CallbackServerContext* context, const v1::UpdateSavedProfileNoteRequest* request,
    v1::UpdateSavedProfileNoteResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_EMPLOYER});
  if (!caller.has_value()) return reactor;
  absl::Status valid = CheckProfileId(request->profile_id());
  if (valid.ok()) valid = CheckNote(request->note());
  if (!valid.ok()) {
    FinishWith(context, reactor, valid);
    return reactor;
  }
  auto updated = std::make_shared<SavedProfileRecord>();
  environment_.store->Write(
      [request, updated, organisation = caller->account.organisation,
       now = absl::ToUnixMicros(environment_.now())](sqlite::SqliteConnection& db) {
        if (absl::Status status =
                SetSavedProfileNote(db, organisation, request->profile_id(), request->note(), now);
            !status.ok()) {
          return status;
        }
        auto found = FindSavedProfile(db, organisation, request->profile_id());
        if (!found.ok()) return found.status();
        if (!found->has_value()) return absl::InternalError("saved profile vanished");
        *updated = std::move(**found);
        return absl::OkStatus();
      },
      [this, context, reactor, response, updated](absl::Status status) {
        if (!status.ok()) {
          FinishWith(context, reactor, status);
          return;
        }
        ShowAndFinish(context, reactor, {*updated}, {response->mutable_saved_profile()});
      });
  return reactor;
}

grpc::ServerUnaryReactor* SavedProfileService::DeleteSavedProfile(
    grpc::CallbackServerContext* context, const v1::DeleteSavedProfileRequest* request,
    v1::DeleteSavedProfileResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_EMPLOYER});
  if (!caller.has_value()) return reactor;
  if (absl::Status valid = CheckProfileId(request->profile_id()); !valid.ok()) {
    FinishWith(context, reactor, valid);
    return reactor;
  }
  environment_.store->Write(
      [request, organisation = caller->account.organisation](sqlite::SqliteConnection& db) {
        return RemoveSavedProfile(db, organisation, request->profile_id());
      },
      [context, reactor](absl::Status status) { FinishWith(context, reactor, status); });
  return reactor;
}

}  // namespace verkenner::service
