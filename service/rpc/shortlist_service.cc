#include "service/rpc/shortlist_service.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/rpc/contact_request_service.h"
#include "service/rpc/error_details.h"
#include "service/rpc/request_validation.h"
#include "service/rpc/search_service.h"
#include "service/rpc/spreadsheet_csv.h"

namespace verkenner::service {
namespace {

constexpr char kNamePrefix[] = "shortlists/";
// Long titles make unwieldy file names; the date after the slug keeps them apart anyway.
constexpr size_t kMaxSlugLength = 60;

absl::Status NotFound() {
  // The same answer for a shortlist that does not exist and one of another region.
  return absl::NotFoundError("no such shortlist");
}

// The id in "shortlists/<id>", or empty when `name` is not such a name.
std::string ShortlistIdOfName(const std::string& name) {
  if (!name.starts_with(kNamePrefix)) return "";
  const std::string id = name.substr(sizeof(kNamePrefix) - 1);
  if (id.size() != 32 || id.find_first_not_of("0123456789abcdef") != std::string::npos) return "";
  return id;
}

absl::Status CheckName(const std::string& name) {
  if (ShortlistIdOfName(name).empty()) return InvalidField("name", "expected shortlists/<id>");
  return absl::OkStatus();
}

absl::Status CheckContactRequest(const std::string& contact_request) {
  if (!contact_request.empty() && ContactRequestIdOfName(contact_request).empty()) {
    return InvalidField("contact_request", "expected contactRequests/<id>, or empty for none");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckCreateShortlist(const v1::CreateShortlistRequest& request) {
  absl::Status status = CheckIdempotencyKey(request.request_id());
  if (status.ok()) status = CheckCharacters("title", request.title(), 1, kMaxTitleCharacters);
  if (status.ok()) {
    status = CheckCharacters("vacancy_text", request.vacancy_text(), 0, kMaxDescriptionCharacters);
  }
  if (status.ok()) status = CheckContactRequest(request.contact_request());
  return status;
}

namespace {

// The stored shortlist `id` when it belongs to the caller's region; else NotFound.
absl::StatusOr<v1::Shortlist> LoadVisible(sql::Connection& db, const Caller& caller,
                                          const std::string& id) {
  absl::StatusOr<std::optional<v1::Shortlist>> loaded = LoadShortlist(db, id);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value() ||
      (**loaded).labour_market_region_code() != caller.account.region_code) {
    return NotFound();
  }
  return std::move(**loaded);
}

// The shortlist `name` when it is well-formed and belongs to the caller's region, read on the
// calling thread; else InvalidArgument or NotFound.
absl::StatusOr<v1::Shortlist> ReadVisible(Store& store, const Caller& caller,
                                          const std::string& name) {
  if (absl::Status valid = CheckName(name); !valid.ok()) return valid;
  v1::Shortlist found;
  absl::Status read = store.Read([&](sql::Connection& db) {
    absl::StatusOr<v1::Shortlist> loaded = LoadVisible(db, caller, ShortlistIdOfName(name));
    if (!loaded.ok()) return loaded.status();
    found = std::move(*loaded);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  return found;
}

v1::ShortlistEntry* FindEntry(v1::Shortlist& shortlist, const std::string& profile_id) {
  for (v1::ShortlistEntry& entry : *shortlist.mutable_entries()) {
    if (entry.profile_id() == profile_id) return &entry;
  }
  return nullptr;
}

// "0,94": Dutch spreadsheets read a decimal point as a thousands separator or as text. Built
// from integers, so that no locale can change it.
std::string DecimalComma(double value) {
  const int64_t hundredths = std::llround(value * 100);
  const int64_t fraction = hundredths % 100;
  return absl::StrCat(hundredths / 100, fraction < 10 ? ",0" : ",", fraction);
}

std::string Experience(const v1::AnonymousProfile& profile) {
  std::vector<std::string> parts;
  for (const v1::WorkExperience& experience : profile.work_experience()) {
    std::string part = experience.occupation().label();
    if (experience.months() > 0) absl::StrAppend(&part, " (", experience.months(), " mnd)");
    parts.push_back(std::move(part));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

std::string ShortlistCsv(const v1::Shortlist& shortlist) {
  std::string csv = kSpreadsheetCsvStart;
  AppendSpreadsheetRow({"positie", "profiel_id", "woongebied", "arbeidsmarktregio",
                        "opleidingsniveau", "ervaring", "uren_min", "uren_max", "banen",
                        "max_reisafstand_km", "affiniteiten", "ondersteuning", "notitie"},
                       &csv);
  int position = 0;
  for (const v1::ShortlistEntry& entry : shortlist.entries()) {
    std::vector<std::string> row(13);
    row[0] = absl::StrCat(++position);
    row[1] = entry.profile_id();
    // Withdrawn: only what the WSP itself wrote stays, next to the pseudonym.
    if (entry.has_profile()) {
      const v1::AnonymousProfile& profile = entry.profile();
      row[2] = profile.area().name();
      row[3] = profile.area().labour_market_region_name();
      row[4] = profile.education().label();
      row[5] = Experience(profile);
      // Unknown stays empty: 0 would read as "no hours" or "no distance".
      if (profile.has_availability()) {
        row[6] = absl::StrCat(profile.availability().min_hours());
        row[7] = absl::StrCat(profile.availability().max_hours());
        row[8] = DecimalComma(profile.banen());
      }
      if (profile.max_travel_km() > 0) row[9] = absl::StrCat(profile.max_travel_km());
      row[10] = absl::StrJoin(profile.affinities(), ", ");
      row[11] = absl::StrJoin(profile.support_needs(), ", ");
    }
    row[12] = entry.note();
    AppendSpreadsheetRow(row, &csv);
  }
  return csv;
}

std::string ShortlistFilename(const std::string& title, absl::CivilDay day) {
  // U+00C0 to U+00FF (two bytes in UTF-8, the first 0xC3) by their plain letter, so that
  // "Café" gives "cafe"; "-" for the two signs among them.
  static constexpr char kLatin1Letters[] =
      "AAAAAAACEEEEIIIIDNOOOOO-OUUUUYTsaaaaaaaceeeeiiiidnooooo-ouuuuyty";
  std::string slug;
  bool gap = false;
  for (size_t i = 0; i < title.size() && slug.size() < kMaxSlugLength; ++i) {
    const unsigned char c = static_cast<unsigned char>(title[i]);
    char letter = '-';
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      letter = static_cast<char>(c);
    } else if (c >= 'A' && c <= 'Z') {
      letter = static_cast<char>(c - 'A' + 'a');
    } else if (c == 0xC3 && i + 1 < title.size() &&
               (static_cast<unsigned char>(title[i + 1]) & 0xC0) == 0x80) {
      letter = kLatin1Letters[static_cast<unsigned char>(title[++i]) - 0x80];
      if (letter >= 'A' && letter <= 'Z') letter = static_cast<char>(letter - 'A' + 'a');
    }
    if (letter == '-') {
      gap = !slug.empty();
      continue;
    }
    if (gap) slug.push_back('-');
    gap = false;
    slug.push_back(letter);
  }
  return absl::StrCat("shortlist-", slug, slug.empty() ? "" : "-", absl::FormatCivilTime(day),
                      ".csv");
}

ShortlistService::ShortlistService(const ServiceEnvironment* environment,
                                   engine::SearcherPool* pool, std::function<int64_t()> today)
    : environment_(*environment), pool_(pool), today_(std::move(today)) {}

void ShortlistService::ShowProfiles(v1::Shortlist shortlist,
                                    std::function<void(absl::StatusOr<v1::Shortlist>)> then) {
  pool_->Submit([this, shortlist = std::move(shortlist), then = std::move(then),
                 today = today_()](engine::Searcher& searcher) mutable {
    for (v1::ShortlistEntry& entry : *shortlist.mutable_entries()) {
      // Withdrawn or ended: the entry stays, with its note, without the profile. Index trouble
      // fails the call: an export would otherwise silently lose profiles.
      absl::StatusOr<std::optional<v1::AnonymousProfile>> profile =
          CurrentProfile(searcher, *environment_.reference_data, entry.profile_id(), today);
      if (!profile.ok()) {
        then(profile.status());
        return;
      }
      if (profile->has_value()) *entry.mutable_profile() = std::move(**profile);
    }
    then(std::move(shortlist));
  });
}

void ShortlistService::ShowAndFinish(UnaryCall call, v1::Shortlist shortlist, v1::Shortlist* out) {
  ShowProfiles(std::move(shortlist), [call, out](absl::StatusOr<v1::Shortlist> shown) {
    if (shown.ok()) *out = std::move(*shown);
    call.Finish(shown.status());
  });
}

Answer ShortlistService::ChangeShortlist(UnaryCall call, const Caller& caller,
                                         const std::string& name, Change change, v1::Shortlist* out,
                                         std::optional<AuditEntry> audit) {
  if (absl::Status valid = CheckName(name); !valid.ok()) return valid;
  const int64_t now = absl::ToUnixMicros(environment_.now());
  auto stored = std::make_shared<v1::Shortlist>();
  environment_.store->Write(
      [caller, id = ShortlistIdOfName(name), change = std::move(change), now, stored,
       audit = std::move(audit)](sql::Connection& db) mutable -> absl::Status {
        // Loaded, checked and saved in one write: two colleagues changing the same shortlist
        // at once each see the other's change.
        absl::StatusOr<v1::Shortlist> loaded = LoadVisible(db, caller, id);
        if (!loaded.ok()) return loaded.status();
        *stored = std::move(*loaded);
        const std::string before = stored->SerializeAsString();
        if (absl::Status status = change(*stored, caller, now); !status.ok()) return status;
        // A retry, the same order, the same note: nothing changed, so nothing to write.
        if (stored->SerializeAsString() == before) return absl::OkStatus();
        stored->set_entry_count(stored->entries_size());
        SetTimestamp(now, stored->mutable_update_time());
        if (absl::Status saved = SaveShortlist(db, id, *stored); !saved.ok()) return saved;
        if (!audit.has_value()) return absl::OkStatus();
        audit->time_micros = now;
        return AppendAudit(db, *audit).status();
      },
      [this, call, stored, out](absl::Status status) {
        if (!status.ok()) {
          call.Finish(status);
          return;
        }
        ShowAndFinish(call, std::move(*stored), out);
      });
  return Answer::Later();
}

namespace {

// The write of CreateShortlist: the shortlist a retry of `request` made (as it stands now), or a
// new one of the caller's region, saved with its idempotency key.
absl::Status CreateOrReplay(sql::Connection& db, const v1::CreateShortlistRequest& request,
                            const Caller& caller, const std::string& content_hash, int64_t now,
                            v1::Shortlist& stored) {
  // Checked in the same write as the creation: a retry finds the key and the shortlist, or
  // neither.
  absl::StatusOr<std::optional<std::string>> earlier =
      FindIdempotencyKey(db, caller.account.id, request.request_id(), content_hash);
  if (!earlier.ok()) return earlier.status();
  if (earlier->has_value()) {
    // As it stands now; NotFound once it has been deleted, as for any call on it.
    absl::StatusOr<v1::Shortlist> first = LoadVisible(db, caller, ShortlistIdOfName(**earlier));
    if (!first.ok()) return first.status();
    stored = std::move(*first);
    return absl::OkStatus();
  }
  if (!request.contact_request().empty()) {
    absl::StatusOr<std::optional<StoredContactRequest>> belongs =
        LoadContactRequest(db, ContactRequestIdOfName(request.contact_request()));
    if (!belongs.ok()) return belongs.status();
    if (!belongs->has_value() ||
        (**belongs).request.labour_market_region_code() != caller.account.region_code) {
      return absl::NotFoundError("contact_request: no such contact request in your region");
    }
  }
  const std::string id = NewResourceId();
  stored.set_name(kNamePrefix + id);
  stored.set_title(request.title());
  stored.set_vacancy_text(request.vacancy_text());
  stored.set_contact_request(request.contact_request());
  stored.set_labour_market_region_code(caller.account.region_code);
  FillAccountReference(caller.account, stored.mutable_created_by());
  stored.set_entry_count(0);
  SetTimestamp(now, stored.mutable_create_time());
  SetTimestamp(now, stored.mutable_update_time());
  if (absl::Status status = SaveShortlist(db, id, stored); !status.ok()) return status;
  return RememberIdempotencyKey(db, caller.account.id, request.request_id(), content_hash,
                                stored.name(), now);
}

// Most recently changed first; the newer of two changed at once first, then by name, so that
// pages never overlap.
bool ChangedMoreRecently(const v1::Shortlist& a, const v1::Shortlist& b) {
  const int64_t a_update = MicrosOf(a.update_time()), b_update = MicrosOf(b.update_time());
  if (a_update != b_update) return a_update > b_update;
  const int64_t a_create = MicrosOf(a.create_time()), b_create = MicrosOf(b.create_time());
  if (a_create != b_create) return a_create > b_create;
  return a.name() < b.name();
}

// The checks of a call on one entry of a shortlist.
absl::Status CheckEntryCall(const std::string& name, const std::string& profile_id) {
  absl::Status status = CheckName(name);
  if (status.ok()) status = CheckProfileId(profile_id);
  return status;
}

// The audit rows of an export: one per entry, so that "who exported profile X" has an answer;
// one without a profile for an empty shortlist, so that every export leaves a trace.
std::vector<AuditEntry> ExportAudit(const v1::Shortlist& shortlist, const std::string& account_id,
                                    int64_t now_micros) {
  std::vector<AuditEntry> audit;
  for (const v1::ShortlistEntry& entry : shortlist.entries()) {
    audit.push_back({now_micros, account_id, "export_shortlist", entry.profile_id(),
                     shortlist.name(), "", "ok"});
  }
  if (audit.empty()) {
    audit.push_back({now_micros, account_id, "export_shortlist", "", shortlist.name(), "", "ok"});
  }
  return audit;
}

}  // namespace

grpc::ServerUnaryReactor* ShortlistService::CreateShortlist(
    grpc::CallbackServerContext* context, const v1::CreateShortlistRequest* request,
    v1::CreateShortlistResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckCreateShortlist(*request); !valid.ok()) return valid;
        auto stored = std::make_shared<v1::Shortlist>();
        environment_.store->Write(
            [request, caller, content_hash = ContentHash(*request),
             now = absl::ToUnixMicros(environment_.now()), stored](sql::Connection& db) {
              return CreateOrReplay(db, *request, caller, content_hash, now, *stored);
            },
            [this, call, response, stored](absl::Status status) {
              if (!status.ok()) {
                call.Finish(status);
                return;
              }
              ShowAndFinish(call, std::move(*stored), response->mutable_shortlist());
            });
        return Answer::Later();
      });
}

grpc::ServerUnaryReactor* ShortlistService::GetShortlist(grpc::CallbackServerContext* context,
                                                         const v1::GetShortlistRequest* request,
                                                         v1::GetShortlistResponse* response) {
  return AnswerCaller(environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
                      [&](UnaryCall call, const Caller& caller) -> Answer {
                        absl::StatusOr<v1::Shortlist> found =
                            ReadVisible(*environment_.store, caller, request->name());
                        if (!found.ok()) return found.status();
                        ShowAndFinish(call, std::move(*found), response->mutable_shortlist());
                        return Answer::Later();
                      });
}

grpc::ServerUnaryReactor* ShortlistService::ListShortlists(grpc::CallbackServerContext* context,
                                                           const v1::ListShortlistsRequest* request,
                                                           v1::ListShortlistsResponse* response) {
  return AnswerCaller(environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
                      [&](UnaryCall, const Caller& caller) -> Answer {
                        if (absl::Status valid = CheckContactRequest(request->contact_request());
                            !valid.ok()) {
                          return valid;
                        }
                        absl::StatusOr<ListPage> page = ListPage::Of(*request);
                        if (!page.ok()) return page.status();
                        return environment_.store->Read([&](sql::Connection& db) {
                          absl::StatusOr<std::vector<v1::Shortlist>> all =
                              ListStoredShortlists(db, caller.account.region_code);
                          if (!all.ok()) return all.status();
                          std::vector<v1::Shortlist> shown;
                          for (v1::Shortlist& shortlist : *all) {
                            if (request->contact_request().empty() ||
                                shortlist.contact_request() == request->contact_request()) {
                              shown.push_back(std::move(shortlist));
                            }
                          }
                          std::sort(shown.begin(), shown.end(), ChangedMoreRecently);
                          const int total = static_cast<int>(shown.size());
                          response->set_total_size(total);
                          for (int i = page->begin(); i < page->end(total); ++i) {
                            v1::Shortlist* out = response->add_shortlists();
                            *out = std::move(shown[i]);
                            out->clear_entries();
                          }
                          response->set_next_page_token(page->NextToken(total));
                          return absl::OkStatus();
                        });
                      });
}

grpc::ServerUnaryReactor* ShortlistService::DeleteShortlist(
    grpc::CallbackServerContext* context, const v1::DeleteShortlistRequest* request,
    v1::DeleteShortlistResponse*) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckName(request->name()); !valid.ok()) return valid;
        environment_.store->Write(
            [caller, id = ShortlistIdOfName(request->name())](sql::Connection& db) -> absl::Status {
              absl::StatusOr<v1::Shortlist> loaded = LoadVisible(db, caller, id);
              if (!loaded.ok()) return loaded.status();
              return DeleteStoredShortlist(db, id);
            },
            [call](absl::Status status) { call.Finish(status); });
        return Answer::Later();
      });
}

