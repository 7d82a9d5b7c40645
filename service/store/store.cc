#include "service/store/store.h"

#include <future>
#include <utility>

#include "absl/strings/str_cat.h"

namespace verkenner::service {
namespace {

using sqlite::SqliteConnection;

constexpr char kWhat[] = "store";
// Marks the file as Verkenner's service store ("VKST"), so that Open refuses another application's
// SQLite file (the identity vault, say) instead of adding tables to it.
constexpr int32_t kApplicationId = 0x564B5354;
// At most this many writes share one transaction; more would only delay the first of them.
constexpr size_t kMaxGroup = 512;

// Times are Unix microseconds. STRICT: a bug that binds the wrong type fails loudly. Resource ids
// are random (never sequential: they must not reveal how many requests others made).
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE account (
  id TEXT PRIMARY KEY NOT NULL,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL,
  role INTEGER NOT NULL,             -- verkenner.v1.AccountRole
  organisation TEXT NOT NULL,        -- employer accounts of one organisation share their data
  region_code TEXT NOT NULL,         -- WSP account managers: AMxx
  source TEXT NOT NULL,              -- importers: GMxxxx or UWV
  password_hash TEXT,                -- argon2id; NULL: API tokens only
  disabled INTEGER NOT NULL DEFAULT 0,
  create_time INTEGER NOT NULL
) STRICT;
CREATE TABLE token (
  hash TEXT PRIMARY KEY NOT NULL,    -- SHA-256 of the token; the token itself is never stored
  account_id TEXT NOT NULL REFERENCES account (id),
  kind INTEGER NOT NULL,             -- 1 session, 2 API
  create_time INTEGER NOT NULL,
  expire_time INTEGER NOT NULL,      -- 0: until revoked
  last_use_time INTEGER NOT NULL
) STRICT;
CREATE INDEX token_by_account ON token (account_id);
CREATE TABLE saved_profile (
  organisation TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  note TEXT NOT NULL,
  saved_by TEXT NOT NULL REFERENCES account (id),
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  PRIMARY KEY (organisation, profile_id)
) STRICT;
CREATE INDEX saved_profile_by_time ON saved_profile (organisation, create_time);
CREATE TABLE contact_request (
  id TEXT PRIMARY KEY NOT NULL,
  organisation TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES account (id),
  profile_id TEXT NOT NULL,
  region_code TEXT NOT NULL,
  status INTEGER NOT NULL,           -- verkenner.v1.ContactRequestStatus
  assigned_to TEXT REFERENCES account (id),
  create_time INTEGER NOT NULL,
  last_activity_time INTEGER NOT NULL,
  body BLOB NOT NULL                 -- the serialized verkenner.v1.ContactRequest
) STRICT;
CREATE INDEX contact_request_by_organisation ON contact_request (organisation, create_time);
CREATE INDEX contact_request_by_region ON contact_request (region_code, create_time);
-- Idempotency keys of changing calls: a retry finds the first call's result here.
CREATE TABLE idempotency_key (
  account_id TEXT NOT NULL,
  key TEXT NOT NULL,
  content_hash TEXT NOT NULL,        -- SHA-256 of the request, to tell a retry from a reuse
  resource TEXT NOT NULL,            -- what the first call created or changed
  create_time INTEGER NOT NULL,
  PRIMARY KEY (account_id, key)
) STRICT;
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  action TEXT NOT NULL,              -- e.g. view_profile, create_contact_request, resolve_identity
  profile_id TEXT NOT NULL,          -- pseudonym, or empty
  resource TEXT NOT NULL,            -- e.g. contactRequests/..., or empty
  purpose TEXT NOT NULL,             -- stated purpose (identity resolution), or empty
  outcome TEXT NOT NULL              -- ok, or the error code
) STRICT;
CREATE INDEX audit_by_account ON audit (account_id, time);
CREATE TABLE shortlist (
  id TEXT PRIMARY KEY NOT NULL,
  region_code TEXT NOT NULL,
  body BLOB NOT NULL,                -- the serialized verkenner.v1.Shortlist
  create_time INTEGER NOT NULL
) STRICT;
CREATE INDEX shortlist_by_region ON shortlist (region_code, create_time);
)sql";

