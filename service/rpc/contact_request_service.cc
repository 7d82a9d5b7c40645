#include "service/rpc/contact_request_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "base/email_address.h"
#include "service/rpc/error_details.h"
#include "service/rpc/request_validation.h"
#include "service/rpc/unary_call.h"

namespace verkenner::service {
namespace {

constexpr char kNamePrefix[] = "contactRequests/";
constexpr int kWorkingDaysUntilOverdue = 5;
constexpr size_t kMaxContactNameCharacters = 200;
constexpr size_t kMaxPhoneBytes = 32;

absl::Status NotFound() {
  // The same answer for a request that does not exist and one of another organisation or region.
  return absl::NotFoundError("no such contact request");
}

// The vacancy the employer asks about: title, text, hours and workplace required, as a search's
// vacancy is checked (request_validation.h).
absl::Status CheckContactVacancy(const v1::CreateContactRequestRequest& request,
                                 const engine::ReferenceData& reference) {
  if (!request.has_vacancy()) return InvalidField("vacancy", "required");
  const v1::ContactRequestVacancy& vacancy = request.vacancy();
  absl::Status status = CheckCharacters("vacancy.title", vacancy.title(), 1, kMaxTitleCharacters);
  if (status.ok()) {
    status = CheckCharacters("vacancy.text", vacancy.text(), 0, kMaxDescriptionCharacters);
  }
  if (status.ok() && !vacancy.has_hours()) status = InvalidField("vacancy.hours", "required");
  if (status.ok()) status = CheckHours("vacancy.hours", vacancy.hours());
  if (!status.ok()) return status;
  absl::StatusOr<std::optional<engine::GeoPoint>> workplace =
      ResolveWorkplace("vacancy.workplace", vacancy.workplace(), reference);
  if (!workplace.ok()) return workplace.status();
  if (!workplace->has_value()) {
    return InvalidField("vacancy.workplace", "a postcode or a municipality code");
  }
  if (vacancy.has_start_date()) {
    return StartDayOf("vacancy.start_date", vacancy.start_date()).status();
  }
  return absl::OkStatus();
}

// The employer's contact person: a name, and an e-mail address or a phone number.
absl::Status CheckEmployerContact(const v1::CreateContactRequestRequest& request) {
  if (!request.has_contact_person()) return InvalidField("contact_person", "required");
  const v1::EmployerContact& contact = request.contact_person();
  if (absl::Status name =
          CheckCharacters("contact_person.name", contact.name(), 1, kMaxContactNameCharacters);
      !name.ok()) {
    return name;
  }
  if (contact.email().empty() && contact.phone().empty()) {
    return InvalidField("contact_person", "an e-mail address or a phone number");
  }
  if (!contact.email().empty() && !base::IsEmailAddress(contact.email())) {
    return InvalidField("contact_person.email", "not an e-mail address");
  }
  if (contact.phone().size() > kMaxPhoneBytes ||
      contact.phone().find_first_not_of("+0123456789 -()") != std::string::npos) {
    return InvalidField("contact_person.phone", "at most 32 characters: digits, spaces, + - ( )");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckCreateContactRequest(const v1::CreateContactRequestRequest& request,
                                       const engine::ReferenceData& reference) {
  absl::Status status = CheckEnumsKnown(request);
  if (status.ok()) status = CheckIdempotencyKey(request.request_id());
  if (status.ok()) status = CheckProfileId(request.profile_id());
  if (status.ok()) status = CheckContactVacancy(request, reference);
  if (status.ok()) {
    status = CheckCharacters("message", request.message(), 0, kMaxDescriptionCharacters);
  }
  if (status.ok()) status = CheckEmployerContact(request);
  return status;
}

namespace {

absl::Status CheckStatuses(const google::protobuf::RepeatedField<int>& statuses) {
  for (int status : statuses) {
    if (status <= v1::CONTACT_REQUEST_STATUS_UNSPECIFIED ||
        status > v1::CONTACT_REQUEST_STATUS_WITHDRAWN) {
      return InvalidField("statuses", "unknown or unspecified status");
    }
  }
  return absl::OkStatus();
}

// Whether a list filter on `statuses` (empty: any) lets `status` through.
bool HasStatus(const google::protobuf::RepeatedField<int>& statuses,
               v1::ContactRequestStatus status) {
  return statuses.empty() || std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

bool IsFinal(v1::ContactRequestStatus status) {
  return status == v1::CONTACT_REQUEST_STATUS_PLACED ||
         status == v1::CONTACT_REQUEST_STATUS_NOT_PLACED ||
         status == v1::CONTACT_REQUEST_STATUS_WITHDRAWN;
}

// Whether ContactRequestStatus allows moving `from` to `to`: forward only, steps may be skipped;
// NOT_PLACED and WITHDRAWN from any open status; nothing out of a final one.
bool IsAllowedMove(v1::ContactRequestStatus from, v1::ContactRequestStatus to) {
  if (IsFinal(from) || from == to) return false;
  if (to == v1::CONTACT_REQUEST_STATUS_NOT_PLACED || to == v1::CONTACT_REQUEST_STATUS_WITHDRAWN) {
    return true;
  }
  return to > from && to <= v1::CONTACT_REQUEST_STATUS_PLACED;
}

void AddStatusChange(v1::ContactRequest& request, v1::ContactRequestStatus to,
                     const AccountRecord& actor, int64_t now_micros) {
  v1::ContactRequestStatusChange* change = request.add_status_history();
  change->set_from_status(request.status());
  change->set_to_status(to);
  FillAccountReference(actor, change->mutable_actor());
  SetTimestamp(now_micros, change->mutable_change_time());
  request.set_status(to);
}

void AddNote(v1::ContactRequest& request, const AccountRecord& author, const std::string& text,
             v1::NoteAudience audience, v1::ContactRequestStatus status, int64_t now_micros) {
  v1::ContactRequestNote* note = request.add_notes();
  FillAccountReference(author, note->mutable_author());
  note->set_text(text);
  note->set_audience(audience == v1::NOTE_AUDIENCE_UNSPECIFIED ? v1::NOTE_AUDIENCE_WSP_ONLY
                                                               : audience);
  note->set_status(status);
  SetTimestamp(now_micros, note->mutable_create_time());
}

// Whether `caller` may see `stored` at all: its organisation's employers, its region's WSP.
bool MaySee(const Caller& caller, const StoredContactRequest& stored) {
  switch (caller.account.role) {
    case v1::ACCOUNT_ROLE_EMPLOYER:
      return stored.organisation == caller.account.organisation;
    case v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER:
      return stored.request.labour_market_region_code() == caller.account.region_code;
    default:
      return false;
  }
}

}  // namespace

std::string ContactRequestIdOfName(const std::string& name) {
  if (!name.starts_with(kNamePrefix)) return "";
  const std::string id = name.substr(sizeof(kNamePrefix) - 1);
  if (id.size() != 32 || id.find_first_not_of("0123456789abcdef") != std::string::npos) return "";
  return id;
}

int64_t ContactRequestDueMicros(int64_t last_activity_micros) {
  const absl::TimeZone& amsterdam = AmsterdamTimeZone();
  const absl::Time last = absl::FromUnixMicros(last_activity_micros);
  const absl::CivilSecond civil = absl::ToCivilSecond(last, amsterdam);
  absl::CivilDay day(civil);
  for (int working_days = 0; working_days < kWorkingDaysUntilOverdue;) {
    day += 1;
    const absl::Weekday weekday = absl::GetWeekday(day);
    if (weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday) ++working_days;
  }
  const absl::CivilSecond due(day.year(), day.month(), day.day(), civil.hour(), civil.minute(),
                              civil.second());
  return absl::ToUnixMicros(absl::FromCivil(due, amsterdam)) + last_activity_micros % 1'000'000;
}

ContactRequestService::ContactRequestService(const ServiceEnvironment* environment,
                                             engine::SearcherPool* pool,
                                             std::function<int64_t()> today)
    : environment_(*environment), pool_(pool), today_(std::move(today)) {}

void ContactRequestService::Present(const StoredContactRequest& stored, const Caller& caller,
                                    v1::ContactRequest* out) const {
  *out = stored.request;
  out->set_name(kNamePrefix + stored.id);
  if (caller.account.role == v1::ACCOUNT_ROLE_EMPLOYER) {
    // Employers read only the notes shared with them.
    auto* notes = out->mutable_notes();
    notes->erase(std::remove_if(notes->begin(), notes->end(),
                                [](const v1::ContactRequestNote& note) {
                                  return note.audience() != v1::NOTE_AUDIENCE_WSP_AND_EMPLOYER;
                                }),
                 notes->end());
  }
  if (IsFinal(out->status())) {
    out->clear_due_time();
    out->set_overdue(false);
  } else {
    const int64_t due = ContactRequestDueMicros(MicrosOf(out->last_activity_time()));
    SetTimestamp(due, out->mutable_due_time());
    out->set_overdue(absl::ToUnixMicros(environment_.now()) > due);
  }
}

namespace {

// The request the idempotency key `request_id` of `account_id` made before, or nullopt for a
// first call. AlreadyExists when the key was used for other content.
absl::StatusOr<std::optional<StoredContactRequest>> EarlierRequest(
    sql::Connection& db, const std::string& account_id, const std::string& request_id,
    const std::string& content_hash) {
  absl::StatusOr<std::optional<std::string>> earlier =
      FindIdempotencyKey(db, account_id, request_id, content_hash);
  if (!earlier.ok()) return earlier.status();
  if (!earlier->has_value()) return std::nullopt;
  absl::StatusOr<std::optional<StoredContactRequest>> first =
      LoadContactRequest(db, ContactRequestIdOfName(**earlier));
  if (!first.ok()) return first.status();
  if (!first->has_value()) return NotFound();
  return first;
}

// A new request of `caller` about a profile of `region` (as the reference data names it),
// created `now`, with status NEW.
StoredContactRequest NewContactRequest(const v1::CreateContactRequestRequest& request,
                                       const Caller& caller,
                                       const engine::LabourMarketRegion& region, int64_t now) {
  StoredContactRequest stored;
  stored.id = NewResourceId();
  stored.organisation = caller.account.organisation;
  stored.created_by = caller.account.id;
  v1::ContactRequest& created = stored.request;
  created.set_profile_id(request.profile_id());
  created.set_labour_market_region_code(region.code);
  created.set_labour_market_region_name(region.name);
  *created.mutable_vacancy() = request.vacancy();
  created.set_message(request.message());
  created.set_employer_organisation_name(caller.account.organisation);
  *created.mutable_contact_person() = request.contact_person();
  FillAccountReference(caller.account, created.mutable_created_by());
  AddStatusChange(created, v1::CONTACT_REQUEST_STATUS_NEW, caller.account, now);
  SetTimestamp(now, created.mutable_create_time());
  SetTimestamp(now, created.mutable_update_time());
  SetTimestamp(now, created.mutable_last_activity_time());
  return stored;
}

// Checks that apply to every change a WSP makes under an idempotency key.
absl::Status CheckKeyedChange(const google::protobuf::Message& request,
                              const std::string& request_id) {
  absl::Status status = CheckEnumsKnown(request);
  if (status.ok()) status = CheckIdempotencyKey(request_id);
  return status;
}

// The checks both lists make: enums, statuses, and the page.
template <typename ListRequest>
absl::StatusOr<ListPage> CheckListRequest(const ListRequest& request) {
  absl::Status status = CheckEnumsKnown(request);
  if (status.ok()) status = CheckStatuses(request.statuses());
  if (!status.ok()) return status;
  return ListPage::Of(request);
}

}  // namespace

grpc::ServerUnaryReactor* ContactRequestService::CreateContactRequest(
    grpc::CallbackServerContext* context, const v1::CreateContactRequestRequest* request,
    v1::CreateContactRequestResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckCreateContactRequest(*request, *environment_.reference_data);
            !valid.ok()) {
          return valid;
        }
        // The profile's region decides which WSP gets the request; the index knows it.
        pool_->Submit(
            [this, call, request, response, caller, today = today_()](engine::Searcher& searcher) {
              absl::StatusOr<engine::CandidateMatch> profile =
                  searcher.GetProfile(request->profile_id(), today);
              // A retry after the profile was withdrawn must still find the request its first call
              // made: only a first call needs an active profile.
              if (!profile.ok() && !absl::IsNotFound(profile.status())) {
                call.Finish(profile.status());
                return;
              }
              StoreNewRequest(call, caller, *request,
                              profile.ok() ? profile->record.region_code : std::string(), response);
            });
        return Answer::Later();
      });
}

void ContactRequestService::StoreNewRequest(UnaryCall call, const Caller& caller,
                                            const v1::CreateContactRequestRequest& request,
                                            const std::string& region_code,
                                            v1::CreateContactRequestResponse* response) {
  const std::string content_hash = ContentHash(request);
  const int64_t now = absl::ToUnixMicros(environment_.now());
  const engine::LabourMarketRegion* region =
      region_code.empty() ? nullptr : environment_.reference_data->FindRegion(region_code);
  auto stored = std::make_shared<StoredContactRequest>();
  environment_.store->Write(
      [&request, caller, region, content_hash, now, stored](sql::Connection& db) -> absl::Status {
        // Checked in the same write as the creation: a retry finds the key and the request, or
        // neither.
        absl::StatusOr<std::optional<StoredContactRequest>> earlier =
            EarlierRequest(db, caller.account.id, request.request_id(), content_hash);
        if (!earlier.ok()) return earlier.status();
        if (earlier->has_value()) {
          *stored = std::move(**earlier);
          return absl::OkStatus();
        }
        if (region == nullptr) return absl::NotFoundError("profile_id: no such profile");
        *stored = NewContactRequest(request, caller, *region, now);
        if (absl::Status status = SaveContactRequest(db, *stored); !status.ok()) return status;
        if (absl::Status status =
                RememberIdempotencyKey(db, caller.account.id, request.request_id(), content_hash,
                                       kNamePrefix + stored->id, now);
            !status.ok()) {
          return status;
        }
        return AppendAudit(db, {now, caller.account.id, "create_contact_request",
                                request.profile_id(), kNamePrefix + stored->id, "", "ok"})
            .status();
      },
      [this, call, response, caller, stored](absl::Status status) {
        if (status.ok()) Present(*stored, caller, response->mutable_contact_request());
        call.Finish(status);
      });
}

absl::Status ContactRequestService::ApplyChange(sql::Connection& db, const Caller& caller,
                                                const std::string& id, const KeyedChange& keyed,
                                                int64_t now, StoredContactRequest& stored) {
  absl::StatusOr<std::optional<StoredContactRequest>> loaded = LoadContactRequest(db, id);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value() || !MaySee(caller, **loaded)) return NotFound();
  stored = std::move(**loaded);
  if (!keyed.idempotency_key.empty()) {
    // Checked in the same write as the change: a retry either finds the key and the change, or
    // neither.
    absl::StatusOr<std::optional<std::string>> earlier =
        FindIdempotencyKey(db, caller.account.id, keyed.idempotency_key, keyed.content_hash);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) return absl::OkStatus();  // done before: as it stands now
  }
  if (absl::Status status = keyed.change(stored, now); !status.ok()) return status;
  SetTimestamp(now, stored.request.mutable_update_time());
  if (absl::Status status = SaveContactRequest(db, stored); !status.ok()) return status;
  if (!keyed.idempotency_key.empty()) {
    if (absl::Status status = RememberIdempotencyKey(db, caller.account.id, keyed.idempotency_key,
                                                     keyed.content_hash, kNamePrefix + id, now);
        !status.ok()) {
      return status;
    }
  }
  return AppendAudit(db, {now, caller.account.id, keyed.action, stored.request.profile_id(),
                          kNamePrefix + stored.id, "", "ok"})
      .status();
}