grpc::ServerUnaryReactor* ShortlistService::AddShortlistEntry(
    grpc::CallbackServerContext* context, const v1::AddShortlistEntryRequest* request,
    v1::AddShortlistEntryResponse* response) {
  return AnswerCaller(environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
                      [&](UnaryCall call, const Caller& caller) -> Answer {
                        absl::Status valid = CheckEntryCall(request->name(), request->profile_id());
                        if (valid.ok()) valid = CheckNote("note", request->note());
                        if (!valid.ok()) return valid;
                        // Only an active profile can be added: look it up first, then change the
                        // shortlist.
                        pool_->Submit([this, call, request, response, caller,
                                       today = today_()](engine::Searcher& searcher) {
                          absl::StatusOr<engine::CandidateMatch> match =
                              searcher.GetProfile(request->profile_id(), today);
                          if (!match.ok() && !absl::IsNotFound(match.status())) {
                            call.Finish(match.status());
                            return;
                          }
                          // The candidate's right of access names who shortlisted them.
                          const AuditEntry audit{0,
                                                 caller.account.id,
                                                 "add_shortlist_entry",
                                                 request->profile_id(),
                                                 request->name(),
                                                 "",
                                                 "ok"};
                          ChangeShortlist(call, caller, request->name(),
                                          AddEntry(*request, match.ok()),
                                          response->mutable_shortlist(), audit)
                              .FinishNow(call);
                        });
                        return Answer::Later();
                      });
}

