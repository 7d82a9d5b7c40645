#include "service/store/records.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "service/rpc/error_details.h"

namespace verkenner::service {
namespace {

constexpr char kRequestColumns[] = "id, organisation, created_by, coalesce(assigned_to, ''), body";

absl::StatusOr<StoredContactRequest> ReadRequest(const sql::Statement& row) {
  StoredContactRequest stored;
  stored.id = row.Text(0);
  stored.organisation = row.Text(1);
  stored.created_by = row.Text(2);
  stored.assigned_to = row.Text(3);
  if (!stored.request.ParseFromString(row.Text(4))) {
    return absl::DataLossError("store: a contact request cannot be read");
  }
  return stored;
}

std::string Hex(const unsigned char* bytes, size_t size) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), size));
}

// The message stored in the first column of `select`'s one row, or nullopt when there is no row.
// DataLoss naming `what` when the bytes do not parse.
template <typename Message>
absl::StatusOr<std::optional<Message>> StepToMessage(sql::Statement& select, const char* what) {
  absl::StatusOr<bool> row = select.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  Message message;
  if (!message.ParseFromString(select.Text(0))) {
    return absl::DataLossError(std::string("store: ") + what + " cannot be read");
  }
  return message;
}

}  // namespace

std::string NewResourceId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no randomness: nothing is safe
  return Hex(bytes, sizeof(bytes));
}

absl::StatusOr<std::optional<StoredContactRequest>> LoadContactRequest(sql::Connection& db,
                                                                       const std::string& id) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare(std::string("SELECT ") + kRequestColumns + " FROM contact_request WHERE id = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, id);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  absl::StatusOr<StoredContactRequest> stored = ReadRequest(*select);
  if (!stored.ok()) return stored.status();
  return std::move(*stored);
}

absl::Status SaveContactRequest(sql::Connection& db, const StoredContactRequest& stored) {
  absl::StatusOr<sql::Statement> upsert = db.Prepare(
      "INSERT INTO contact_request (id, organisation, created_by, profile_id, region_code, "
      "status, assigned_to, create_time, last_activity_time, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
      "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
      "assigned_to = excluded.assigned_to, last_activity_time = excluded.last_activity_time, "
      "body = excluded.body");
  if (!upsert.ok()) return upsert.status();
  const v1::ContactRequest& request = stored.request;
  const std::string body = request.SerializeAsString();
  auto micros = [](const google::protobuf::Timestamp& time) {
    return time.seconds() * 1'000'000 + time.nanos() / 1000;
  };
  upsert->Bind(1, stored.id)
      .Bind(2, stored.organisation)
      .Bind(3, stored.created_by)
      .Bind(4, request.profile_id())
      .Bind(5, request.labour_market_region_code())
      .Bind(6, static_cast<int64_t>(request.status()))
      .Bind(8, micros(request.create_time()))
      .Bind(9, micros(request.last_activity_time()))
      .BindBlob(10, body);
  if (stored.assigned_to.empty()) {
    upsert->BindNull(7);
  } else {
    upsert->Bind(7, stored.assigned_to);
  }
  return upsert->Run();
}

absl::StatusOr<std::vector<ContactRequestSummary>> ListContactRequestSummaries(
    sql::Connection& db, bool by_region, const std::string& key) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      std::string("SELECT id, profile_id, status, coalesce(assigned_to, ''), create_time, "
                  "last_activity_time FROM contact_request WHERE ") +
      (by_region ? "region_code" : "organisation") + " = ?1 ORDER BY create_time, id");
  if (!select.ok()) return select.status();
  select->Bind(1, key);
  std::vector<ContactRequestSummary> summaries;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ContactRequestSummary summary;
    summary.id = select->Text(0);
    summary.profile_id = select->Text(1);
    summary.status = static_cast<v1::ContactRequestStatus>(select->Integer(2));
    summary.assigned_to = select->Text(3);
    summary.create_time_micros = select->Integer(4);
    summary.last_activity_time_micros = select->Integer(5);
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