Answer ContactRequestService::ChangeRequest(UnaryCall call, const Caller& caller,
                                            const std::string& name, KeyedChange keyed,
                                            v1::ContactRequest* out) {
  const std::string id = ContactRequestIdOfName(name);
  if (id.empty()) return InvalidField("name", "expected contactRequests/<id>");
  const int64_t now = absl::ToUnixMicros(environment_.now());
  auto stored = std::make_shared<StoredContactRequest>();
  environment_.store->Write(
      [caller, id, keyed = std::move(keyed), now, stored](sql::Connection& db) {
        return ApplyChange(db, caller, id, keyed, now, *stored);
      },
      [this, call, caller, stored, out](absl::Status status) {
        if (status.ok()) Present(*stored, caller, out);
        call.Finish(status);
      });
  return Answer::Later();
}

grpc::ServerUnaryReactor* ContactRequestService::GetContactRequest(
    grpc::CallbackServerContext* context, const v1::GetContactRequestRequest* request,
    v1::GetContactRequestResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER, v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall, const Caller& caller) -> Answer {
        const std::string id = ContactRequestIdOfName(request->name());
        if (id.empty()) return InvalidField("name", "expected contactRequests/<id>");
        return environment_.store->Read([&](sql::Connection& db) -> absl::Status {
          absl::StatusOr<std::optional<StoredContactRequest>> loaded = LoadContactRequest(db, id);
          if (!loaded.ok()) return loaded.status();
          if (!loaded->has_value() || !MaySee(caller, **loaded)) return NotFound();
          Present(**loaded, caller, response->mutable_contact_request());
          return absl::OkStatus();
        });
      });
}