ShortlistService::Change ShortlistService::AddEntry(const v1::AddShortlistEntryRequest& request,
                                                    bool active) {
  return [&request, active](v1::Shortlist& shortlist, const Caller& adder,
                            int64_t now) -> absl::Status {
    // Before the active check: the retry of a call that succeeded is ALREADY_EXISTS even after
    // the profile was withdrawn.
    if (FindEntry(shortlist, request.profile_id()) != nullptr) {
      return WithReason(absl::AlreadyExistsError("profile_id: already on this shortlist"),
                        v1::ALREADY_ADDED);
    }
    if (!active) return absl::NotFoundError("profile_id: no active profile has this id");
    if (shortlist.entries_size() >= kMaxEntries) {
      return WithReason(
          absl::ResourceExhaustedError("a shortlist holds at most 200 entries; remove some first"),
          v1::SHORTLIST_FULL);
    }
    v1::ShortlistEntry* entry = shortlist.add_entries();
    entry->set_profile_id(request.profile_id());
    entry->set_note(request.note());
    FillAccountReference(adder.account, entry->mutable_added_by());
    SetTimestamp(now, entry->mutable_create_time());
    SetTimestamp(now, entry->mutable_update_time());
    return absl::OkStatus();
  };
}

grpc::ServerUnaryReactor* ShortlistService::RemoveShortlistEntry(
    grpc::CallbackServerContext* context, const v1::RemoveShortlistEntryRequest* request,
    v1::RemoveShortlistEntryResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        if (absl::Status valid = CheckEntryCall(request->name(), request->profile_id());
            !valid.ok()) {
          return valid;
        }
        return ChangeShortlist(
            call, caller, request->name(),
            [request](v1::Shortlist& shortlist, const Caller&, int64_t) -> absl::Status {
              auto* entries = shortlist.mutable_entries();
              auto found = std::find_if(entries->begin(), entries->end(),
                                        [&](const v1::ShortlistEntry& entry) {
                                          return entry.profile_id() == request->profile_id();
                                        });
              if (found == entries->end()) {
                return absl::NotFoundError("profile_id: not on this shortlist");
              }
              entries->erase(found);
              return absl::OkStatus();
            },
            response->mutable_shortlist());
      });
}

