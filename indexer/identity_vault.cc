#include "indexer/identity_vault.h"

#include <sqlite3.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/postgres/pg_connection.h"
#include "base/sqlite/sqlite_connection.h"
#include "indexer/postgres_identity_vault.h"

namespace verkenner::indexer {
namespace {

// Marks the file as a vault ("VKIV"), so that Open refuses another application's SQLite file
// (the service's store, say) instead of adding a table to it.
constexpr int32_t kApplicationId = 0x564B4956;

// Page cache per connection (SQLite's default is 2 MiB). Profile ids are random, so a batch touches
// pages all over the primary-key index; at 1,000,000 rows (a ~110 MB file) a quarter of the
// cache's size made the import 20% slower.
constexpr int kCacheKibibytes = 32 * 1024;

constexpr size_t kProfileIdLength = 24;

constexpr char kWhat[] = "identity vault";

// A rowid table, not WITHOUT ROWID, although look-ups go through the primary-key index first:
// profile ids are random, so with the rows ordered by them every batch rewrites pages all over
// the file. Ordered by rowid, new rows append; only the primary-key index takes random writes.
// Measured with 1,000,000 random ids in batches of 10,000: 100,000 rows/s against 55,000, and near
// the end 70,000 against 36,000.
// STRICT: a later bug that binds the wrong type fails loudly. No index on source: look-ups are by
// profile id only (a full sync finds a source's profiles in the search index), and version 1's
// index on source took a quarter of the vault's import time.
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE identity (
  profile_id TEXT PRIMARY KEY NOT NULL,
  source TEXT NOT NULL,
  client_number TEXT NOT NULL,
  updated_at INTEGER NOT NULL  -- Unix seconds of the last Put, for audits of the link
) STRICT;
)sql";

// From version 1: drop the index on source.
constexpr const char* kMigrateFromVersion1 = R"sql(
BEGIN IMMEDIATE;
DROP INDEX IF EXISTS identity_by_source;
PRAGMA user_version = 2;
COMMIT;
)sql";

// An upsert rather than INSERT OR REPLACE: the row is updated in place, keeping its rowid, instead
// of being deleted and appended again, which would rewrite both indexes on every re-import.
constexpr const char* kPut = R"sql(
INSERT INTO identity (profile_id, source, client_number, updated_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (profile_id) DO UPDATE SET
  source = excluded.source, client_number = excluded.client_number,
  updated_at = excluded.updated_at
)sql";
constexpr const char* kRemove = "DELETE FROM identity WHERE profile_id = ?1";
constexpr const char* kLookup = "SELECT source, client_number FROM identity WHERE profile_id = ?1";
constexpr const char* kCount = "SELECT count(*) FROM identity";
constexpr const char* kForEach =
    "SELECT profile_id, source, client_number FROM identity ORDER BY profile_id";

// Resets a statement when it goes out of scope, so that a look-up never keeps a read transaction
// (and with it the WAL) pinned, and an error half-way leaves the statement reusable.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() {
    sqlite3_reset(statement_);
    // The bindings point into the caller's strings (SQLITE_STATIC); drop them before those go.
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

int BindText(sqlite3_stmt* statement, int index, const std::string& value) {
  // SQLITE_STATIC avoids a copy per value; ResetOnExit clears the binding before `value` dies.
  return sqlite3_bind_text(statement, index, value.data(), static_cast<int>(value.size()),
                           SQLITE_STATIC);
}

std::string ColumnText(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  if (text == nullptr) return std::string();
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(statement, column)));
}

// The vault in its own SQLite file (the class comment in the header).
class SqliteIdentityVault final : public IdentityVault {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  static absl::StatusOr<std::unique_ptr<IdentityVault>> Open(const std::string& path, Mode mode);
  ~SqliteIdentityVault() override;

