#include "service/store/store.h"

#include <future>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/postgres/pg_connection.h"
#include "base/sqlite/sqlite_connection.h"

namespace verkenner::service {
namespace {

using postgres::PgConnection;
using sqlite::SqliteConnection;

constexpr char kWhat[] = "store";
// Marks the file or database as Verkenner's service store ("VKST"), so that Open refuses another
// application's (the identity vault, say) instead of adding tables to it. On PostgreSQL it is also
// the key of the advisory lock that every write transaction takes.
constexpr int32_t kApplicationId = 0x564B5354;
// At most this many writes share one transaction on SQLite; more would only delay the first.
constexpr size_t kMaxSqliteGroup = 512;
// On PostgreSQL each write is a subtransaction (a savepoint); past 64 in one transaction the
// server's per-backend cache of them overflows and every snapshot on the server slows down.
constexpr size_t kMaxPostgresGroup = 48;

// The schema is written in SQLite's dialect; PostgresDdl() translates the few words that differ.
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

// Version 6: e-mail addresses are found and unique whatever their case by lower(email) in both
// dialects (SQLite's NOCASE collation has no PostgreSQL equivalent).
constexpr const char* kEmailIndex = R"sql(
CREATE UNIQUE INDEX account_by_email ON account (lower(email));
)sql";

// Version 7: what instances share beyond the records. How often each kind of shared state that
// instances cache has changed (ProfileAnnotationsCache reads its count on every search and reads
// the state again when it moved); failed logins (LoginThrottle), by a keyed hash of what they are
// counted against; and a lease per source for the import under way (ProfileImportService).
constexpr const char* kSharedStateTables = R"sql(
CREATE TABLE change_count (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) STRICT;
CREATE TABLE login_failure (
  key BLOB PRIMARY KEY NOT NULL,     -- HMAC-SHA256 of the rule and its account, address or both
  failures INTEGER NOT NULL,
  last_time INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failure_by_time ON login_failure (last_time);
CREATE TABLE import_lease (
  source TEXT PRIMARY KEY NOT NULL,
  import_id TEXT NOT NULL,
  holder TEXT NOT NULL,              -- the instance that runs it (its --instance_name and a nonce)
  received_rows INTEGER NOT NULL,    -- progress, for GetImport on any instance
  expire_time INTEGER NOT NULL       -- renewed while the import runs; free once passed
) STRICT;
)sql";

// Version 8: the lease of the index writer (IndexWriterLease): the one process that writes the
// index the instances serve. One row per index (name 'index' today); the epoch grows each time
// another holder takes it, so that what a writer publishes can be told from what a writer it
// replaced published.
constexpr const char* kIndexWriterTable = R"sql(
CREATE TABLE index_writer (
  name TEXT PRIMARY KEY NOT NULL,
  holder TEXT NOT NULL,              -- the process holding it (host, pid and a nonce)
  address TEXT NOT NULL,             -- where imports go: its gRPC address; empty for a tool
  location TEXT NOT NULL,            -- its index directory, as host:/path
  epoch INTEGER NOT NULL,
  expire_time INTEGER NOT NULL       -- renewed while it lives; free once passed
) STRICT;
)sql";

// Version 9: where the index writer's publication is fetched (indexer/index_publication.h): the
// address of its metrics listener; empty for a tool and for a writer that publishes nothing.
constexpr const char* kIndexPublicationColumn = R"sql(
ALTER TABLE index_writer ADD COLUMN publication TEXT NOT NULL DEFAULT '';
)sql";

// Migration N brings a store from version N - 1 to N; a new store runs them all.
constexpr const char* kMigrations[] = {
    kCreateSchema,      kImportRunTable,        kServerSecretTable,
    kQuotaUseTable,     kCandidateRightsTables, kEmailIndex,
    kSharedStateTables, kIndexWriterTable,      kIndexPublicationColumn};
static_assert(std::size(kMigrations) == Store::kSchemaVersion);