absl::StatusOr<std::optional<v1::Shortlist>> LoadShortlist(sql::Connection& db,
                                                           const std::string& id) {
  absl::StatusOr<sql::Statement> select = db.Prepare("SELECT body FROM shortlist WHERE id = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, id);
  return StepToMessage<v1::Shortlist>(*select, "a shortlist");
}

absl::Status SaveShortlist(sql::Connection& db, const std::string& id,
                           const v1::Shortlist& shortlist) {
  absl::StatusOr<sql::Statement> upsert = db.Prepare(
      "INSERT INTO shortlist (id, region_code, body, create_time) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (id) DO UPDATE SET body = excluded.body");
  if (!upsert.ok()) return upsert.status();
  const std::string body = shortlist.SerializeAsString();  // bound by pointer: keep it alive
  const google::protobuf::Timestamp& created = shortlist.create_time();
  upsert->Bind(1, id)
      .Bind(2, shortlist.labour_market_region_code())
      .BindBlob(3, body)
      .Bind(4, created.seconds() * 1'000'000 + created.nanos() / 1000);
  return upsert->Run();
}

absl::Status DeleteStoredShortlist(sql::Connection& db, const std::string& id) {
  absl::StatusOr<sql::Statement> remove = db.Prepare("DELETE FROM shortlist WHERE id = ?1");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, id);
  if (absl::Status status = remove->Run(); !status.ok()) return status;
  if (db.changes() == 0) return absl::NotFoundError("no such shortlist");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Shortlist>> ListStoredShortlists(sql::Connection& db,
                                                                const std::string& region_code) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare("SELECT body FROM shortlist WHERE region_code = ?1 ORDER BY create_time, id");
  if (!select.ok()) return select.status();
  select->Bind(1, region_code);
  std::vector<v1::Shortlist> shortlists;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (!shortlists.emplace_back().ParseFromString(select->Text(0))) {
      return absl::DataLossError("store: a shortlist cannot be read");
    }
  }
  return shortlists;
}

absl::StatusOr<std::optional<std::string>> FindIdempotencyKey(sql::Connection& db,
                                                              const std::string& account_id,
                                                              const std::string& key,
                                                              const std::string& content_hash) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      "SELECT content_hash, resource FROM idempotency_key WHERE account_id = ?1 AND key = ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, account_id).Bind(2, key);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  if (select->Text(0) != content_hash) {
    return WithReason(absl::AlreadyExistsError("request_id: used before for a different request"),
                      v1::IDEMPOTENCY_KEY_REUSED);
  }
  return select->Text(1);
}

absl::Status RememberIdempotencyKey(sql::Connection& db, const std::string& account_id,
                                    const std::string& key, const std::string& content_hash,
                                    const std::string& resource, int64_t now_micros) {
  absl::StatusOr<sql::Statement> insert = db.Prepare(
      "INSERT INTO idempotency_key (account_id, key, content_hash, resource, create_time) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, account_id)
      .Bind(2, key)
      .Bind(3, content_hash)
      .Bind(4, resource)
      .Bind(5, now_micros);
  return insert->Run();
}

namespace {

constexpr char kSavedColumns[] =
    "s.profile_id, s.note, s.saved_by, a.display_name, a.role, s.create_time, s.update_time "
    "FROM saved_profile s JOIN account a ON a.id = s.saved_by";

SavedProfileRecord ReadSaved(const sql::Statement& row) {
  SavedProfileRecord saved;
  saved.profile_id = row.Text(0);
  saved.note = row.Text(1);
  saved.saved_by = row.Text(2);
  saved.saved_by_display_name = row.Text(3);
  saved.saved_by_role = static_cast<v1::AccountRole>(row.Integer(4));
  saved.create_time_micros = row.Integer(5);
  saved.update_time_micros = row.Integer(6);
  return saved;
}

}  // namespace

absl::StatusOr<std::optional<SavedProfileRecord>> FindSavedProfile(sql::Connection& db,
                                                                   const std::string& organisation,
                                                                   const std::string& profile_id) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      std::string("SELECT ") + kSavedColumns + " WHERE s.organisation = ?1 AND s.profile_id = ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, organisation).Bind(2, profile_id);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return ReadSaved(*select);
}