  absl::Status BeginBatch() override;
  absl::Status CommitBatch() override;
  void AbortBatch() override;
  bool InBatch() const override;
  absl::Status Put(const VaultEntry& entry) override;
  absl::Status Remove(const std::string& profile_id) override;
  absl::StatusOr<std::optional<VaultEntry>> Lookup(const std::string& profile_id) override;
  absl::StatusOr<int64_t> Count() override;
  absl::Status ForEach(const std::function<void(const VaultEntry&)>& entry) override {
    return ForEachEntry(*connection_, kForEach, entry);
  }
  bool broken() const override { return connection_->untrusted(); }

 private:
  SqliteIdentityVault(std::string path, std::unique_ptr<sqlite::SqliteConnection> connection,
                      Mode mode);

  absl::Status Configure();
  absl::Status CheckOrCreateSchema();
  absl::Status PrepareStatements();
  absl::Status CheckWritable() const;

  const std::string path_;
  // Its Error() maps SQLite results (never quoting sqlite3_errmsg, which may hold data from the
  // statement) and marks it untrusted after an I/O error: from then on every write is refused, so
  // that no later commit on it claims durability the disk may not have given.
  const std::unique_ptr<sqlite::SqliteConnection> connection_;
  const Mode mode_;
  // Prepared once and reused: preparing costs more than executing these one-row statements.
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
  sqlite3_stmt* lookup_ = nullptr;
  sqlite3_stmt* count_ = nullptr;
};

absl::StatusOr<std::unique_ptr<IdentityVault>> SqliteIdentityVault::Open(const std::string& path,
                                                                         Mode mode) {
  // No foreign keys: the schema has none. WAL only once CheckOrCreateSchema knows the file is a
  // vault, so that another application's file is refused without being changed.
  absl::StatusOr<std::unique_ptr<sqlite::SqliteConnection>> connection =
      sqlite::SqliteConnection::Open(
          kWhat, path,
          {.mode = mode == Mode::kReadOnly ? sqlite::SqliteConnection::Mode::kReadOnly
                                           : sqlite::SqliteConnection::Mode::kReadWrite,
           .foreign_keys = false,
           .wal_on_open = false});
  if (!connection.ok()) return connection.status();
  std::unique_ptr<SqliteIdentityVault> vault(
      new SqliteIdentityVault(path, std::move(*connection), mode));
  if (absl::Status status = vault->Configure(); !status.ok()) return status;
  if (absl::Status status = vault->CheckOrCreateSchema(); !status.ok()) return status;
  if (absl::Status status = vault->PrepareStatements(); !status.ok()) return status;
  return vault;
}

SqliteIdentityVault::SqliteIdentityVault(std::string path,
                                         std::unique_ptr<sqlite::SqliteConnection> connection,
                                         Mode mode)
    : path_(std::move(path)), connection_(std::move(connection)), mode_(mode) {}

SqliteIdentityVault::~SqliteIdentityVault() {
  AbortBatch();
  // Before the connection closes with connection_.
  for (sqlite3_stmt* statement : {put_, remove_, lookup_, count_}) sqlite3_finalize(statement);
}

absl::Status SqliteIdentityVault::Configure() {
  // The connection is hardened already (nothing in a tampered vault can copy client numbers
  // elsewhere through a trigger, a view or an extension); what is particular to the vault:
  if (absl::Status status = connection_->Execute(
          absl::StrCat("PRAGMA cache_size = -", kCacheKibibytes).c_str(), "configure");
      !status.ok()) {
    return status;
  }
  // secure_delete: see the class comment.
  if (mode_ == Mode::kReadOnly) return absl::OkStatus();
  return connection_->Execute("PRAGMA secure_delete = ON", "configure");
}

