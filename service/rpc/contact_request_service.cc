#include "service/rpc/contact_request_service.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/geo.h"
#include "service/rpc/status_mapping.h"

namespace verkenner::service {
namespace {

constexpr char kNamePrefix[] = "contactRequests/";
constexpr int kDefaultPageSize = 20;
constexpr int kMaxPageSize = 100;
constexpr int kWorkingDaysUntilOverdue = 5;

absl::Status NotFound() {
  // The same answer for a request that does not exist and one of another organisation or region.
  return absl::NotFoundError("no such contact request");
}

bool IsIdempotencyKey(const std::string& key) {
  return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// What an idempotency key is checked against: a retry sends the same bytes.
std::string ContentHash(const google::protobuf::Message& message) {
  return Sha256Hex(message.SerializeAsString());
}

}  // namespace

absl::Status CheckCreateContactRequest(const v1::CreateContactRequestRequest& request,
                                       const engine::ReferenceData& reference) {
  if (absl::Status known = CheckEnumsKnown(request); !known.ok()) return known;
  if (!IsIdempotencyKey(request.request_id())) {
    return InvalidField("request_id", "1 to 64 characters from A-Z, a-z, 0-9, _ and -");
  }
  if (request.profile_id().empty() || request.profile_id().size() > 64) {
    return InvalidField("profile_id", "missing or longer than 64 characters");
  }
  if (!request.has_vacancy()) return InvalidField("vacancy", "required");
  const v1::ContactRequestVacancy& vacancy = request.vacancy();
  if (vacancy.title().empty() || vacancy.title().size() > 200) {
    return InvalidField("vacancy.title", "1 to 200 characters");
  }
  if (vacancy.text().size() > 4000) return InvalidField("vacancy.text", "at most 4,000 characters");
  if (!vacancy.has_hours()) return InvalidField("vacancy.hours", "required");
  if (vacancy.hours().min_hours() < 0 || vacancy.hours().max_hours() > 40 ||
      vacancy.hours().min_hours() > vacancy.hours().max_hours() ||
      vacancy.hours().max_hours() == 0) {
    return InvalidField("vacancy.hours",
                        "expected 0 <= min_hours <= max_hours <= 40, max_hours > 0");
  }
  if (!vacancy.has_workplace()) return InvalidField("vacancy.workplace", "required");
  const v1::Location& workplace = vacancy.workplace();
  if (workplace.postcode().empty() && workplace.municipality_code().empty()) {
    return InvalidField("vacancy.workplace", "a postcode or a municipality code");
  }
  if (!workplace.postcode().empty() && !engine::ParsePc4(workplace.postcode()).has_value()) {
    return InvalidField("vacancy.workplace.postcode", "not a Dutch postcode (1234 or 1234 AB)");
  }
  if (!workplace.municipality_code().empty() &&
      reference.FindMunicipality(workplace.municipality_code()) == nullptr) {
    return InvalidField("vacancy.workplace.municipality_code", "not a known CBS municipality code");
  }
  if (vacancy.has_start_date()) {
    const v1::Date& date = vacancy.start_date();
    // CivilDay normalises impossible dates (31 February becomes 3 March): compare back.
    const absl::CivilDay day(date.year(), date.month(), date.day());
    if (date.year() < 2000 || date.year() > 9999 || day.year() != date.year() ||
        day.month() != date.month() || day.day() != date.day()) {
      return InvalidField("vacancy.start_date", "not a valid date");
    }
  }
  if (request.message().size() > 4000) return InvalidField("message", "at most 4,000 characters");
  if (!request.has_contact_person()) return InvalidField("contact_person", "required");
  const v1::EmployerContact& contact = request.contact_person();
  if (contact.name().empty() || contact.name().size() > 200) {
    return InvalidField("contact_person.name", "1 to 200 characters");
  }
  if (contact.email().empty() && contact.phone().empty()) {
    return InvalidField("contact_person", "an e-mail address or a phone number");
  }
  if (!contact.email().empty() && !IsEmailAddress(contact.email())) {
    return InvalidField("contact_person.email", "not an e-mail address");
  }
  if (contact.phone().size() > 32 ||
      contact.phone().find_first_not_of("+0123456789 -()") != std::string::npos) {
    return InvalidField("contact_person.phone", "at most 32 characters: digits, spaces, + - ( )");
  }
  return absl::OkStatus();
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

int64_t MicrosOf(const google::protobuf::Timestamp& time) {
  return time.seconds() * 1'000'000 + time.nanos() / 1000;
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
  static const absl::TimeZone amsterdam = [] {
    absl::TimeZone zone;
    if (!absl::LoadTimeZone("Europe/Amsterdam", &zone)) zone = absl::UTCTimeZone();
    return zone;
  }();
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

grpc::ServerUnaryReactor* ContactRequestService::CreateContactRequest(
    grpc::CallbackServerContext* context, const v1::CreateContactRequestRequest* request,
    v1::CreateContactRequestResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_EMPLOYER});
  if (!caller.has_value()) return reactor;
  if (absl::Status valid = CheckCreateContactRequest(*request, *environment_.reference_data);
      !valid.ok()) {
    FinishWith(context, reactor, valid);
    return reactor;
  }
  // The profile's region decides which WSP gets the request; the index knows it.
  pool_->Submit([this, context, reactor, request, response, caller = *caller,
                 today = today_()](engine::Searcher& searcher) {
    absl::StatusOr<engine::CandidateMatch> profile =
        searcher.GetProfile(request->profile_id(), today);
    // A retry after the profile was withdrawn must still find the request its first call made:
    // only a first call needs an active profile.
    std::string region_code;
    if (profile.ok()) {
      region_code = profile->record.region_code;
    } else if (!absl::IsNotFound(profile.status())) {
      FinishWith(context, reactor, profile.status());
      return;
    }
    const std::string content_hash = ContentHash(*request);
    const int64_t now = absl::ToUnixMicros(environment_.now());
    auto stored = std::make_shared<StoredContactRequest>();
    environment_.store->Write(
        [this, request, caller, region_code, content_hash, now,
         stored](sqlite::SqliteConnection& db) -> absl::Status {
          absl::StatusOr<std::optional<std::string>> earlier =
              FindIdempotencyKey(db, caller.account.id, request->request_id(), content_hash);
          if (!earlier.ok()) return earlier.status();
          if (earlier->has_value()) {
            absl::StatusOr<std::optional<StoredContactRequest>> first =
                LoadContactRequest(db, ContactRequestIdOfName(**earlier));
            if (!first.ok()) return first.status();
            if (!first->has_value()) return NotFound();
            *stored = std::move(**first);
            return absl::OkStatus();
          }
          if (region_code.empty()) return absl::NotFoundError("profile_id: no such profile");
          stored->id = NewResourceId();
          stored->organisation = caller.account.organisation;
          stored->created_by = caller.account.id;
          v1::ContactRequest& created = stored->request;
          created.set_profile_id(request->profile_id());
          created.set_labour_market_region_code(region_code);
          if (const engine::LabourMarketRegion* region =
                  environment_.reference_data->FindRegion(region_code)) {
            created.set_labour_market_region_name(region->name);
          }
          *created.mutable_vacancy() = request->vacancy();
          created.set_message(request->message());
          created.set_employer_organisation_name(caller.account.organisation);
          *created.mutable_contact_person() = request->contact_person();
          FillAccountReference(caller.account, created.mutable_created_by());
          AddStatusChange(created, v1::CONTACT_REQUEST_STATUS_NEW, caller.account, now);
          SetTimestamp(now, created.mutable_create_time());
          SetTimestamp(now, created.mutable_update_time());
          SetTimestamp(now, created.mutable_last_activity_time());
          if (absl::Status status = SaveContactRequest(db, *stored); !status.ok()) return status;
          if (absl::Status status =
                  RememberIdempotencyKey(db, caller.account.id, request->request_id(), content_hash,
                                         kNamePrefix + stored->id, now);
              !status.ok()) {
            return status;
          }
          return AppendAudit(db, {now, caller.account.id, "create_contact_request",
                                  request->profile_id(), kNamePrefix + stored->id, "", "ok"})
              .status();
        },
        [this, context, reactor, response, caller, stored](absl::Status status) {
          if (status.ok()) Present(*stored, caller, response->mutable_contact_request());
          FinishWith(context, reactor, status);
        });
  });
  return reactor;
}

void ContactRequestService::ChangeRequest(grpc::CallbackServerContext* context,
                                          grpc::ServerUnaryReactor* reactor, const Caller& caller,
                                          const std::string& name, const std::string& action,
                                          const std::string& idempotency_key,
                                          const std::string& content_hash, Change change,
                                          v1::ContactRequest* out) {
  const std::string id = ContactRequestIdOfName(name);
  if (id.empty()) {
    FinishWith(context, reactor, InvalidField("name", "expected contactRequests/<id>"));
    return;
  }
  const int64_t now = absl::ToUnixMicros(environment_.now());
  auto stored = std::make_shared<StoredContactRequest>();
  environment_.store->Write(
      [caller, id, action, idempotency_key, content_hash, change = std::move(change), now,
       stored](sqlite::SqliteConnection& db) -> absl::Status {
        absl::StatusOr<std::optional<StoredContactRequest>> loaded = LoadContactRequest(db, id);
        if (!loaded.ok()) return loaded.status();
        if (!loaded->has_value() || !MaySee(caller, **loaded)) return NotFound();
        *stored = std::move(**loaded);
        if (!idempotency_key.empty()) {
          // Checked in the same write as the change: a retry either finds the key and the
          // change, or neither.
          absl::StatusOr<std::optional<std::string>> earlier =
              FindIdempotencyKey(db, caller.account.id, idempotency_key, content_hash);
          if (!earlier.ok()) return earlier.status();
          if (earlier->has_value()) return absl::OkStatus();  // done before: as it stands now
        }
        if (absl::Status status = change(*stored, now); !status.ok()) return status;
        SetTimestamp(now, stored->request.mutable_update_time());
        if (absl::Status status = SaveContactRequest(db, *stored); !status.ok()) return status;
        if (!idempotency_key.empty()) {
          if (absl::Status status = RememberIdempotencyKey(db, caller.account.id, idempotency_key,
                                                           content_hash, kNamePrefix + id, now);
              !status.ok()) {
            return status;
          }
        }
        return AppendAudit(db, {now, caller.account.id, action, stored->request.profile_id(),
                                kNamePrefix + stored->id, "", "ok"})
            .status();
      },
      [this, context, reactor, caller, stored, out](absl::Status status) {
        if (status.ok()) Present(*stored, caller, out);
        FinishWith(context, reactor, status);
      });
}

grpc::ServerUnaryReactor* ContactRequestService::GetContactRequest(
    grpc::CallbackServerContext* context, const v1::GetContactRequestRequest* request,
    v1::GetContactRequestResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor,
                  {v1::ACCOUNT_ROLE_EMPLOYER, v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER});
  if (!caller.has_value()) return reactor;
  const std::string id = ContactRequestIdOfName(request->name());
  absl::Status valid =
      id.empty() ? InvalidField("name", "expected contactRequests/<id>") : absl::OkStatus();
  if (valid.ok()) {
    valid = environment_.store->Read([&](sqlite::SqliteConnection& db) -> absl::Status {
      absl::StatusOr<std::optional<StoredContactRequest>> loaded = LoadContactRequest(db, id);
      if (!loaded.ok()) return loaded.status();
      if (!loaded->has_value() || !MaySee(*caller, **loaded)) return NotFound();
      Present(**loaded, *caller, response->mutable_contact_request());
      return absl::OkStatus();
    });
  }
  FinishWith(context, reactor, valid);
  return reactor;
}

void ContactRequestService::ListFor(grpc::CallbackServerContext* context,
                                    grpc::ServerUnaryReactor* reactor, const Caller& caller,
                                    bool region_queue, Filter filter, bool newest_first,
                                    int32_t page_size, const std::string& page_token,
                                    const std::string& filter_key,
                                    google::protobuf::RepeatedPtrField<v1::ContactRequest>* out,
                                    std::string* next_page_token,
                                    std::function<void(int32_t)> set_total_size) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    FinishWith(context, reactor, InvalidField("page_size", "expected 0 (default 20) to 100"));
    return;
  }
  const int size = page_size == 0 ? kDefaultPageSize : page_size;
  // A page token is the offset and a hash of the filters, so that a token from a differently
  // filtered list is refused instead of silently skipping requests.
  const std::string token_prefix = filter_key.substr(0, 16) + ".";
  int offset = 0;
  if (!page_token.empty()) {
    if (!page_token.starts_with(token_prefix) ||
        !absl::SimpleAtoi(page_token.substr(token_prefix.size()), &offset) || offset < 0) {
      FinishWith(context, reactor,
                 InvalidField("page_token", "not a token of this list with these filters"));
      return;
    }
  }
  absl::Status status = environment_.store->Read([&](sqlite::SqliteConnection& db) {
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
    set_total_size(static_cast<int32_t>(shown.size()));
    for (int i = offset; i < static_cast<int>(shown.size()) && i < offset + size; ++i) {
      absl::StatusOr<std::optional<StoredContactRequest>> stored =
          LoadContactRequest(db, shown[i]->id);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) Present(**stored, caller, out->Add());
    }
    if (offset + size < static_cast<int>(shown.size())) {
      *next_page_token = token_prefix + std::to_string(offset + size);
    }
    return absl::OkStatus();
  });
  FinishWith(context, reactor, status);
}