absl::StatusOr<std::pair<std::vector<SavedProfileRecord>, int64_t>> SavedProfilesOf(
    sql::Connection& db, const std::string& organisation, int64_t offset, int64_t limit) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      std::string("SELECT ") + kSavedColumns +
      " WHERE s.organisation = ?1 ORDER BY s.create_time DESC, s.profile_id LIMIT ?2 OFFSET ?3");
  if (!select.ok()) return select.status();
  select->Bind(1, organisation).Bind(2, limit).Bind(3, offset);
  std::vector<SavedProfileRecord> page;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    page.push_back(ReadSaved(*select));
  }
  absl::StatusOr<sql::Statement> count =
      db.Prepare("SELECT count(*) FROM saved_profile WHERE organisation = ?1");
  if (!count.ok()) return count.status();
  count->Bind(1, organisation);
  absl::StatusOr<bool> counted = count->Step();
  if (!counted.ok()) return counted.status();
  return std::make_pair(std::move(page), count->Integer(0));
}

absl::Status AddSavedProfile(sql::Connection& db, const std::string& organisation,
                             const SavedProfileRecord& saved, int64_t max_per_organisation) {
  absl::StatusOr<std::optional<SavedProfileRecord>> existing =
      FindSavedProfile(db, organisation, saved.profile_id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return WithReason(
        absl::AlreadyExistsError("profile_id: your organisation has saved this profile"),
        v1::ALREADY_ADDED);
  }
  absl::StatusOr<sql::Statement> count =
      db.Prepare("SELECT count(*) FROM saved_profile WHERE organisation = ?1");
  if (!count.ok()) return count.status();
  count->Bind(1, organisation);
  if (absl::StatusOr<bool> row = count->Step(); !row.ok()) return row.status();
  if (count->Integer(0) >= max_per_organisation) {
    return WithReason(absl::ResourceExhaustedError(
                          "your organisation keeps the most saved profiles allowed; delete some "
                          "first"),
                      v1::SAVED_PROFILES_FULL);
  }
  absl::StatusOr<sql::Statement> insert = db.Prepare(
      "INSERT INTO saved_profile (organisation, profile_id, note, saved_by, create_time, "
      "update_time) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, organisation)
      .Bind(2, saved.profile_id)
      .Bind(3, saved.note)
      .Bind(4, saved.saved_by)
      .Bind(5, saved.create_time_micros);
  return insert->Run();
}

absl::Status SetSavedProfileNote(sql::Connection& db, const std::string& organisation,
                                 const std::string& profile_id, const std::string& note,
                                 int64_t now_micros) {
  absl::StatusOr<sql::Statement> update = db.Prepare(
      "UPDATE saved_profile SET note = ?3, update_time = ?4 "
      "WHERE organisation = ?1 AND profile_id = ?2");
  if (!update.ok()) return update.status();
  update->Bind(1, organisation).Bind(2, profile_id).Bind(3, note).Bind(4, now_micros);
  if (absl::Status status = update->Run(); !status.ok()) return status;
  if (db.changes() == 0) return absl::NotFoundError("profile_id: not among your saved profiles");
  return absl::OkStatus();
}

absl::Status RemoveSavedProfile(sql::Connection& db, const std::string& organisation,
                                const std::string& profile_id) {
  absl::StatusOr<sql::Statement> remove =
      db.Prepare("DELETE FROM saved_profile WHERE organisation = ?1 AND profile_id = ?2");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, organisation).Bind(2, profile_id);
  if (absl::Status status = remove->Run(); !status.ok()) return status;
  if (db.changes() == 0) return absl::NotFoundError("profile_id: not among your saved profiles");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::ImportReport>> LoadImportReport(sql::Connection& db,
                                                                 const std::string& source,
                                                                 const std::string& import_id) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare("SELECT report FROM import_run WHERE source = ?1 AND import_id = ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, source).Bind(2, import_id);
  return StepToMessage<v1::ImportReport>(*select, "an import report");
}

absl::Status SaveImportReport(sql::Connection& db, const v1::ImportReport& report,
                              int64_t now_micros) {
  absl::StatusOr<sql::Statement> upsert = db.Prepare(
      "INSERT INTO import_run (source, import_id, state, report, update_time) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (source, import_id) DO UPDATE SET "
      "state = excluded.state, report = excluded.report, update_time = excluded.update_time");
  if (!upsert.ok()) return upsert.status();
  const std::string body = report.SerializeAsString();
  upsert->Bind(1, report.source())
      .Bind(2, report.import_id())
      .Bind(3, static_cast<int64_t>(report.state()))
      .BindBlob(4, body)
      .Bind(5, now_micros);
  return upsert->Run();
}

absl::StatusOr<std::string> ServerSecret(sql::Connection& db, const std::string& name) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare("SELECT value FROM server_secret WHERE name = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, name);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (*row) return std::string(select->Text(0));
  std::string secret(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1) std::abort();
  absl::StatusOr<sql::Statement> insert =
      db.Prepare("INSERT INTO server_secret (name, value) VALUES (?1, ?2)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, name).BindBlob(2, secret);
  if (absl::Status status = insert->Run(); !status.ok()) return status;
  return secret;
}

absl::StatusOr<std::optional<int64_t>> TakeQuotaUse(sql::Connection& db, const std::string& subject,
                                                    int64_t kind, int64_t window_start_micros,
                                                    int64_t limit) {
  absl::StatusOr<sql::Statement> take = db.Prepare(
      "INSERT INTO quota_use (subject, kind, window_start, used) VALUES (?1, ?2, ?3, 1) "
      "ON CONFLICT (subject, kind) DO UPDATE SET "
      "used = CASE WHEN quota_use.window_start = ?3 THEN quota_use.used + 1 ELSE 1 END, "
      "window_start = ?3 WHERE quota_use.window_start != ?3 OR quota_use.used < ?4 "
      "RETURNING used");
  if (!take.ok()) return take.status();
  take->Bind(1, subject).Bind(2, kind).Bind(3, window_start_micros).Bind(4, limit);
  absl::StatusOr<bool> row = take->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();
  const int64_t used = take->Integer(0);
  // Run the statement to its end, as every statement here is (SQLite has made the change by now).
  absl::StatusOr<bool> end = take->Step();
  if (!end.ok()) return end.status();
  return std::optional<int64_t>(used);
}

absl::StatusOr<int64_t> QuotaUses(sql::Connection& db, const std::string& subject, int64_t kind,
                                  int64_t window_start_micros) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      "SELECT used FROM quota_use WHERE subject = ?1 AND kind = ?2 AND window_start = ?3");
  if (!select.ok()) return select.status();
  select->Bind(1, subject).Bind(2, kind).Bind(3, window_start_micros);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  return *row ? select->Integer(0) : 0;
}