template <typename ListResponse>
absl::Status ContactRequestService::ListFor(const Caller& caller, bool region_queue,
                                            const Filter& filter, bool newest_first,
                                            const ListPage& page, ListResponse* response) {
  return environment_.store->Read([&](sql::Connection& db) {
    absl::StatusOr<std::vector<ContactRequestSummary>> all = ListContactRequestSummaries(
        db, region_queue, region_queue ? caller.account.region_code : caller.account.organisation);
    if (!all.ok()) return all.status();
    const int64_t now = absl::ToUnixMicros(environment_.now());
    std::vector<const ContactRequestSummary*> shown;
    for (const ContactRequestSummary& summary : *all) {
      const bool overdue = !IsFinal(summary.status) &&
                           now > ContactRequestDueMicros(summary.last_activity_time_micros);
      if (filter(summary, overdue)) shown.push_back(&summary);
    }
    if (newest_first) std::reverse(shown.begin(), shown.end());
    const int total = static_cast<int>(shown.size());
    response->set_total_size(total);
    // Only the page's requests are read whole.
    for (int i = page.begin(); i < page.end(total); ++i) {
      absl::StatusOr<std::optional<StoredContactRequest>> stored =
          LoadContactRequest(db, shown[i]->id);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) Present(**stored, caller, response->add_contact_requests());
    }
    response->set_next_page_token(page.NextToken(total));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ContactRequestService::ListContactRequests(
    grpc::CallbackServerContext* context, const v1::ListContactRequestsRequest* request,
    v1::ListContactRequestsResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER},
      [&](UnaryCall, const Caller& caller) -> Answer {
        absl::StatusOr<ListPage> page = CheckListRequest(*request);
        if (!page.ok()) return page.status();
        const Filter filter = [request](const ContactRequestSummary& summary, bool) {
          if (!request->profile_id().empty() && summary.profile_id != request->profile_id()) {
            return false;
          }
          return HasStatus(request->statuses(), summary.status);
        };
        return ListFor(caller, /*region_queue=*/false, filter, /*newest_first=*/true, *page,
                       response);
      });
}

