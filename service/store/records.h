#ifndef VERKENNER_SERVICE_STORE_RECORDS_H_
#define VERKENNER_SERVICE_STORE_RECORDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/sha256.h"
#include "base/sql/connection.h"
#include "verkenner/v1/contact_requests.pb.h"
#include "verkenner/v1/profile_import.pb.h"
#include "verkenner/v1/sessions.pb.h"
#include "verkenner/v1/shortlists.pb.h"

// Contact requests, shortlists, idempotency keys, quota counts and the audit log in the store
// (service/store/store.h). Functions take the connection of a Store::Read or Store::Write; they
// never commit themselves.
namespace verkenner::service {

// A contact request with what the store filters and checks ownership on.
struct StoredContactRequest {
  std::string id;              // the resource name is "contactRequests/<id>"
  std::string organisation;    // of the employer that sent it
  std::string created_by;      // account id
  std::string assigned_to;     // account id, empty while nobody holds it
  v1::ContactRequest request;  // as the API shows it to the WSP (all notes)
};

// A new random id for a resource: 16 random bytes as hex. Ids are never sequential, so that they
// do not reveal how many resources others have.
std::string NewResourceId();
// SHA-256 of `bytes` as 64 lowercase hexadecimal characters (the one rule, in base).
using base::Sha256Hex;

absl::StatusOr<std::optional<StoredContactRequest>> LoadContactRequest(sql::Connection& db,
                                                                       const std::string& id);
// Inserts or replaces the request (by id).
absl::Status SaveContactRequest(sql::Connection& db, const StoredContactRequest& stored);
// What a list of contact requests filters and orders on, read from columns alone (no message
// parsing), so that a list costs little per request it skips.
struct ContactRequestSummary {
  std::string id;
  std::string profile_id;
  v1::ContactRequestStatus status = v1::CONTACT_REQUEST_STATUS_UNSPECIFIED;
  std::string assigned_to;  // account id, or empty
  int64_t create_time_micros = 0;
  int64_t last_activity_time_micros = 0;
};
// Every request of an organisation (`by_region` false) or of a region (`by_region` true), oldest
// first.
absl::StatusOr<std::vector<ContactRequestSummary>> ListContactRequestSummaries(
    sql::Connection& db, bool by_region, const std::string& key);

// Shortlists are stored whole: the v1::Shortlist as the API shows it, with its name, but with
// entries without their `profile` (the index holds profiles; a stored copy would outlive a
// withdrawal). `id` is the id in "shortlists/<id>".
absl::StatusOr<std::optional<v1::Shortlist>> LoadShortlist(sql::Connection& db,
                                                           const std::string& id);
// Inserts or replaces the shortlist (by id); its region is labour_market_region_code.
absl::Status SaveShortlist(sql::Connection& db, const std::string& id,
                           const v1::Shortlist& shortlist);
// Removes it; NotFound when there is no shortlist `id`.
absl::Status DeleteStoredShortlist(sql::Connection& db, const std::string& id);
// Every shortlist of the region, oldest first.
absl::StatusOr<std::vector<v1::Shortlist>> ListStoredShortlists(sql::Connection& db,
                                                                const std::string& region_code);

// What an idempotency key stands for: the resource its first call made or changed. Nullopt when
// the key is new; AlreadyExists when it was used with a different `content_hash`.
absl::StatusOr<std::optional<std::string>> FindIdempotencyKey(sql::Connection& db,
                                                              const std::string& account_id,
                                                              const std::string& key,
                                                              const std::string& content_hash);
absl::Status RememberIdempotencyKey(sql::Connection& db, const std::string& account_id,
                                    const std::string& key, const std::string& content_hash,
                                    const std::string& resource, int64_t now_micros);

// A profile an employer organisation saved, with its note.
struct SavedProfileRecord {
  std::string profile_id;
  std::string note;
  std::string saved_by;               // account id
  std::string saved_by_display_name;  // as the account is called now
  v1::AccountRole saved_by_role = v1::ACCOUNT_ROLE_UNSPECIFIED;
  int64_t create_time_micros = 0;
  int64_t update_time_micros = 0;
};

// The organisation's saved profile, or nullopt.
absl::StatusOr<std::optional<SavedProfileRecord>> FindSavedProfile(sql::Connection& db,
                                                                   const std::string& organisation,
                                                                   const std::string& profile_id);
// The organisation's saved profiles, most recently saved first, `limit` from `offset`, and how
// many it has in all.
absl::StatusOr<std::pair<std::vector<SavedProfileRecord>, int64_t>> SavedProfilesOf(
    sql::Connection& db, const std::string& organisation, int64_t offset, int64_t limit);
// Adds a saved profile. AlreadyExists when the organisation saved it before; ResourceExhausted
// when it keeps `max_per_organisation` already.
absl::Status AddSavedProfile(sql::Connection& db, const std::string& organisation,
                             const SavedProfileRecord& saved, int64_t max_per_organisation);
// Replaces the note; NotFound when the organisation has not saved the profile.
absl::Status SetSavedProfileNote(sql::Connection& db, const std::string& organisation,
                                 const std::string& profile_id, const std::string& note,
                                 int64_t now_micros);
// Removes it; NotFound when the organisation has not saved the profile.
absl::Status RemoveSavedProfile(sql::Connection& db, const std::string& organisation,
                                const std::string& profile_id);

// The report of an import through the API, by source and import id; nullopt when there is none.
absl::StatusOr<std::optional<v1::ImportReport>> LoadImportReport(sql::Connection& db,
                                                                 const std::string& source,
                                                                 const std::string& import_id);
// Inserts or replaces the report (by its source and import id).
absl::Status SaveImportReport(sql::Connection& db, const v1::ImportReport& report,
                              int64_t now_micros);

// The server's secret `name` (32 random bytes), made and stored on first use, so it outlives
// restarts. Needs a write connection.
absl::StatusOr<std::string> ServerSecret(sql::Connection& db, const std::string& name);

// Counts one use of quota `kind` (QuotaLimiter::Kind) by `subject` in the window that starts at
// `window_start_micros`, unless `limit` uses are counted in that window already; a count of an
// earlier window starts over. One conditional statement, so concurrent writers cannot overshoot.
// Returns the uses counted in the window now, or nullopt when the limit was reached (nothing
// counted).
absl::StatusOr<std::optional<int64_t>> TakeQuotaUse(sql::Connection& db, const std::string& subject,
                                                    int64_t kind, int64_t window_start_micros,
                                                    int64_t limit);
// The uses of quota `kind` by `subject` counted in the window that starts at
// `window_start_micros` (0 when its count is of another window).
absl::StatusOr<int64_t> QuotaUses(sql::Connection& db, const std::string& subject, int64_t kind,
                                  int64_t window_start_micros);

// One row of the audit log: who did what to which profile, when, why, and how it ended.
struct AuditEntry {
  int64_t time_micros = 0;
  std::string account_id;
  std::string action;      // e.g. "view_profile", "create_contact_request", "resolve_identity"
  std::string profile_id;  // pseudonym, or empty
  std::string resource;    // e.g. "contactRequests/...", or empty
  std::string purpose;     // identity resolution: the stated purpose
  std::string outcome;     // "ok" or the error code's name
};
// Appends the entry; returns its id.
absl::StatusOr<int64_t> AppendAudit(sql::Connection& db, const AuditEntry& entry);
// The audit rows about `profile_id` whose outcome is "ok", oldest first.
absl::StatusOr<std::vector<AuditEntry>> SuccessfulAuditOfProfile(sql::Connection& db,
                                                                 const std::string& profile_id);

// Gives every profile id of `renames` (old id -> new id) its new id wherever the store names one:
// saved profiles, contact requests (column and serialized body), shortlists (body), hidden
// profiles, confirmed availability and the audit log. Idempotent: a second call with the same
// renames changes nothing. Returns the rows it changed. For the pseudonym key's rotation.
absl::StatusOr<int64_t> RenameProfileIds(sql::Connection& db,
                                         const std::map<std::string, std::string>& renames);

// Which audit rows an operator reads (verkenner-admin audit); an empty field or 0 selects any.
struct AuditFilter {
  std::string account_id;
  std::string action;
  std::string profile_id;
  int64_t since_micros = 0;  // from this time on
  int64_t until_micros = 0;  // before this time
};
// Calls `row` with each audit row `filter` selects, oldest first, and the e-mail address of its
// account ("" when no account has the id, as for verkenner-admin's own rows). Streams: the log
// may be long.
absl::Status ReadAudit(sql::Connection& db, const AuditFilter& filter,
                       const std::function<void(const AuditEntry&, const std::string&)>& row);

// A profile an organisation acting for the candidate hid from employers (AVG art. 21).
struct HiddenProfileRecord {
  std::string profile_id;
  std::string account_id;  // who hid it
  std::string reason;
  int64_t time_micros = 0;
};
// Every hidden profile's id.
absl::StatusOr<std::set<std::string>> HiddenProfileIdsIn(sql::Connection& db);
// Why and by whom `profile_id` is hidden; nullopt when it is not.
absl::StatusOr<std::optional<HiddenProfileRecord>> FindHiddenProfile(sql::Connection& db,
                                                                     const std::string& profile_id);
// Hides the profile, replacing an earlier hiding's account, reason and time.
absl::Status HideProfile(sql::Connection& db, const HiddenProfileRecord& hidden);
// Shows it again; nothing to do when it is not hidden.
absl::Status UnhideProfile(sql::Connection& db, const std::string& profile_id);

// The day (since 1970-01-01) a WSP last confirmed each profile's availability.
absl::StatusOr<std::map<std::string, int64_t>> AvailabilityConfirmationsIn(sql::Connection& db);
// Records that `account_id` confirmed the availability of `profile_id` on `day`, replacing an
// earlier confirmation.
absl::Status RecordAvailabilityConfirmation(sql::Connection& db, const std::string& profile_id,
                                            const std::string& account_id, int64_t day,
                                            int64_t time_micros);

// How often the shared state `name` changed (0 when never). An instance that caches the state
// reads this count before it uses its copy, and reads the state again when the count moved: so a
// change made on one instance shows on every instance at once.
absl::StatusOr<int64_t> ChangeCount(sql::Connection& db, const std::string& name);
// Counts one change of `name`, in the transaction that makes the change.
absl::Status CountChange(sql::Connection& db, const std::string& name);
// The change count of hidden profiles and availability confirmations (counted by HideProfile,
// UnhideProfile and RecordAvailabilityConfirmation themselves).
inline constexpr char kProfileAnnotationsChange[] = "profile_annotations";

// Failed logins counted against one key (LoginThrottle: a keyed hash of a rule and its account,
// address or both).
struct LoginFailures {
  int64_t failures = 0;
  int64_t last_micros = 0;  // the last failure
};
// The failures of `key`; zero failures when none are recorded.
absl::StatusOr<LoginFailures> FindLoginFailures(sql::Connection& db, std::string_view key);
absl::Status PutLoginFailures(sql::Connection& db, std::string_view key,
                              const LoginFailures& failures);
absl::Status ForgetLoginFailures(sql::Connection& db, std::string_view key);
// Removes every count whose last failure was before `micros`.
absl::Status ForgetLoginFailuresBefore(sql::Connection& db, int64_t micros);

// The import through the API that one instance runs for a source: at most one per source, across
// instances (ProfileImportService).
struct ImportLease {
  std::string source;
  std::string import_id;
  std::string holder;  // the instance that runs it
  int64_t received_rows = 0;
  int64_t expire_micros = 0;
};
// Takes the lease of `lease.source` unless another holder's lease is still valid at `now_micros`.
// True when taken.
absl::StatusOr<bool> TakeImportLease(sql::Connection& db, const ImportLease& lease,
                                     int64_t now_micros);
// Extends the lease `holder` holds for `source` and records its progress. False when it no longer
// holds it (it expired and another instance took it).
absl::StatusOr<bool> RenewImportLease(sql::Connection& db, const std::string& source,
                                      const std::string& holder, int64_t received_rows,
                                      int64_t expire_micros);
// Gives up the lease `holder` holds for `source` (nothing when it holds none).
absl::Status ReleaseImportLease(sql::Connection& db, const std::string& source,
                                const std::string& holder);
// The lease of `source` that is valid at `now_micros`, if any.
absl::StatusOr<std::optional<ImportLease>> FindImportLease(sql::Connection& db,
                                                           const std::string& source,
                                                           int64_t now_micros);

// The lease of the index writer: the one process that may commit to the index the instances
// serve (service/index_writer_lease.h).
struct IndexWriterClaim {
  std::string holder;
  std::string address;   // where imports go (its gRPC address); empty for verkenner-index
  std::string location;  // its index directory, host:/path
  int64_t epoch = 0;     // grows each time another holder takes the lease
  int64_t expire_micros = 0;
  // Where followers fetch its index publication: its metrics listener's address; empty when it
  // publishes none (a tool).
  std::string publication;
};
// Takes the lease for `claim.holder`, or renews it when it is already theirs, unless another
// holder's lease is valid at `now_micros`. Returns the lease valid afterwards: the claimant's
// (with its epoch) or the other holder's.
absl::StatusOr<IndexWriterClaim> ClaimIndexWriter(sql::Connection& db,
                                                  const IndexWriterClaim& claim,
                                                  int64_t now_micros);
// Gives up the lease `holder` holds (nothing when it holds none).
absl::Status ReleaseIndexWriter(sql::Connection& db, const std::string& holder);
// The lease valid at `now_micros`, if any.
absl::StatusOr<std::optional<IndexWriterClaim>> FindIndexWriter(sql::Connection& db,
                                                                int64_t now_micros);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_STORE_RECORDS_H_