absl::StatusOr<int64_t> AppendAudit(sql::Connection& db, const AuditEntry& entry) {
  absl::StatusOr<sql::Statement> insert = db.Prepare(
      "INSERT INTO audit (time, account_id, action, profile_id, resource, purpose, outcome) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, entry.time_micros)
      .Bind(2, entry.account_id)
      .Bind(3, entry.action)
      .Bind(4, entry.profile_id)
      .Bind(5, entry.resource)
      .Bind(6, entry.purpose)
      .Bind(7, entry.outcome);
  absl::StatusOr<bool> row = insert->Step();
  if (!row.ok()) return row.status();
  return insert->Integer(0);
}

absl::StatusOr<std::vector<AuditEntry>> SuccessfulAuditOfProfile(sql::Connection& db,
                                                                 const std::string& profile_id) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      "SELECT time, account_id, action, resource, purpose FROM audit "
      "WHERE profile_id = ?1 AND outcome = 'ok' ORDER BY time, id");
  if (!select.ok()) return select.status();
  select->Bind(1, profile_id);
  std::vector<AuditEntry> rows;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return rows;
    rows.push_back({select->Integer(0), select->Text(1), select->Text(2), profile_id,
                    select->Text(3), select->Text(4), "ok"});
  }
}

namespace {

// Renames every string field called profile_id in `message` and the messages it holds that
// `renames` knows; whether it changed one.
bool RenameProfileIdFields(google::protobuf::Message& message,
                           const std::map<std::string, std::string>& renames) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  bool changed = false;
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          changed |= RenameProfileIdFields(*reflection->MutableRepeatedMessage(&message, field, i),
                                           renames);
        }
      } else {
        changed |= RenameProfileIdFields(*reflection->MutableMessage(&message, field), renames);
      }
    } else if (field->name() == "profile_id" && !field->is_repeated() &&
               field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      auto renamed = renames.find(reflection->GetString(message, field));
      if (renamed != renames.end()) {
        reflection->SetString(&message, field, renamed->second);
        changed = true;
      }
    }
  }
  return changed;
}