grpc::ServerUnaryReactor* ContactRequestService::ListContactRequests(
    grpc::CallbackServerContext* context, const v1::ListContactRequestsRequest* request,
    v1::ListContactRequestsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_EMPLOYER});
  if (!caller.has_value()) return reactor;
  absl::Status valid = CheckEnumsKnown(*request);
  if (valid.ok()) valid = CheckStatuses(request->statuses());
  if (!valid.ok()) {
    FinishWith(context, reactor, valid);
    return reactor;
  }
  v1::ListContactRequestsRequest filters = *request;
  filters.clear_page_token();
  filters.clear_page_size();
  ListFor(
      context, reactor, *caller, /*region_queue=*/false,
      [request](const ContactRequestSummary& summary, bool) {
        if (!request->profile_id().empty() && summary.profile_id != request->profile_id()) {
          return false;
        }
        return HasStatus(request->statuses(), summary.status);
      },
      /*newest_first=*/true, request->page_size(), request->page_token(), ContentHash(filters),
      response->mutable_contact_requests(), response->mutable_next_page_token(),
      [response](int32_t total) { response->set_total_size(total); });
  return reactor;
}

grpc::ServerUnaryReactor* ContactRequestService::ListRegionContactRequests(
    grpc::CallbackServerContext* context, const v1::ListRegionContactRequestsRequest* request,
    v1::ListRegionContactRequestsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER});
  if (!caller.has_value()) return reactor;
  absl::Status valid = CheckEnumsKnown(*request);
  if (valid.ok()) valid = CheckStatuses(request->statuses());
  if (!valid.ok()) {
    FinishWith(context, reactor, valid);
    return reactor;
  }
  v1::ListRegionContactRequestsRequest filters = *request;
  filters.clear_page_token();
  filters.clear_page_size();
  ListFor(
      context, reactor, *caller, /*region_queue=*/true,
      [request, me = caller->account.id](const ContactRequestSummary& summary, bool overdue) {
        if (request->overdue_only() && !overdue) return false;
        if (request->assignment() == v1::ASSIGNMENT_FILTER_UNASSIGNED &&
            !summary.assigned_to.empty()) {
          return false;
        }
        if (request->assignment() == v1::ASSIGNMENT_FILTER_MINE && summary.assigned_to != me) {
          return false;
        }
        return HasStatus(request->statuses(), summary.status);
      },
      request->order() == v1::CONTACT_REQUEST_ORDER_NEWEST_FIRST, request->page_size(),
      request->page_token(), ContentHash(filters), response->mutable_contact_requests(),
      response->mutable_next_page_token(),
      [response](int32_t total) { response->set_total_size(total); });
  return reactor;
}