absl::Status SqliteIdentityVault::CheckOrCreateSchema() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<int64_t> application_id = connection_->QueryInteger("PRAGMA application_id");
    if (!application_id.ok()) return application_id.status();
    absl::StatusOr<int64_t> version = connection_->QueryInteger("PRAGMA user_version");
    if (!version.ok()) return version.status();
    absl::StatusOr<int64_t> objects =
        connection_->QueryInteger("SELECT count(*) FROM sqlite_schema");
    if (!objects.ok()) return objects.status();

    const bool fresh = *application_id == 0 && *version == 0 && *objects == 0;
    if (!fresh) {
      if (*application_id != kApplicationId || *version < 1) {
        return absl::FailedPreconditionError(
            absl::StrCat("identity vault ", path_, " is an SQLite file of another application"));
      }
      if (*version > kSchemaVersion) {
        return absl::FailedPreconditionError(
            absl::StrCat("identity vault ", path_, " has schema version ", *version,
                         "; this program knows up to ", kSchemaVersion, ": upgrade it"));
      }
      // The journal mode is set only now, so that another application's file is refused without
      // being changed. A reader reads older versions as they are.
      if (mode_ == Mode::kReadOnly) return absl::OkStatus();
      if (absl::Status status = connection_->EnableWal(); !status.ok()) return status;
      if (*version == 1) {
        if (absl::Status status = connection_->Execute(kMigrateFromVersion1, "migrate schema");
            !status.ok()) {
          AbortBatch();
          return status;
        }
      }
      return absl::OkStatus();
    }
    if (mode_ == Mode::kReadOnly) {
      return absl::FailedPreconditionError(
          absl::StrCat("identity vault ", path_, " has no schema yet; the importer creates it"));
    }
    if (attempt > 0) break;
    if (absl::Status status = connection_->EnableWal(); !status.ok()) return status;
    // The write lock makes the check and the creation one step against a concurrent Open; the
    // loop checks again under the lock.
    if (absl::Status status = connection_->Execute("BEGIN IMMEDIATE", "create schema");
        !status.ok()) {
      return status;
    }
    absl::StatusOr<int64_t> still_empty =
        connection_->QueryInteger("SELECT count(*) FROM sqlite_schema");
    if (!still_empty.ok()) {
      AbortBatch();
      return still_empty.status();
    }
    if (*still_empty != 0) {
      AbortBatch();
      continue;
    }
    const std::string create =
        absl::StrCat(kCreateSchema, "PRAGMA application_id = ", kApplicationId,
                     ";\nPRAGMA user_version = ", kSchemaVersion, ";\nCOMMIT;");
    if (absl::Status status = connection_->Execute(create.c_str(), "create schema"); !status.ok()) {
      AbortBatch();
      return status;
    }
    return absl::OkStatus();
  }
  return absl::InternalError(
      absl::StrCat("identity vault ", path_, ": the schema changed while it was created"));
}

absl::Status SqliteIdentityVault::PrepareStatements() {
  const std::pair<const char*, sqlite3_stmt**> statements[] = {
      {kPut, &put_}, {kRemove, &remove_}, {kLookup, &lookup_}, {kCount, &count_}};
  for (const auto& [sql, statement] : statements) {
    const int rc = sqlite3_prepare_v3(connection_->handle(), sql, -1, SQLITE_PREPARE_PERSISTENT,
                                      statement, nullptr);
    if (rc != SQLITE_OK) return connection_->Error(rc, "prepare");
  }
  return absl::OkStatus();
}

bool SqliteIdentityVault::InBatch() const {
  return sqlite3_get_autocommit(connection_->handle()) == 0;
}

absl::Status SqliteIdentityVault::BeginBatch() {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  if (InBatch()) {
    return absl::FailedPreconditionError(
        absl::StrCat("identity vault ", path_, ": BeginBatch while a batch is open"));
  }
  return connection_->Execute("BEGIN IMMEDIATE", "begin batch");
}

absl::Status SqliteIdentityVault::CommitBatch() {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  if (!InBatch()) {
    return absl::FailedPreconditionError(
        absl::StrCat("identity vault ", path_, ": CommitBatch without an open batch"));
  }
  return connection_->Execute("COMMIT", "commit batch");
}