// RenameProfileIdFields on every `Body` in table `table` (columns id and body).
template <typename Body>
absl::StatusOr<int64_t> RenameInBodies(sql::Connection& db, const std::string& table,
                                       const std::map<std::string, std::string>& renames) {
  std::vector<std::pair<std::string, std::string>> rewritten;  // id, new body
  {
    absl::StatusOr<sql::Statement> select = db.Prepare("SELECT id, body FROM " + table);
    if (!select.ok()) return select.status();
    while (true) {
      absl::StatusOr<bool> row = select->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      Body body;
      if (!body.ParseFromString(select->Text(1))) {
        return absl::DataLossError(absl::StrCat(table, " ", select->Text(0), " does not parse"));
      }
      if (RenameProfileIdFields(body, renames)) {
        rewritten.emplace_back(select->Text(0), body.SerializeAsString());
      }
    }
  }
  for (const auto& [id, body] : rewritten) {
    // A statement runs once (sql::Statement has no reset): one per row.
    absl::StatusOr<sql::Statement> update =
        db.Prepare("UPDATE " + table + " SET body = ?2 WHERE id = ?1");
    if (!update.ok()) return update.status();
    update->Bind(1, id).BindBlob(2, body);
    if (absl::Status status = update->Run(); !status.ok()) return status;
  }
  return static_cast<int64_t>(rewritten.size());
}

}  // namespace

absl::StatusOr<int64_t> RenameProfileIds(sql::Connection& db,
                                         const std::map<std::string, std::string>& renames) {
  int64_t changed = 0;
  for (const char* table : {"saved_profile", "contact_request", "hidden_profile",
                            "availability_confirmation", "audit"}) {
    const std::string rename =
        absl::StrCat("UPDATE ", table, " SET profile_id = ?2 WHERE profile_id = ?1");
    for (const auto& [from, to] : renames) {
      absl::StatusOr<sql::Statement> update = db.Prepare(rename);  // runs once: one per rename
      if (!update.ok()) return update.status();
      update->Bind(1, from).Bind(2, to);
      if (absl::Status status = update->Run(); !status.ok()) return status;
      changed += db.changes();
    }
  }
  absl::StatusOr<int64_t> requests =
      RenameInBodies<v1::ContactRequest>(db, "contact_request", renames);
  if (!requests.ok()) return requests.status();
  absl::StatusOr<int64_t> shortlists = RenameInBodies<v1::Shortlist>(db, "shortlist", renames);
  if (!shortlists.ok()) return shortlists.status();
  return changed + *requests + *shortlists;
}

