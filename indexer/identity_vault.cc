#include "indexer/identity_vault.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "indexer/sqlite_connection.h"

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

bool IsProfileId(const std::string& profile_id) {
  if (profile_id.size() != kProfileIdLength) return false;
  for (char c : profile_id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status MalformedProfileId() {
  // Says what is wrong, never the value: a caller may have passed something personal by mistake.
  return absl::InvalidArgumentError("profile_id is not 24 lowercase hexadecimal characters");
}

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

}  // namespace

absl::StatusOr<std::unique_ptr<IdentityVault>> IdentityVault::Open(const std::string& path) {
  return OpenWithMode(path, Mode::kReadWrite);
}

absl::StatusOr<std::unique_ptr<IdentityVault>> IdentityVault::OpenReadOnly(
    const std::string& path) {
  return OpenWithMode(path, Mode::kReadOnly);
}

absl::StatusOr<std::unique_ptr<IdentityVault>> IdentityVault::OpenWithMode(const std::string& path,
                                                                           Mode mode) {
  struct stat info {};
  if (stat(path.c_str(), &info) == 0) {
    if (absl::Status status = CheckOwnerOnlyFile(kWhat, path, info); !status.ok()) return status;
  } else if (errno == ENOENT && mode == Mode::kReadWrite) {
    // Created here rather than by SQLite so that the mode is 0600 from the first byte; SQLite
    // gives its -wal and -shm files the database file's mode.
    absl::Status status = CreateOwnerOnlyFile(kWhat, path);
    // Another process may have created it in between; then its mode is checked like any other.
    if (absl::IsAlreadyExists(status)) {
      if (stat(path.c_str(), &info) != 0) return FileStatus(kWhat, path, "cannot stat", errno);
      status = CheckOwnerOnlyFile(kWhat, path, info);
    }
    if (!status.ok()) return status;
  } else {
    return FileStatus(kWhat, path, "cannot open", errno);
  }

  // NOMUTEX: an instance is confined to one thread, so SQLite's own locking would be pure cost.
  // No SQLITE_OPEN_CREATE: the file exists by now, and a vanished file should fail, not be
  // silently recreated empty.
  const int flags = (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                    SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // From here the destructor owns `db`, also when opening failed (SQLite then still allocates it).
  std::unique_ptr<IdentityVault> vault(new IdentityVault(path, db, mode));
  if (rc != SQLITE_OK) return vault->SqliteError(rc, "open");
  if (absl::Status status = vault->Configure(); !status.ok()) return status;
  if (absl::Status status = vault->CheckOrCreateSchema(); !status.ok()) return status;
  if (absl::Status status = vault->PrepareStatements(); !status.ok()) return status;
  return vault;
}

IdentityVault::~IdentityVault() {
  AbortBatch();
  for (sqlite3_stmt* statement : {put_, remove_, lookup_, count_}) sqlite3_finalize(statement);
  // close_v2 rather than close: it cannot fail with SQLITE_BUSY and leak the connection.
  sqlite3_close_v2(db_);
}

absl::Status IdentityVault::Configure() {
  // A vault that someone tampered with must not be able to copy client numbers elsewhere
  // through a trigger, a view or a function call in its schema, nor load an extension.
  if (const int rc = HardenSqliteConnection(db_, /*foreign_keys=*/false); rc != SQLITE_OK) {
    return SqliteError(rc, "configure");
  }
  if (absl::Status status =
          Execute(absl::StrCat("PRAGMA cache_size = -", kCacheKibibytes).c_str(), "configure");
      !status.ok()) {
    return status;
  }
  if (mode_ == Mode::kReadOnly) return Execute("PRAGMA query_only = ON", "configure");

  // SQLite falls back to read-only, silently, when the operating system refuses write access.
  if (sqlite3_db_readonly(db_, "main") == 1) {
    return absl::PermissionDeniedError(
        absl::StrCat("identity vault ", path_, " cannot be opened for writing"));
  }
  // FULL: in WAL mode NORMAL may lose the last commits on power loss, and the importer
  // acknowledges a batch only after CommitBatch. secure_delete: see the class comment.
  for (const char* pragma : {"PRAGMA synchronous = FULL", "PRAGMA secure_delete = ON"}) {
    if (absl::Status status = Execute(pragma, "configure"); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status IdentityVault::EnableWal() {
  // Persistent in the file; set on every open because it is cheap and checks the file system.
  absl::StatusOr<std::string> journal_mode = QueryText("PRAGMA journal_mode = WAL", "configure");
  if (!journal_mode.ok()) return journal_mode.status();
  if (*journal_mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("identity vault ", path_, ": the file system does not support WAL"));
  }
  return absl::OkStatus();
}

absl::Status IdentityVault::CheckOrCreateSchema() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<int64_t> application_id = QueryInteger("PRAGMA application_id", "open");
    if (!application_id.ok()) return application_id.status();
    absl::StatusOr<int64_t> version = QueryInteger("PRAGMA user_version", "open");
    if (!version.ok()) return version.status();
    absl::StatusOr<int64_t> objects = QueryInteger("SELECT count(*) FROM sqlite_schema", "open");
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
      if (absl::Status status = EnableWal(); !status.ok()) return status;
      if (*version == 1) {
        if (absl::Status status = Execute(kMigrateFromVersion1, "migrate schema"); !status.ok()) {
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
    if (absl::Status status = EnableWal(); !status.ok()) return status;
    // The write lock makes the check and the creation one step against a concurrent Open; the
    // loop checks again under the lock.
    if (absl::Status status = Execute("BEGIN IMMEDIATE", "create schema"); !status.ok()) {
      return status;
    }
    absl::StatusOr<int64_t> still_empty =
        QueryInteger("SELECT count(*) FROM sqlite_schema", "create schema");
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
    if (absl::Status status = Execute(create.c_str(), "create schema"); !status.ok()) {
      AbortBatch();
      return status;
    }
    return absl::OkStatus();
  }
  return absl::InternalError(
      absl::StrCat("identity vault ", path_, ": the schema changed while it was created"));
}

absl::Status IdentityVault::PrepareStatements() {
  const std::pair<const char*, sqlite3_stmt**> statements[] = {
      {kPut, &put_}, {kRemove, &remove_}, {kLookup, &lookup_}, {kCount, &count_}};
  for (const auto& [sql, statement] : statements) {
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, statement, nullptr);
    if (rc != SQLITE_OK) return SqliteError(rc, "prepare");
  }
  return absl::OkStatus();
}

bool IdentityVault::InBatch() const { return sqlite3_get_autocommit(db_) == 0; }

absl::Status IdentityVault::BeginBatch() {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  if (InBatch()) {
    return absl::FailedPreconditionError(
        absl::StrCat("identity vault ", path_, ": BeginBatch while a batch is open"));
  }
  return Execute("BEGIN IMMEDIATE", "begin batch");
}

absl::Status IdentityVault::CommitBatch() {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  if (!InBatch()) {
    return absl::FailedPreconditionError(
        absl::StrCat("identity vault ", path_, ": CommitBatch without an open batch"));
  }
  return Execute("COMMIT", "commit batch");
}

void IdentityVault::AbortBatch() {
  // A failed ROLLBACK leaves nothing to do: SQLite rolls back a transaction that never committed
  // when the connection closes or, after a crash, when the file is next opened.
  if (InBatch()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

absl::Status IdentityVault::Put(const VaultEntry& entry) {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  if (!IsProfileId(entry.profile_id)) return MalformedProfileId();
  if (entry.source.empty()) return absl::InvalidArgumentError("source is empty");
  if (entry.client_number.empty()) return absl::InvalidArgumentError("client_number is empty");

  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ResetOnExit reset(put_);
  int rc = BindText(put_, 1, entry.profile_id);
  if (rc == SQLITE_OK) rc = BindText(put_, 2, entry.source);
  if (rc == SQLITE_OK) rc = BindText(put_, 3, entry.client_number);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(put_, 4, now);
  if (rc == SQLITE_OK) rc = sqlite3_step(put_);
  if (rc != SQLITE_DONE) return SqliteError(rc, "put");
  return absl::OkStatus();
}

absl::Status IdentityVault::Remove(const std::string& profile_id) {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  if (!IsProfileId(profile_id)) return MalformedProfileId();
  ResetOnExit reset(remove_);
  int rc = BindText(remove_, 1, profile_id);
  if (rc == SQLITE_OK) rc = sqlite3_step(remove_);
  if (rc != SQLITE_DONE) return SqliteError(rc, "remove");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<VaultEntry>> IdentityVault::Lookup(const std::string& profile_id) {
  if (!IsProfileId(profile_id)) return MalformedProfileId();
  ResetOnExit reset(lookup_);
  int rc = BindText(lookup_, 1, profile_id);
  if (rc == SQLITE_OK) rc = sqlite3_step(lookup_);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return SqliteError(rc, "lookup");
  return VaultEntry{profile_id, ColumnText(lookup_, 0), ColumnText(lookup_, 1)};
}

absl::StatusOr<int64_t> IdentityVault::Count() {
  ResetOnExit reset(count_);
  const int rc = sqlite3_step(count_);
  if (rc != SQLITE_ROW) return SqliteError(rc, "count");
  return sqlite3_column_int64(count_, 0);
}

absl::Status IdentityVault::CheckWritable() const {
  if (untrusted_) {
    return absl::UnavailableError(
        "identity vault: an earlier write failed at the disk (I/O error); open the vault again "
        "(run the import again: it resumes)");
  }
  if (mode_ == Mode::kReadWrite) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("identity vault ", path_, " is opened read-only"));
}

absl::Status IdentityVault::Execute(const char* sql, std::string_view operation) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, operation);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> IdentityVault::QueryInteger(const char* sql, std::string_view operation) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(statement);
  const int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0;
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW) return SqliteError(rc, operation);
  return value;
}

absl::StatusOr<std::string> IdentityVault::QueryText(const char* sql, std::string_view operation) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(statement);
  std::string value = rc == SQLITE_ROW ? ColumnText(statement, 0) : std::string();
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW) return SqliteError(rc, operation);
  return value;
}

absl::Status IdentityVault::SqliteError(int code, std::string_view operation) const {
  if (LeavesConnectionUntrusted(code)) untrusted_ = true;
  return SqliteStatus(kWhat, code, operation);
}

}  // namespace verkenner::indexer