grpc::ServerUnaryReactor* ContactRequestService::ListRegionContactRequests(
    grpc::CallbackServerContext* context, const v1::ListRegionContactRequestsRequest* request,
    v1::ListRegionContactRequestsResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall, const Caller& caller) -> Answer {
        absl::StatusOr<ListPage> page = CheckListRequest(*request);
        if (!page.ok()) return page.status();
        const Filter filter = [request, me = caller.account.id](
                                  const ContactRequestSummary& summary, bool overdue) {
          if (request->overdue_only() && !overdue) return false;
          if (request->assignment() == v1::ASSIGNMENT_FILTER_UNASSIGNED &&
              !summary.assigned_to.empty()) {
            return false;
          }
          if (request->assignment() == v1::ASSIGNMENT_FILTER_MINE && summary.assigned_to != me) {
            return false;
          }
          return HasStatus(request->statuses(), summary.status);
        };
        return ListFor(caller, /*region_queue=*/true, filter,
                       request->order() == v1::CONTACT_REQUEST_ORDER_NEWEST_FIRST, *page, response);
      });
}

grpc::ServerUnaryReactor* ContactRequestService::WithdrawContactRequest(
    grpc::CallbackServerContext* context, const v1::WithdrawContactRequestRequest* request,
    v1::WithdrawContactRequestResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_EMPLOYER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckNote("reason", request->reason()); !valid.ok()) return valid;
        KeyedChange withdraw{
            "withdraw_contact_request", "", "",
            [account = caller.account, reason = request->reason()](StoredContactRequest& stored,
                                                                   int64_t now) -> absl::Status {
              v1::ContactRequest& r = stored.request;
              if (r.status() == v1::CONTACT_REQUEST_STATUS_WITHDRAWN) return absl::OkStatus();
              if (IsFinal(r.status())) {
                return WithReason(
                    absl::FailedPreconditionError("the request is closed; it cannot be "
                                                  "withdrawn"),
                    v1::REQUEST_CLOSED);
              }
              if (!reason.empty()) {
                AddNote(r, account, reason, v1::NOTE_AUDIENCE_WSP_AND_EMPLOYER,
                        v1::CONTACT_REQUEST_STATUS_WITHDRAWN, now);
              }
              AddStatusChange(r, v1::CONTACT_REQUEST_STATUS_WITHDRAWN, account, now);
              return absl::OkStatus();
            }};
        return ChangeRequest(call, caller, request->name(), std::move(withdraw),
                             response->mutable_contact_request());
      });
}