// Version 2: the reports of imports through the API, by source and import id.
constexpr const char* kImportRunTable = R"sql(
CREATE TABLE import_run (
  source TEXT NOT NULL,
  import_id TEXT NOT NULL,
  state INTEGER NOT NULL,            -- verkenner.v1.ImportState
  report BLOB NOT NULL,              -- the serialized verkenner.v1.ImportReport
  update_time INTEGER NOT NULL,
  PRIMARY KEY (source, import_id)
) STRICT;
)sql";

// Version 3: secrets of the server that must outlive a restart, e.g. the key of the web app's
// CSRF tokens (sessions live in the store, so their CSRF key lives beside them).
constexpr const char* kServerSecretTable = R"sql(
CREATE TABLE server_secret (
  name TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
) STRICT;
)sql";

// Version 4: quota counts that must outlive a restart (QuotaLimiter): one row per subject
// ("account/<id>" or "organisation/<name>") and kind, for the current window only.
constexpr const char* kQuotaUseTable = R"sql(
CREATE TABLE quota_use (
  subject TEXT NOT NULL,
  kind INTEGER NOT NULL,             -- QuotaLimiter::Kind
  window_start INTEGER NOT NULL,     -- the counted window's start
  used INTEGER NOT NULL,
  PRIMARY KEY (subject, kind)
) STRICT;
)sql";

// Version 5: what organisations acting for candidates record about profiles: profiles hidden
// from employers (AVG art. 21; showing one again deletes its row, the audit log keeps the
// history) and availability a WSP confirmed (the latest only); and the audit log by profile, for
// the candidate's right of access (art. 15).
constexpr const char* kCandidateRightsTables = R"sql(
CREATE TABLE hidden_profile (
  profile_id TEXT PRIMARY KEY NOT NULL,
  account_id TEXT NOT NULL REFERENCES account (id),  -- who hid it
  reason TEXT NOT NULL,
  time INTEGER NOT NULL
) STRICT;
CREATE TABLE availability_confirmation (
  profile_id TEXT PRIMARY KEY NOT NULL,
  account_id TEXT NOT NULL REFERENCES account (id),  -- who confirmed it
  day INTEGER NOT NULL,              -- days since 1970-01-01
  time INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_by_profile ON audit (profile_id, time);
)sql";

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> writer =
      SqliteConnection::Open(kWhat, path, SqliteConnection::Mode::kReadWrite);
  if (!writer.ok()) return writer.status();
  SqliteConnection& db = **writer;
  // The write lock makes checking and creating the schema one step against a concurrent Open.
  if (absl::Status status = db.Execute("BEGIN IMMEDIATE"); !status.ok()) return status;
  auto fail = [&](absl::Status status) {
    (void)db.Execute("ROLLBACK");
    return status;
  };
  absl::StatusOr<int64_t> application_id = db.QueryInteger("PRAGMA application_id");
  absl::StatusOr<int64_t> version = db.QueryInteger("PRAGMA user_version");
  absl::StatusOr<int64_t> objects = db.QueryInteger("SELECT count(*) FROM sqlite_schema");
  if (!application_id.ok()) return fail(application_id.status());
  if (!version.ok()) return fail(version.status());
  if (!objects.ok()) return fail(objects.status());
  if (*application_id == 0 && *version == 0 && *objects == 0) {
    if (absl::Status status = db.Execute(kCreateSchema); !status.ok()) return fail(status);
    if (absl::Status status = db.Execute(kImportRunTable); !status.ok()) return fail(status);
    if (absl::Status status = db.Execute(kServerSecretTable); !status.ok()) return fail(status);
    if (absl::Status status = db.Execute(kQuotaUseTable); !status.ok()) return fail(status);
    if (absl::Status status = db.Execute(kCandidateRightsTables); !status.ok()) return fail(status);
    const std::string stamp = absl::StrCat("PRAGMA application_id = ", kApplicationId,
                                           "; PRAGMA user_version = ", kSchemaVersion, ";");
    if (absl::Status status = db.Execute(stamp.c_str()); !status.ok()) return fail(status);
  } else if (*application_id != kApplicationId) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("store ", path, " is an SQLite file of another application")));
  } else if (*version > kSchemaVersion) {
    return fail(absl::FailedPreconditionError(absl::StrCat("store ", path, " has schema version ",
                                                           *version, "; this program knows up to ",
                                                           kSchemaVersion, ": upgrade it")));
  } else if (*version < kSchemaVersion) {
    // Each step adds what its version brought.
    if (*version < 2) {
      if (absl::Status status = db.Execute(kImportRunTable); !status.ok()) return fail(status);
    }
    if (*version < 3) {
      if (absl::Status status = db.Execute(kServerSecretTable); !status.ok()) return fail(status);
    }
    if (*version < 4) {
      if (absl::Status status = db.Execute(kQuotaUseTable); !status.ok()) return fail(status);
    }
    if (*version < 5) {
      if (absl::Status status = db.Execute(kCandidateRightsTables); !status.ok())
        return fail(status);
    }
    const std::string stamp = absl::StrCat("PRAGMA user_version = ", kSchemaVersion, ";");
    if (absl::Status status = db.Execute(stamp.c_str()); !status.ok()) return fail(status);
  }
  if (absl::Status status = db.Execute("COMMIT"); !status.ok()) return fail(status);

  std::unique_ptr<Store> store(new Store(path, std::move(*writer)));
  store->writer_thread_ = std::thread([raw = store.get()] { raw->RunWriter(); });
  return store;
}