// The schema's DDL in PostgreSQL's words: 64-bit integers, bytea, an identity column for the
// audit log's id, no STRICT (PostgreSQL is always strict) and no NOCASE (version 6's index).
std::string PostgresDdl(std::string_view ddl) {
  std::string text = absl::StrReplaceAll(
      std::string(ddl),
      {{"id INTEGER PRIMARY KEY,", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"},
       {" UNIQUE COLLATE NOCASE", ""},
       {") STRICT;", ");"}});
  return absl::StrReplaceAll(text, {{" INTEGER", " BIGINT"}, {" BLOB", " BYTEA"}});
}

// What Open finds in a file or database before it migrates it.
struct SchemaState {
  bool empty = false;   // nothing in it yet
  bool ours = false;    // marked as a Verkenner store
  int64_t version = 0;  // its schema version, when ours
};

}  // namespace

// What differs between the dialects: connecting, how a transaction begins, where the schema's
// version is kept, the DDL's words and the size of a group.
class Store::Backend {
 public:
  virtual ~Backend() = default;
  virtual sql::Dialect dialect() const = 0;
  // Names the store in messages: the file's path, or the database without credentials.
  virtual const std::string& name() const = 0;
  virtual absl::StatusOr<std::unique_ptr<sql::Connection>> Connect(bool writer) const = 0;
  // Begins a write transaction that runs alone against every other writer of the store.
  virtual absl::Status BeginWrite(sql::Connection& db) const = 0;
  // Begins a read-only transaction that sees one state of the store.
  virtual const char* BeginRead() const = 0;
  // Begins a Tally transaction; null when the dialect has none.
  virtual const char* BeginTally() const = 0;
  virtual size_t max_group() const = 0;
  // Whether a broken writer is replaced for the next group (PostgreSQL: a lost connection) or
  // stays refused until a restart (SQLite: fail-closed after an I/O error).
  virtual bool reconnects() const = 0;
  virtual absl::StatusOr<SchemaState> ReadSchema(sql::Connection& db) const = 0;
  // Records `version` (and on a new store the application id).
  virtual absl::Status StampSchema(sql::Connection& db, bool empty, int version) const = 0;
  virtual std::string Ddl(std::string_view sqlite_ddl) const = 0;
  // Copies the store as it is, at schema version `from`, before a migration to `to` changes it:
  // the way back if the new program must be rolled back. Runs outside any transaction of `db`.
  virtual absl::Status BackUpBeforeMigration(sql::Connection& db, int64_t from,
                                             int64_t to) const = 0;
};

namespace {

// Where an SQLite store's copy before a migration goes: beside it, named by the version it
// migrates to and the time.
std::string MigrationBackupPath(const std::string& store, int64_t to) {
  return absl::StrCat(store, ".before-v", to, "-",
                      absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()));
}

class SqliteBackend final : public Store::Backend {
 public:
  explicit SqliteBackend(std::string path) : path_(std::move(path)) {}
  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  const std::string& name() const override { return path_; }
  absl::StatusOr<std::unique_ptr<sql::Connection>> Connect(bool writer) const override {
    auto opened = SqliteConnection::Open(
        kWhat, path_,
        writer ? SqliteConnection::Mode::kReadWrite : SqliteConnection::Mode::kReadOnly);
    if (!opened.ok()) return opened.status();
    return std::unique_ptr<sql::Connection>(std::move(*opened));
  }
  absl::Status BeginWrite(sql::Connection& db) const override {
    return db.Execute("BEGIN IMMEDIATE");
  }
  const char* BeginRead() const override { return "BEGIN"; }
  const char* BeginTally() const override { return nullptr; }
  size_t max_group() const override { return kMaxSqliteGroup; }
  bool reconnects() const override { return false; }
  absl::StatusOr<SchemaState> ReadSchema(sql::Connection& db) const override {
    absl::StatusOr<int64_t> application_id = db.QueryInteger("PRAGMA application_id");
    absl::StatusOr<int64_t> version = db.QueryInteger("PRAGMA user_version");
    absl::StatusOr<int64_t> objects = db.QueryInteger("SELECT count(*) FROM sqlite_schema");
    if (!application_id.ok()) return application_id.status();
    if (!version.ok()) return version.status();
    if (!objects.ok()) return objects.status();
    return SchemaState{*application_id == 0 && *version == 0 && *objects == 0,
                       *application_id == kApplicationId, *version};
  }
  absl::Status StampSchema(sql::Connection& db, bool empty, int version) const override {
    std::string stamp = absl::StrCat("PRAGMA user_version = ", version, ";");
    if (empty) absl::StrAppend(&stamp, " PRAGMA application_id = ", kApplicationId, ";");
    return db.Execute(stamp.c_str());
  }
  std::string Ddl(std::string_view sqlite_ddl) const override { return std::string(sqlite_ddl); }
  // A file beside the store, <store>.before-v<to>-<UTC time>, owner-only like the store.
  absl::Status BackUpBeforeMigration(sql::Connection& db, int64_t from, int64_t to) const override {
    absl::Status copied =
        static_cast<SqliteConnection&>(db).CopyInto(MigrationBackupPath(path_, to));
    if (copied.ok()) return copied;
    return absl::Status(copied.code(),
                        absl::StrCat("store ", path_, ": no backup before migrating from schema ",
                                     from, ": ", copied.message()));
  }