grpc::ServerUnaryReactor* ContactRequestService::WithdrawContactRequest(
    grpc::CallbackServerContext* context, const v1::WithdrawContactRequestRequest* request,
    v1::WithdrawContactRequestResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_EMPLOYER});
  if (!caller.has_value()) return reactor;
  if (request->reason().size() > 2000) {
    FinishWith(context, reactor, InvalidField("reason", "at most 2,000 characters"));
    return reactor;
  }
  ChangeRequest(
      context, reactor, *caller, request->name(), "withdraw_contact_request", "", "",
      [account = caller->account, reason = request->reason()](StoredContactRequest& stored,
                                                              int64_t now) -> absl::Status {
        v1::ContactRequest& r = stored.request;
        if (r.status() == v1::CONTACT_REQUEST_STATUS_WITHDRAWN) return absl::OkStatus();
        if (IsFinal(r.status())) {
          return absl::FailedPreconditionError("the request is closed; it cannot be withdrawn");
        }
        if (!reason.empty()) {
          AddNote(r, account, reason, v1::NOTE_AUDIENCE_WSP_AND_EMPLOYER,
                  v1::CONTACT_REQUEST_STATUS_WITHDRAWN, now);
        }
        AddStatusChange(r, v1::CONTACT_REQUEST_STATUS_WITHDRAWN, account, now);
        return absl::OkStatus();
      },
      response->mutable_contact_request());
  return reactor;
}