absl::Status ReadAudit(sql::Connection& db, const AuditFilter& filter,
                       const std::function<void(const AuditEntry&, const std::string&)>& row) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      "SELECT u.time, u.account_id, u.action, u.profile_id, u.resource, u.purpose, u.outcome, "
      "coalesce(a.email, '') FROM audit u LEFT JOIN account a ON a.id = u.account_id "
      "WHERE (?1 = '' OR u.account_id = ?1) AND (?2 = '' OR u.action = ?2) "
      "AND (?3 = '' OR u.profile_id = ?3) AND u.time >= ?4 AND (?5 = 0 OR u.time < ?5) "
      "ORDER BY u.time, u.id");
  if (!select.ok()) return select.status();
  select->Bind(1, filter.account_id)
      .Bind(2, filter.action)
      .Bind(3, filter.profile_id)
      .Bind(4, filter.since_micros)
      .Bind(5, filter.until_micros);
  while (true) {
    absl::StatusOr<bool> step = select->Step();
    if (!step.ok()) return step.status();
    if (!*step) return absl::OkStatus();
    row({select->Integer(0), select->Text(1), select->Text(2), select->Text(3), select->Text(4),
         select->Text(5), select->Text(6)},
        select->Text(7));
  }
}

absl::StatusOr<std::set<std::string>> HiddenProfileIdsIn(sql::Connection& db) {
  absl::StatusOr<sql::Statement> select = db.Prepare("SELECT profile_id FROM hidden_profile");
  if (!select.ok()) return select.status();
  std::set<std::string> ids;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return ids;
    ids.insert(select->Text(0));
  }
}

absl::StatusOr<std::optional<HiddenProfileRecord>> FindHiddenProfile(
    sql::Connection& db, const std::string& profile_id) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare("SELECT account_id, reason, time FROM hidden_profile WHERE profile_id = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, profile_id);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return HiddenProfileRecord{profile_id, select->Text(0), select->Text(1), select->Integer(2)};
}

absl::Status HideProfile(sql::Connection& db, const HiddenProfileRecord& hidden) {
  absl::StatusOr<sql::Statement> insert = db.Prepare(
      "INSERT INTO hidden_profile (profile_id, account_id, reason, time) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (profile_id) DO UPDATE SET account_id = excluded.account_id, "
      "reason = excluded.reason, time = excluded.time");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, hidden.profile_id)
      .Bind(2, hidden.account_id)
      .Bind(3, hidden.reason)
      .Bind(4, hidden.time_micros);
  if (absl::Status status = insert->Run(); !status.ok()) return status;
  return CountChange(db, kProfileAnnotationsChange);
}

absl::Status UnhideProfile(sql::Connection& db, const std::string& profile_id) {
  absl::StatusOr<sql::Statement> remove =
      db.Prepare("DELETE FROM hidden_profile WHERE profile_id = ?1");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, profile_id);
  if (absl::Status status = remove->Run(); !status.ok()) return status;
  return CountChange(db, kProfileAnnotationsChange);
}

absl::StatusOr<std::map<std::string, int64_t>> AvailabilityConfirmationsIn(sql::Connection& db) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare("SELECT profile_id, day FROM availability_confirmation");
  if (!select.ok()) return select.status();
  std::map<std::string, int64_t> days;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return days;
    days[select->Text(0)] = select->Integer(1);
  }
}

absl::Status RecordAvailabilityConfirmation(sql::Connection& db, const std::string& profile_id,
                                            const std::string& account_id, int64_t day,
                                            int64_t time_micros) {
  absl::StatusOr<sql::Statement> insert = db.Prepare(
      "INSERT INTO availability_confirmation (profile_id, account_id, day, time) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (profile_id) DO UPDATE SET "
      "account_id = excluded.account_id, day = excluded.day, time = excluded.time");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, profile_id).Bind(2, account_id).Bind(3, day).Bind(4, time_micros);
  if (absl::Status status = insert->Run(); !status.ok()) return status;
  return CountChange(db, kProfileAnnotationsChange);
}