grpc::ServerUnaryReactor* ShortlistService::ReorderShortlistEntries(
    grpc::CallbackServerContext* context, const v1::ReorderShortlistEntriesRequest* request,
    v1::ReorderShortlistEntriesResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        absl::Status valid = CheckName(request->name());
        const std::set<std::string> distinct(request->profile_ids().begin(),
                                             request->profile_ids().end());
        if (valid.ok() && distinct.size() != static_cast<size_t>(request->profile_ids_size())) {
          valid = InvalidField("profile_ids", "holds a profile more than once");
        }
        if (!valid.ok()) return valid;
        return ChangeShortlist(call, caller, request->name(), Reorder(*request),
                               response->mutable_shortlist());
      });
}

ShortlistService::Change ShortlistService::Reorder(
    const v1::ReorderShortlistEntriesRequest& request) {
  return [&request](v1::Shortlist& shortlist, const Caller&, int64_t) -> absl::Status {
    const absl::Status changed_meanwhile =
        WithReason(absl::FailedPreconditionError("profile_ids: not the profiles on the shortlist "
                                                 "(it changed meanwhile?); read it again"),
                   v1::SHORTLIST_CHANGED);
    // The ids are distinct (checked by the handler) and so are the entries: the same count and
    // every id found make the new order a permutation.
    if (request.profile_ids_size() != shortlist.entries_size()) return changed_meanwhile;
    std::vector<v1::ShortlistEntry> ordered;
    for (const std::string& profile_id : request.profile_ids()) {
      v1::ShortlistEntry* entry = FindEntry(shortlist, profile_id);
      if (entry == nullptr) return changed_meanwhile;
      ordered.push_back(*entry);
    }
    shortlist.clear_entries();
    for (v1::ShortlistEntry& entry : ordered) *shortlist.add_entries() = std::move(entry);
    return absl::OkStatus();
  };
}