grpc::ServerUnaryReactor* ContactRequestService::ClaimContactRequest(
    grpc::CallbackServerContext* context, const v1::ClaimContactRequestRequest* request,
    v1::ClaimContactRequestResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER});
  if (!caller.has_value()) return reactor;
  ChangeRequest(
      context, reactor, *caller, request->name(),
      request->take_over() ? "take_over_contact_request" : "claim_contact_request", "", "",
      [account = caller->account, take_over = request->take_over()](StoredContactRequest& stored,
                                                                    int64_t now) -> absl::Status {
        v1::ContactRequest& r = stored.request;
        if (stored.assigned_to == account.id) return absl::OkStatus();
        if (IsFinal(r.status())) {
          return absl::FailedPreconditionError("the request is closed; it cannot be claimed");
        }
        if (!stored.assigned_to.empty() && !take_over) {
          return absl::FailedPreconditionError(
              "a colleague holds this request; set take_over to take it over");
        }
        stored.assigned_to = account.id;
        FillAccountReference(account, r.mutable_assigned_to());
        if (r.status() == v1::CONTACT_REQUEST_STATUS_NEW) {
          AddStatusChange(r, v1::CONTACT_REQUEST_STATUS_IN_PROGRESS, account, now);
        }
        SetTimestamp(now, r.mutable_last_activity_time());
        return absl::OkStatus();
      },
      response->mutable_contact_request());
  return reactor;
}