absl::StatusOr<int64_t> ChangeCount(sql::Connection& db, const std::string& name) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare("SELECT value FROM change_count WHERE name = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, name);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  return *row ? select->Integer(0) : 0;
}

absl::Status CountChange(sql::Connection& db, const std::string& name) {
  absl::StatusOr<sql::Statement> upsert = db.Prepare(
      "INSERT INTO change_count (name, value) VALUES (?1, 1) "
      "ON CONFLICT (name) DO UPDATE SET value = change_count.value + 1");
  if (!upsert.ok()) return upsert.status();
  upsert->Bind(1, name);
  return upsert->Run();
}

absl::StatusOr<LoginFailures> FindLoginFailures(sql::Connection& db, std::string_view key) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare("SELECT failures, last_time FROM login_failure WHERE key = ?1");
  if (!select.ok()) return select.status();
  select->BindBlob(1, key);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return LoginFailures{};
  return LoginFailures{select->Integer(0), select->Integer(1)};
}

absl::Status PutLoginFailures(sql::Connection& db, std::string_view key,
                              const LoginFailures& failures) {
  absl::StatusOr<sql::Statement> upsert = db.Prepare(
      "INSERT INTO login_failure (key, failures, last_time) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
      "last_time = excluded.last_time");
  if (!upsert.ok()) return upsert.status();
  upsert->BindBlob(1, key).Bind(2, failures.failures).Bind(3, failures.last_micros);
  return upsert->Run();
}

absl::Status ForgetLoginFailures(sql::Connection& db, std::string_view key) {
  absl::StatusOr<sql::Statement> remove = db.Prepare("DELETE FROM login_failure WHERE key = ?1");
  if (!remove.ok()) return remove.status();
  remove->BindBlob(1, key);
  return remove->Run();
}

absl::Status ForgetLoginFailuresBefore(sql::Connection& db, int64_t micros) {
  absl::StatusOr<sql::Statement> remove =
      db.Prepare("DELETE FROM login_failure WHERE last_time < ?1");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, micros);
  return remove->Run();
}

absl::StatusOr<bool> TakeImportLease(sql::Connection& db, const ImportLease& lease,
                                     int64_t now_micros) {
  absl::StatusOr<sql::Statement> take = db.Prepare(
      "INSERT INTO import_lease (source, import_id, holder, received_rows, expire_time) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (source) DO UPDATE SET "
      "import_id = excluded.import_id, holder = excluded.holder, "
      "received_rows = excluded.received_rows, expire_time = excluded.expire_time "
      "WHERE import_lease.expire_time <= ?6 RETURNING source");
  if (!take.ok()) return take.status();
  take->Bind(1, lease.source)
      .Bind(2, lease.import_id)
      .Bind(3, lease.holder)
      .Bind(4, lease.received_rows)
      .Bind(5, lease.expire_micros)
      .Bind(6, now_micros);
  absl::StatusOr<bool> row = take->Step();
  if (!row.ok()) return row.status();
  const bool taken = *row;
  if (taken) {
    absl::StatusOr<bool> end = take->Step();
    if (!end.ok()) return end.status();
  }
  return taken;
}

absl::StatusOr<bool> RenewImportLease(sql::Connection& db, const std::string& source,
                                      const std::string& holder, int64_t received_rows,
                                      int64_t expire_micros) {
  absl::StatusOr<sql::Statement> renew = db.Prepare(
      "UPDATE import_lease SET received_rows = ?3, expire_time = ?4 "
      "WHERE source = ?1 AND holder = ?2");
  if (!renew.ok()) return renew.status();
  renew->Bind(1, source).Bind(2, holder).Bind(3, received_rows).Bind(4, expire_micros);
  if (absl::Status status = renew->Run(); !status.ok()) return status;
  return db.changes() == 1;
}