Store::~Store() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  pending_or_stopping_.notify_one();
  if (writer_thread_.joinable()) writer_thread_.join();
}

void Store::Write(Work work, std::function<void(absl::Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      pending_.push_back({std::move(work), std::move(done)});
      pending_or_stopping_.notify_one();
      return;
    }
  }
  done(absl::UnavailableError("the store is shutting down"));
}

absl::Status Store::WriteAndWait(Work work) {
  std::promise<absl::Status> outcome;
  std::future<absl::Status> result = outcome.get_future();
  Write(std::move(work), [&outcome](absl::Status status) { outcome.set_value(std::move(status)); });
  return result.get();
}

absl::Status Store::Read(const Work& work) {
  std::unique_ptr<SqliteConnection> reader;
  {
    std::lock_guard<std::mutex> lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    }
  }
  if (reader == nullptr) {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> opened =
        SqliteConnection::Open(kWhat, path_, SqliteConnection::Mode::kReadOnly);
    if (!opened.ok()) return opened.status();
    reader = std::move(*opened);
  }
  // One read transaction, so that the reads of `work` see one state of the store.
  absl::Status status = reader->Execute("BEGIN");
  if (status.ok()) status = work(*reader);
  (void)reader->Execute("COMMIT");
  if (reader->untrusted()) return status;  // closed here rather than reused
  std::lock_guard<std::mutex> lock(readers_mutex_);
  idle_readers_.push_back(std::move(reader));
  return status;
}

void Store::RunWriter() {
  std::vector<PendingWrite> group;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      pending_or_stopping_.wait(lock, [&] { return !pending_.empty() || stopping_; });
      if (pending_.empty()) return;  // stopping, and everything accepted is written
      while (!pending_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    CommitGroup(group);
    group.clear();
  }
}

void Store::CommitGroup(std::vector<PendingWrite>& group) {
  SqliteConnection& db = *writer_;
  std::vector<absl::Status> outcomes(group.size());
  absl::Status transaction = db.Execute("BEGIN IMMEDIATE");
  if (transaction.ok()) {
    for (size_t i = 0; i < group.size(); ++i) {
      // An I/O error or a full disk rolls the whole transaction back; what follows must not run
      // outside one, where it would commit on its own while its caller hears it failed.
      if (sqlite3_get_autocommit(db.handle()) != 0) {
        outcomes[i] = absl::UnavailableError("store: the transaction was rolled back");
        continue;
      }
      // A savepoint per write: a failing write is undone alone, its group still commits.
      absl::Status status = db.Execute("SAVEPOINT write");
      if (status.ok()) status = group[i].work(db);
      if (status.ok()) {
        status = db.Execute("RELEASE write");
      } else {
        (void)db.Execute("ROLLBACK TO write");
        (void)db.Execute("RELEASE write");
      }
      outcomes[i] = std::move(status);
    }
    transaction = db.Execute("COMMIT");
    // Directly, not through Execute: an untrusted connection refuses statements, but must not
    // keep the failed transaction (and its write lock) open.
    if (!transaction.ok() && sqlite3_get_autocommit(db.handle()) == 0) {
      sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  for (size_t i = 0; i < group.size(); ++i) {
    // Nothing is acknowledged that did not reach the disk.
    group[i].done(transaction.ok() ? std::move(outcomes[i]) : transaction);
  }
}

}  // namespace verkenner::service