grpc::ServerUnaryReactor* ContactRequestService::UpdateContactRequestStatus(
    grpc::CallbackServerContext* context, const v1::UpdateContactRequestStatusRequest* request,
    v1::UpdateContactRequestStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER});
  if (!caller.has_value()) return reactor;
  absl::Status valid = CheckEnumsKnown(*request);
  if (valid.ok() && !IsIdempotencyKey(request->request_id())) {
    valid = InvalidField("request_id", "1 to 64 characters from A-Z, a-z, 0-9, _ and -");
  }
  if (valid.ok() && (request->status() <= v1::CONTACT_REQUEST_STATUS_NEW ||
                     request->status() > v1::CONTACT_REQUEST_STATUS_WITHDRAWN)) {
    valid = InvalidField("status", "one of the statuses after NEW");
  }
  if (valid.ok() && request->note().size() > 2000) {
    valid = InvalidField("note", "at most 2,000 characters");
  }
  if (valid.ok() && request->status() == v1::CONTACT_REQUEST_STATUS_NOT_PLACED &&
      request->note().empty()) {
    valid = InvalidField("note", "required for NOT_PLACED: say why");
  }
  if (!valid.ok()) {
    FinishWith(context, reactor, valid);
    return reactor;
  }
  ChangeRequest(
      context, reactor, *caller, request->name(), "update_contact_request_status",
      request->request_id(), ContentHash(*request),
      [account = caller->account, request](StoredContactRequest& stored,
                                           int64_t now) -> absl::Status {
        v1::ContactRequest& r = stored.request;
        if (stored.assigned_to != account.id) {
          return absl::FailedPreconditionError("claim the request first");
        }
        if (!IsAllowedMove(r.status(), request->status())) {
          return absl::FailedPreconditionError(
              "this status change is not allowed (only forward, not out of a final status)");
        }
        if (!request->note().empty()) {
          AddNote(r, account, request->note(), request->note_audience(), request->status(), now);
        }
        AddStatusChange(r, request->status(), account, now);
        SetTimestamp(now, r.mutable_last_activity_time());
        return absl::OkStatus();
      },
      response->mutable_contact_request());
  return reactor;
}

grpc::ServerUnaryReactor* ContactRequestService::AddContactRequestNote(
    grpc::CallbackServerContext* context, const v1::AddContactRequestNoteRequest* request,
    v1::AddContactRequestNoteResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER});
  if (!caller.has_value()) return reactor;
  absl::Status valid = CheckEnumsKnown(*request);
  if (valid.ok() && !IsIdempotencyKey(request->request_id())) {
    valid = InvalidField("request_id", "1 to 64 characters from A-Z, a-z, 0-9, _ and -");
  }
  if (valid.ok() && (request->text().empty() || request->text().size() > 2000)) {
    valid = InvalidField("text", "1 to 2,000 characters");
  }
  if (!valid.ok()) {
    FinishWith(context, reactor, valid);
    return reactor;
  }
  ChangeRequest(
      context, reactor, *caller, request->name(), "add_contact_request_note", request->request_id(),
      ContentHash(*request),
      [account = caller->account, request](StoredContactRequest& stored,
                                           int64_t now) -> absl::Status {
        AddNote(stored.request, account, request->text(), request->audience(),
                v1::CONTACT_REQUEST_STATUS_UNSPECIFIED, now);
        SetTimestamp(now, stored.request.mutable_last_activity_time());
        return absl::OkStatus();
      },
      response->mutable_contact_request());
  return reactor;
}

}  // namespace verkenner::service