grpc::ServerUnaryReactor* ContactRequestService::ClaimContactRequest(
    grpc::CallbackServerContext* context, const v1::ClaimContactRequestRequest* request,
    v1::ClaimContactRequestResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        KeyedChange claim{
            request->take_over() ? "take_over_contact_request" : "claim_contact_request", "", "",
            [account = caller.account, take_over = request->take_over()](
                StoredContactRequest& stored, int64_t now) -> absl::Status {
              v1::ContactRequest& r = stored.request;
              if (stored.assigned_to == account.id) return absl::OkStatus();
              if (IsFinal(r.status())) {
                return WithReason(
                    absl::FailedPreconditionError("the request is closed; it cannot be claimed"),
                    v1::REQUEST_CLOSED);
              }
              if (!stored.assigned_to.empty() && !take_over) {
                return WithReason(
                    absl::FailedPreconditionError(
                        "a colleague holds this request; set take_over to take it over"),
                    v1::REQUEST_HELD_BY_COLLEAGUE);
              }
              stored.assigned_to = account.id;
              FillAccountReference(account, r.mutable_assigned_to());
              if (r.status() == v1::CONTACT_REQUEST_STATUS_NEW) {
                AddStatusChange(r, v1::CONTACT_REQUEST_STATUS_IN_PROGRESS, account, now);
              }
              SetTimestamp(now, r.mutable_last_activity_time());
              return absl::OkStatus();
            }};
        return ChangeRequest(call, caller, request->name(), std::move(claim),
                             response->mutable_contact_request());
      });
}