 private:
  std::string path_;
};

class PostgresBackend final : public Store::Backend {
 public:
  explicit PostgresBackend(std::string conninfo)
      : conninfo_(std::move(conninfo)), name_(postgres::RedactedTarget(conninfo_)) {}
  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }
  const std::string& name() const override { return name_; }
  absl::StatusOr<std::unique_ptr<sql::Connection>> Connect(bool writer) const override {
    auto opened = PgConnection::Open(
        kWhat, conninfo_, writer ? PgConnection::Mode::kReadWrite : PgConnection::Mode::kReadOnly);
    if (!opened.ok()) return opened.status();
    return std::unique_ptr<sql::Connection>(std::move(*opened));
  }
  absl::Status BeginWrite(sql::Connection& db) const override {
    static const std::string begin =
        absl::StrCat("BEGIN; SELECT pg_advisory_xact_lock(", kApplicationId, ")");
    absl::Status status = db.Execute(begin.c_str(), "begin");
    if (!status.ok()) db.RollBack();
    return status;
  }
  const char* BeginRead() const override {
    return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  }
  // READ COMMITTED: each conditional upsert locks and reads its row's latest version.
  const char* BeginTally() const override { return "BEGIN; SET LOCAL synchronous_commit = off"; }
  size_t max_group() const override { return kMaxPostgresGroup; }
  bool reconnects() const override { return true; }
  absl::StatusOr<SchemaState> ReadSchema(sql::Connection& db) const override {
    absl::StatusOr<int64_t> tables = db.QueryInteger(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()");
    if (!tables.ok()) return tables.status();
    if (*tables == 0) return SchemaState{true, false, 0};
    absl::StatusOr<int64_t> meta = db.QueryInteger(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = 'store_meta'");
    if (!meta.ok()) return meta.status();
    if (*meta == 0) return SchemaState{false, false, 0};
    absl::StatusOr<sql::Statement> select =
        db.Prepare("SELECT application_id, schema_version FROM store_meta");
    if (!select.ok()) return select.status();
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return SchemaState{false, false, 0};
    return SchemaState{false, select->Integer(0) == kApplicationId, select->Integer(1)};
  }
  absl::Status StampSchema(sql::Connection& db, bool empty, int version) const override {
    const std::string stamp =
        empty ? absl::StrCat(
                    "CREATE TABLE store_meta (application_id BIGINT NOT NULL, "
                    "schema_version BIGINT NOT NULL); INSERT INTO store_meta VALUES (",
                    kApplicationId, ", ", version, ")")
              : absl::StrCat("UPDATE store_meta SET schema_version = ", version);
    return db.Execute(stamp.c_str(), "migrate");
  }
  std::string Ddl(std::string_view sqlite_ddl) const override { return PostgresDdl(sqlite_ddl); }
  // A schema beside the store's, verkenner_before_v<to>_<unix time>, with a copy of each of its
  // tables, in one transaction under the writers' lock. A way back on the same server; the
  // operator's pg_dump before an upgrade stays the way back from a lost server (OPERATIONS.md).
  absl::Status BackUpBeforeMigration(sql::Connection& db, int64_t, int64_t to) const override {
    if (absl::Status status = BeginWrite(db); !status.ok()) return status;
    auto fail = [&](absl::Status status) {
      db.RollBack();
      return status;
    };
    absl::StatusOr<sql::Statement> tables = db.Prepare(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1");
    if (!tables.ok()) return fail(tables.status());
    std::vector<std::string> names;
    for (absl::StatusOr<bool> row = tables->Step(); row.ok() && *row; row = tables->Step()) {
      names.push_back(tables->Text(0));
    }
    const std::string schema =
        absl::StrCat("verkenner_before_v", to, "_", absl::ToUnixSeconds(absl::Now()));
    std::string copy = absl::StrCat("CREATE SCHEMA ", schema, ";");
    for (const std::string& name : names) {
      absl::StrAppend(&copy, " CREATE TABLE ", schema, ".\"", name, "\" AS TABLE \"", name, "\";");
    }
    if (absl::Status status = db.Execute(copy.c_str(), "back up"); !status.ok()) {
      return fail(status);
    }
    if (absl::Status status = db.Execute("COMMIT"); !status.ok()) return fail(status);
    return absl::OkStatus();
  }

 private:
  std::string conninfo_;
  std::string name_;
};

// Checks what `db` holds and runs the migrations it lacks, in the transaction `backend` begins;
// a store that holds data is backed up first (Backend::BackUpBeforeMigration).
absl::Status Migrate(const Store::Backend& backend, sql::Connection& db, bool backed_up = false) {
  if (absl::Status status = backend.BeginWrite(db); !status.ok()) return status;
  auto fail = [&](absl::Status status) {
    db.RollBack();
    return status;
  };
  absl::StatusOr<SchemaState> state = backend.ReadSchema(db);
  if (!state.ok()) return fail(state.status());
  if (!state->empty && !state->ours) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("store ", backend.name(), " is a database of another application")));
  }
  if (state->version > Store::kSchemaVersion) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("store ", backend.name(), " has schema version ", state->version,
                     "; this program knows up to ", Store::kSchemaVersion, ": upgrade it")));
  }
  if (state->version == Store::kSchemaVersion) return db.Execute("COMMIT");
  if (!state->empty && !backed_up) {
    // Outside the transaction (SQLite's VACUUM INTO needs that); another process may migrate
    // meanwhile, which the second look sees.
    db.RollBack();
    if (absl::Status status =
            backend.BackUpBeforeMigration(db, state->version, Store::kSchemaVersion);
        !status.ok()) {
      return status;
    }
    return Migrate(backend, db, /*backed_up=*/true);
  }
  for (int64_t version = state->version + 1; version <= Store::kSchemaVersion; ++version) {
    const std::string ddl = backend.Ddl(kMigrations[version - 1]);
    if (absl::Status status = db.Execute(ddl.c_str(), "migrate"); !status.ok()) {
      return fail(status);
    }
  }
  if (absl::Status status = backend.StampSchema(db, state->empty, Store::kSchemaVersion);
      !status.ok()) {
    return fail(status);
  }
  if (absl::Status status = db.Execute("COMMIT"); !status.ok()) return fail(status);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& target) {
  std::unique_ptr<Backend> backend;
  if (postgres::IsPostgresTarget(target)) {
    backend = std::make_unique<PostgresBackend>(target);
  } else {
    backend = std::make_unique<SqliteBackend>(target);
  }
  absl::StatusOr<std::unique_ptr<sql::Connection>> writer = backend->Connect(true);
  if (!writer.ok()) return writer.status();
  if (absl::Status status = Migrate(*backend, **writer); !status.ok()) return status;
  std::unique_ptr<Store> store(new Store(std::move(backend), std::move(*writer)));
  store->writer_thread_ = std::thread([raw = store.get()] { raw->RunWriter(); });
  return store;
}