void SqliteIdentityVault::AbortBatch() {
  // A failed ROLLBACK leaves nothing to do: SQLite rolls back a transaction that never committed
  // when the connection closes or, after a crash, when the file is next opened.
  if (InBatch()) sqlite3_exec(connection_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

absl::Status SqliteIdentityVault::Put(const VaultEntry& entry) {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  if (absl::Status status = CheckEntry(entry); !status.ok()) return status;

  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ResetOnExit reset(put_);
  int rc = BindText(put_, 1, entry.profile_id);
  if (rc == SQLITE_OK) rc = BindText(put_, 2, entry.source);
  if (rc == SQLITE_OK) rc = BindText(put_, 3, entry.client_number);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(put_, 4, now);
  if (rc == SQLITE_OK) rc = sqlite3_step(put_);
  if (rc != SQLITE_DONE) return connection_->Error(rc, "put");
  return absl::OkStatus();
}

absl::Status SqliteIdentityVault::Remove(const std::string& profile_id) {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  if (absl::Status status = CheckProfileId(profile_id); !status.ok()) return status;
  ResetOnExit reset(remove_);
  int rc = BindText(remove_, 1, profile_id);
  if (rc == SQLITE_OK) rc = sqlite3_step(remove_);
  if (rc != SQLITE_DONE) return connection_->Error(rc, "remove");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<VaultEntry>> SqliteIdentityVault::Lookup(
    const std::string& profile_id) {
  if (absl::Status status = CheckProfileId(profile_id); !status.ok()) return status;
  ResetOnExit reset(lookup_);
  int rc = BindText(lookup_, 1, profile_id);
  if (rc == SQLITE_OK) rc = sqlite3_step(lookup_);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return connection_->Error(rc, "lookup");
  return VaultEntry{profile_id, ColumnText(lookup_, 0), ColumnText(lookup_, 1)};
}

absl::StatusOr<int64_t> SqliteIdentityVault::Count() {
  ResetOnExit reset(count_);
  const int rc = sqlite3_step(count_);
  if (rc != SQLITE_ROW) return connection_->Error(rc, "count");
  return sqlite3_column_int64(count_, 0);
}

absl::Status SqliteIdentityVault::CheckWritable() const {
  if (connection_->untrusted()) {
    return absl::UnavailableError(
        "identity vault: an earlier write failed at the disk (I/O error); open the vault again "
        "(run the import again: it resumes)");
  }
  if (mode_ == Mode::kReadWrite) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("identity vault ", path_, " is opened read-only"));
}

}  // namespace

absl::Status IdentityVault::CheckProfileId(const std::string& profile_id) {
  bool hex = profile_id.size() == kProfileIdLength;
  for (char c : profile_id) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  // Says what is wrong, never the value: a caller may have passed something personal by mistake.
  if (!hex)
    return absl::InvalidArgumentError("profile_id is not 24 lowercase hexadecimal characters");
  return absl::OkStatus();
}

absl::Status IdentityVault::ForEachEntry(sql::Connection& db, const char* select,
                                         const std::function<void(const VaultEntry&)>& entry) {
  absl::StatusOr<sql::Statement> statement = db.Prepare(select);
  if (!statement.ok()) return statement.status();
  while (true) {
    absl::StatusOr<bool> row = statement->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    entry({statement->Text(0), statement->Text(1), statement->Text(2)});
  }
}

absl::Status IdentityVault::CheckEntry(const VaultEntry& entry) {
  if (absl::Status status = CheckProfileId(entry.profile_id); !status.ok()) return status;
  if (entry.source.empty()) return absl::InvalidArgumentError("source is empty");
  if (entry.client_number.empty()) return absl::InvalidArgumentError("client_number is empty");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<IdentityVault>> IdentityVault::Open(const std::string& target) {
  if (postgres::IsPostgresTarget(target)) return OpenPostgresIdentityVault(target, false);
  return SqliteIdentityVault::Open(target, SqliteIdentityVault::Mode::kReadWrite);
}

absl::StatusOr<std::unique_ptr<IdentityVault>> IdentityVault::OpenReadOnly(
    const std::string& target) {
  if (postgres::IsPostgresTarget(target)) return OpenPostgresIdentityVault(target, true);
  return SqliteIdentityVault::Open(target, SqliteIdentityVault::Mode::kReadOnly);
}

}  // namespace verkenner::indexer