grpc::ServerUnaryReactor* ContactRequestService::UpdateContactRequestStatus(
    grpc::CallbackServerContext* context, const v1::UpdateContactRequestStatusRequest* request,
    v1::UpdateContactRequestStatusResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        absl::Status valid = CheckKeyedChange(*request, request->request_id());
        if (valid.ok() && (request->status() <= v1::CONTACT_REQUEST_STATUS_NEW ||
                           request->status() > v1::CONTACT_REQUEST_STATUS_WITHDRAWN)) {
          valid = InvalidField("status", "one of the statuses after NEW");
        }
        if (valid.ok()) valid = CheckNote("note", request->note());
        if (valid.ok() && request->status() == v1::CONTACT_REQUEST_STATUS_NOT_PLACED &&
            request->note().empty()) {
          valid = InvalidField("note", "required for NOT_PLACED: say why");
        }
        if (!valid.ok()) return valid;
        KeyedChange move{
            "update_contact_request_status", request->request_id(), ContentHash(*request),
            [account = caller.account, request](StoredContactRequest& stored,
                                                int64_t now) -> absl::Status {
              v1::ContactRequest& r = stored.request;
              if (stored.assigned_to != account.id) {
                return WithReason(absl::FailedPreconditionError("claim the request first"),
                                  v1::REQUEST_NOT_CLAIMED);
              }
              if (!IsAllowedMove(r.status(), request->status())) {
                return WithReason(absl::FailedPreconditionError(
                                      "this status change is not allowed (only forward, not out "
                                      "of a final status)"),
                                  v1::STATUS_CHANGE_NOT_ALLOWED);
              }
              if (!request->note().empty()) {
                AddNote(r, account, request->note(), request->note_audience(), request->status(),
                        now);
              }
              AddStatusChange(r, request->status(), account, now);
              SetTimestamp(now, r.mutable_last_activity_time());
              return absl::OkStatus();
            }};
        return ChangeRequest(call, caller, request->name(), std::move(move),
                             response->mutable_contact_request());
      });
}

grpc::ServerUnaryReactor* ContactRequestService::AddContactRequestNote(
    grpc::CallbackServerContext* context, const v1::AddContactRequestNoteRequest* request,
    v1::AddContactRequestNoteResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        absl::Status valid = CheckKeyedChange(*request, request->request_id());
        if (valid.ok()) valid = CheckCharacters("text", request->text(), 1, kMaxNoteCharacters);
        if (!valid.ok()) return valid;
        KeyedChange note{"add_contact_request_note", request->request_id(), ContentHash(*request),
                         [account = caller.account, request](StoredContactRequest& stored,
                                                             int64_t now) -> absl::Status {
                           AddNote(stored.request, account, request->text(), request->audience(),
                                   v1::CONTACT_REQUEST_STATUS_UNSPECIFIED, now);
                           SetTimestamp(now, stored.request.mutable_last_activity_time());
                           return absl::OkStatus();
                         }};
        return ChangeRequest(call, caller, request->name(), std::move(note),
                             response->mutable_contact_request());
      });
}

}  // namespace verkenner::service