Store::Store(std::unique_ptr<Backend> backend, std::unique_ptr<sql::Connection> writer)
    : backend_(std::move(backend)), writer_(std::move(writer)) {}

Store::~Store() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  pending_or_stopping_.notify_one();
  if (writer_thread_.joinable()) writer_thread_.join();
}

sql::Dialect Store::dialect() const { return backend_->dialect(); }

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

bool Store::shared() const { return backend_->dialect() == sql::Dialect::kPostgres; }

absl::StatusOr<std::unique_ptr<sql::Connection>> Store::TakeConnection(bool for_tally) {
  {
    std::lock_guard<std::mutex> lock(readers_mutex_);
    auto& idle = for_tally ? idle_tally_connections_ : idle_readers_;
    if (!idle.empty()) {
      std::unique_ptr<sql::Connection> connection = std::move(idle.back());
      idle.pop_back();
      return connection;
    }
  }
  return backend_->Connect(/*writer=*/for_tally);
}

void Store::ReturnConnection(bool for_tally, std::unique_ptr<sql::Connection> connection) {
  if (connection->broken()) return;  // closed here rather than reused
  std::lock_guard<std::mutex> lock(readers_mutex_);
  (for_tally ? idle_tally_connections_ : idle_readers_).push_back(std::move(connection));
}