grpc::ServerUnaryReactor* ShortlistService::UpdateShortlistEntryNote(
    grpc::CallbackServerContext* context, const v1::UpdateShortlistEntryNoteRequest* request,
    v1::UpdateShortlistEntryNoteResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        absl::Status valid = CheckEntryCall(request->name(), request->profile_id());
        if (valid.ok()) valid = CheckNote("note", request->note());
        if (!valid.ok()) return valid;
        return ChangeShortlist(
            call, caller, request->name(),
            [request](v1::Shortlist& shortlist, const Caller&, int64_t now) -> absl::Status {
              v1::ShortlistEntry* entry = FindEntry(shortlist, request->profile_id());
              if (entry == nullptr) return absl::NotFoundError("profile_id: not on this shortlist");
              if (entry->note() == request->note()) return absl::OkStatus();  // a retry
              entry->set_note(request->note());
              SetTimestamp(now, entry->mutable_update_time());
              return absl::OkStatus();
            },
            response->mutable_shortlist());
      });
}

grpc::ServerUnaryReactor* ShortlistService::ExportShortlist(
    grpc::CallbackServerContext* context, const v1::ExportShortlistRequest* request,
    v1::ExportShortlistResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        absl::StatusOr<v1::Shortlist> found =
            ReadVisible(*environment_.store, caller, request->name());
        if (!found.ok()) return found.status();
        ShowProfiles(std::move(*found), [this, call, response, account_id = caller.account.id](
                                            absl::StatusOr<v1::Shortlist> shown) {
          if (!shown.ok()) {
            call.Finish(shown.status());
            return;
          }
          const absl::Time now = environment_.now();
          response->set_content_type("text/csv; charset=utf-8");
          response->set_content(ShortlistCsv(*shown));
          // Export dates are the users' dates: Dutch ones.
          response->set_filename(
              ShortlistFilename(shown->title(), absl::ToCivilDay(now, AmsterdamTimeZone())));
          // The file goes out only once its audit rows have committed.
          environment_.store->Write(
              [audit =
                   ExportAudit(*shown, account_id, absl::ToUnixMicros(now))](sql::Connection& db) {
                for (const AuditEntry& entry : audit) {
                  if (absl::Status status = AppendAudit(db, entry).status(); !status.ok()) {
                    return status;
                  }
                }
                return absl::OkStatus();
              },
              [call, response](absl::Status status) {
                if (!status.ok()) response->Clear();
                call.Finish(status);
              });
        });
        return Answer::Later();
      });
}

}  // namespace verkenner::service