absl::Status ReleaseImportLease(sql::Connection& db, const std::string& source,
                                const std::string& holder) {
  absl::StatusOr<sql::Statement> remove =
      db.Prepare("DELETE FROM import_lease WHERE source = ?1 AND holder = ?2");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, source).Bind(2, holder);
  return remove->Run();
}

absl::StatusOr<std::optional<ImportLease>> FindImportLease(sql::Connection& db,
                                                           const std::string& source,
                                                           int64_t now_micros) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      "SELECT import_id, holder, received_rows, expire_time FROM import_lease "
      "WHERE source = ?1 AND expire_time > ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, source).Bind(2, now_micros);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ImportLease>();
  return ImportLease{source, select->Text(0), select->Text(1), select->Integer(2),
                     select->Integer(3)};
}

namespace {

constexpr char kIndexWriterColumns[] = "holder, address, location, epoch, expire_time, publication";

IndexWriterClaim IndexWriterClaimOf(sql::Statement& row) {
  return IndexWriterClaim{row.Text(0),    row.Text(1),    row.Text(2),
                          row.Integer(3), row.Integer(4), row.Text(5)};
}

}  // namespace

absl::StatusOr<IndexWriterClaim> ClaimIndexWriter(sql::Connection& db,
                                                  const IndexWriterClaim& claim,
                                                  int64_t now_micros) {
  // One statement, so that two claimants racing on PostgreSQL or SQLite see one winner: the
  // conditional upsert locks the row. The epoch grows only when the holder changes.
  absl::StatusOr<sql::Statement> take = db.Prepare(
      "INSERT INTO index_writer (name, holder, address, location, epoch, expire_time, "
      "publication) VALUES ('index', ?1, ?2, ?3, 1, ?4, ?6) ON CONFLICT (name) DO UPDATE SET "
      "holder = excluded.holder, address = excluded.address, location = excluded.location, "
      "publication = excluded.publication, "
      "epoch = CASE WHEN index_writer.holder = excluded.holder THEN index_writer.epoch "
      "ELSE index_writer.epoch + 1 END, expire_time = excluded.expire_time "
      "WHERE index_writer.holder = excluded.holder OR index_writer.expire_time <= ?5");
  if (!take.ok()) return take.status();
  take->Bind(1, claim.holder)
      .Bind(2, claim.address)
      .Bind(3, claim.location)
      .Bind(4, claim.expire_micros)
      .Bind(5, now_micros)
      .Bind(6, claim.publication);
  if (absl::Status status = take->Run(); !status.ok()) return status;
  absl::StatusOr<sql::Statement> select = db.Prepare(
      absl::StrCat("SELECT ", kIndexWriterColumns, " FROM index_writer WHERE name = 'index'"));
  if (!select.ok()) return select.status();
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::InternalError("the index writer's lease vanished while it was claimed");
  return IndexWriterClaimOf(*select);
}

absl::Status ReleaseIndexWriter(sql::Connection& db, const std::string& holder) {
  // Expired rather than deleted: the epoch must keep growing across holders.
  absl::StatusOr<sql::Statement> release =
      db.Prepare("UPDATE index_writer SET expire_time = 0 WHERE name = 'index' AND holder = ?1");
  if (!release.ok()) return release.status();
  release->Bind(1, holder);
  return release->Run();
}

absl::StatusOr<std::optional<IndexWriterClaim>> FindIndexWriter(sql::Connection& db,
                                                                int64_t now_micros) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare(absl::StrCat("SELECT ", kIndexWriterColumns,
                              " FROM index_writer WHERE name = 'index' AND expire_time > ?1"));
  if (!select.ok()) return select.status();
  select->Bind(1, now_micros);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<IndexWriterClaim>();
  return IndexWriterClaimOf(*select);
}

}  // namespace verkenner::service