absl::StatusOr<std::unique_ptr<sql::Connection>> Store::Begin(bool for_tally, const char* begin) {
  // A pooled connection may have died while idle (a restarted or failed-over server), which only
  // the next statement shows: then nothing has run yet, and a fresh connection is tried.
  while (true) {
    absl::StatusOr<std::unique_ptr<sql::Connection>> connection = TakeConnection(for_tally);
    if (!connection.ok()) return connection.status();
    absl::Status begun = (*connection)->Execute(begin);
    if (begun.ok()) return connection;
    const bool pooled_and_dead = (*connection)->broken() && backend_->reconnects();
    (*connection)->RollBack();
    ReturnConnection(for_tally, std::move(*connection));
    if (!pooled_and_dead) return begun;
  }
}

absl::Status Store::Read(const Work& work) {
  // One read transaction, so that the reads of `work` see one state of the store.
  absl::StatusOr<std::unique_ptr<sql::Connection>> reader = Begin(false, backend_->BeginRead());
  if (!reader.ok()) return reader.status();
  absl::Status status = work(**reader);
  (*reader)->RollBack();  // nothing to keep: it only read
  ReturnConnection(false, std::move(*reader));
  return status;
}

absl::Status Store::Tally(const Work& work) {
  const char* begin = backend_->BeginTally();
  if (begin == nullptr) {
    return absl::FailedPreconditionError("store: tallies need a shared store (PostgreSQL)");
  }
  absl::StatusOr<std::unique_ptr<sql::Connection>> connection = Begin(true, begin);
  if (!connection.ok()) return connection.status();
  absl::Status status = work(**connection);
  if (status.ok()) status = (*connection)->Execute("COMMIT");
  (*connection)->RollBack();  // after a failure; nothing when committed
  ReturnConnection(true, std::move(*connection));
  return status;
}

void Store::RunWriter() {
  std::vector<PendingWrite> group;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      pending_or_stopping_.wait(lock, [&] { return !pending_.empty() || stopping_; });
      if (pending_.empty()) return;  // stopping, and everything accepted is written
      while (!pending_.empty() && group.size() < backend_->max_group()) {
        group.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    CommitGroup(group);
    group.clear();
  }
}

absl::Status Store::ReplaceWriterIfBroken() {
  if (!writer_->broken() || !backend_->reconnects()) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<sql::Connection>> reconnected = backend_->Connect(true);
  if (!reconnected.ok()) return reconnected.status();
  writer_ = std::move(*reconnected);
  return absl::OkStatus();
}

void Store::CommitGroup(std::vector<PendingWrite>& group) {
  std::vector<absl::Status> outcomes(group.size());
  absl::Status transaction = ReplaceWriterIfBroken();
  if (transaction.ok()) transaction = backend_->BeginWrite(*writer_);
  if (!transaction.ok() && writer_->broken() && backend_->reconnects()) {
    // It died while idle (a restarted or failed-over server), which only BEGIN shows: nothing
    // has run yet, so once more on a new connection.
    transaction = ReplaceWriterIfBroken();
    if (transaction.ok()) transaction = backend_->BeginWrite(*writer_);
  }
  sql::Connection& db = *writer_;
  if (transaction.ok()) {
    for (size_t i = 0; i < group.size(); ++i) {
      // An I/O error, a full disk or a lost connection ends the whole transaction; what follows
      // must not run outside one, where it would commit on its own while its caller hears it
      // failed.
      if (!db.InTransaction()) {
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
    if (!transaction.ok()) db.RollBack();
  }
  for (size_t i = 0; i < group.size(); ++i) {
    // Nothing is acknowledged that did not reach the disk.
    group[i].done(transaction.ok() ? std::move(outcomes[i]) : transaction);
  }
}

}  // namespace verkenner::service
