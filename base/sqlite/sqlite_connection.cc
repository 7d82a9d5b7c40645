#include "base/sqlite/sqlite_connection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/disk_space.h"

namespace verkenner::sqlite {
namespace {

// Long enough to wait out another connection's commit or checkpoint, short enough that a stuck
// writer shows up as an error rather than a hang.
constexpr int kBusyTimeoutMs = 10'000;

// Which status an error value means, for the values that have a meaning of their own; every other
// value is Internal (StatusCodeOf). A full disk is told apart (base::DiskFullError) before a table
// is read.

// errno values of file operations. EROFS: a read-only file system is the operator's to change.
constexpr std::pair<int, absl::StatusCode> kFileErrors[] = {
    {ENOENT, absl::StatusCode::kNotFound},         {EEXIST, absl::StatusCode::kAlreadyExists},
    {EACCES, absl::StatusCode::kPermissionDenied}, {EPERM, absl::StatusCode::kPermissionDenied},
    {EROFS, absl::StatusCode::kPermissionDenied},
};

// SQLite's primary result codes. Busy, locked and an I/O error are Unavailable: the same request
// may succeed later (after an I/O error on a new connection).
constexpr std::pair<int, absl::StatusCode> kSqliteErrors[] = {
    {SQLITE_BUSY, absl::StatusCode::kUnavailable},
    {SQLITE_LOCKED, absl::StatusCode::kUnavailable},
    {SQLITE_IOERR, absl::StatusCode::kUnavailable},
    {SQLITE_READONLY, absl::StatusCode::kFailedPrecondition},
    {SQLITE_CANTOPEN, absl::StatusCode::kFailedPrecondition},
    {SQLITE_PERM, absl::StatusCode::kPermissionDenied},
    {SQLITE_AUTH, absl::StatusCode::kPermissionDenied},
    {SQLITE_CORRUPT, absl::StatusCode::kDataLoss},
    {SQLITE_NOTADB, absl::StatusCode::kDataLoss},
};

template <size_t N>
absl::StatusCode StatusCodeOf(const std::pair<int, absl::StatusCode> (&table)[N], int error) {
  for (const auto& [value, code] : table) {
    if (value == error) return code;
  }
  return absl::StatusCode::kInternal;
}

// The status for `errno` value `error` in `action` on the file ("cannot open").
absl::Status FileStatus(std::string_view what, const std::string& path, std::string_view action,
                        int error) {
  if (base::IsDiskSpaceErrno(error)) return base::DiskFullError(what);
  return absl::Status(StatusCodeOf(kFileErrors, error),
                      absl::StrCat(std::string(what), " ", path, ": ", std::string(action), ": ",
                                   std::strerror(error)));
}

// Refuses anything but a regular file, and any access for group or others.
absl::Status CheckOwnerOnlyFile(std::string_view what, const std::string& path,
                                const struct stat& info) {
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(std::string(what), " ", path, " is not a regular file"));
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(what), " ", path, " is accessible to group or others; run: chmod 600 ", path));
  }
  return absl::OkStatus();
}

// Creates an empty owner-only (0600) file and makes its directory entry durable; SQLite syncs the
// directory for its journals but not for the database file, which it expects to exist already.
// AlreadyExists when another process created it first.
absl::Status CreateOwnerOnlyFile(std::string_view what, const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) return FileStatus(what, path, "cannot create", errno);
  // The umask may only have narrowed 0600; set it exactly so the file is writable by its owner.
  const bool written = fchmod(fd, S_IRUSR | S_IWUSR) == 0 && fsync(fd) == 0;
  const int write_error = errno;
  close(fd);
  if (!written) return FileStatus(what, path, "cannot set up", write_error);

  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  const int dir_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return FileStatus(what, path, "cannot open its directory", errno);
  const bool synced = fsync(dir_fd) == 0;
  const int sync_error = errno;
  close(dir_fd);
  if (!synced) return FileStatus(what, path, "cannot sync its directory", sync_error);
  return absl::OkStatus();
}

// Makes sure that `path` is an owner-only regular file before SQLite opens it, creating it for a
// writer. Created here rather than by SQLite so that the mode is 0600 from the first byte; SQLite
// gives its -wal and -shm files the database file's mode.
absl::Status PrepareOwnerOnlyFile(std::string_view what, const std::string& path,
                                  SqliteConnection::Mode mode) {
  struct stat info {};
  if (stat(path.c_str(), &info) == 0) return CheckOwnerOnlyFile(what, path, info);
  if (errno != ENOENT || mode != SqliteConnection::Mode::kReadWrite) {
    return FileStatus(what, path, "cannot open", errno);
  }
  absl::Status status = CreateOwnerOnlyFile(what, path);
  // Another process may have created it in between; then its mode is checked like any other.
  if (absl::IsAlreadyExists(status)) {
    if (stat(path.c_str(), &info) != 0) return FileStatus(what, path, "cannot stat", errno);
    status = CheckOwnerOnlyFile(what, path, info);
  }
  return status;
}

// Extended result codes, a busy timeout, and nothing in the file that runs code of its own (no
// triggers, views or extensions; defensive mode; an untrusted schema), so that a tampered file
// cannot copy data elsewhere. Returns an SQLite result code.
int HardenConnection(sqlite3* db, bool foreign_keys) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  int unused = 0;
  const std::pair<int, int> settings[] = {
      {SQLITE_DBCONFIG_DEFENSIVE, 1},
      {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0},
      {SQLITE_DBCONFIG_ENABLE_TRIGGER, 0},
      {SQLITE_DBCONFIG_ENABLE_VIEW, 0},
      {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0},
      {SQLITE_DBCONFIG_ENABLE_FKEY, foreign_keys ? 1 : 0},
  };
  for (const auto& [option, value] : settings) {
    if (const int rc = sqlite3_db_config(db, option, value, &unused); rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace

absl::Status SqliteStatus(std::string_view what, int code, std::string_view operation) {
  const int primary = code & 0xff;
  if (primary == SQLITE_FULL) return base::DiskFullError(what);
  std::string message =
      absl::StrCat(std::string(what), ": ", std::string(operation), " failed: SQLite error ", code,
                   " (", sqlite3_errstr(code), ")");
  if (primary == SQLITE_IOERR) {
    absl::StrAppend(&message,
                    ": the disk reported an I/O error; the change is not acknowledged, "
                    "and no more writes are taken until a restart");
  }
  return absl::Status(StatusCodeOf(kSqliteErrors, primary), message);
}

bool LeavesConnectionUntrusted(int code) { return (code & 0xff) == SQLITE_IOERR; }

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(std::string_view what,
                                                                         const std::string& path,
                                                                         Mode mode) {
  return Open(what, path, Options{.mode = mode});
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(std::string_view what,
                                                                         const std::string& path,
                                                                         const Options& options) {
  if (absl::Status status = PrepareOwnerOnlyFile(what, path, options.mode); !status.ok()) {
    return status;
  }
  // NOMUTEX: a connection is confined to one thread, so SQLite's own locking would be pure cost.
  // No SQLITE_OPEN_CREATE: the file exists by now, and a vanished file should fail, not be
  // silently recreated empty.
  const int flags =
      (options.mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
      SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // From here the connection owns `db`, also when opening failed (SQLite then still allocates it).
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(std::string(what), path, db));
  if (rc != SQLITE_OK) return connection->Error(rc, "open");
  if (absl::Status status = connection->Configure(options); !status.ok()) return status;
  return connection;
}

SqliteConnection::~SqliteConnection() {
  // close_v2 rather than close: it cannot fail with SQLITE_BUSY and leak the connection.
  sqlite3_close_v2(db_);
}

absl::Status SqliteConnection::Configure(const Options& options) {
  if (const int rc = HardenConnection(db_, options.foreign_keys); rc != SQLITE_OK) {
    return Error(rc, "configure");
  }
  if (options.mode == Mode::kReadOnly) return Execute("PRAGMA query_only = ON", "configure");
  // SQLite falls back to read-only, silently, when the operating system refuses write access.
  if (sqlite3_db_readonly(db_, "main") == 1) {
    return absl::PermissionDeniedError(
        absl::StrCat(what_, " ", path_, " cannot be opened for writing"));
  }
  // FULL: in WAL mode NORMAL may lose the last commits on power loss, and a change is
  // acknowledged only after its commit.
  if (absl::Status status = Execute("PRAGMA synchronous = FULL", "configure"); !status.ok()) {
    return status;
  }
  return options.wal_on_open ? EnableWal() : absl::OkStatus();
}

absl::Status SqliteConnection::EnableWal() {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, &statement, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(statement);
  const bool wal =
      rc == SQLITE_ROW &&
      std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))) == "wal";
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW) return Error(rc, "configure");
  if (!wal) {
    return absl::FailedPreconditionError(
        absl::StrCat(what_, " ", path_, ": the file system does not support WAL"));
  }
  return absl::OkStatus();
}

absl::Status SqliteConnection::RefuseIfUntrusted() const {
  if (!untrusted_) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat(what_,
                   ": an earlier write failed at the disk (I/O error); no more writes are "
                   "taken until a restart"));
}

absl::Status SqliteConnection::CopyInto(const std::string& path) {
  // VACUUM INTO takes an empty file as it finds it: made here, so that it is owner-only from
  // the start.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno == EEXIST ? absl::FailedPreconditionError(absl::StrCat(path, " exists already"))
                           : absl::UnavailableError(
                                 absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  close(fd);
  std::string quoted;
  for (char c : path) {
    quoted += c;
    if (c == '\'') quoted += c;
  }
  const std::string vacuum = absl::StrCat("VACUUM INTO '", quoted, "'");
  if (absl::Status status = Execute(vacuum.c_str(), "copy"); !status.ok()) {
    unlink(path.c_str());
    return status;
  }
  return absl::OkStatus();
}

absl::Status SqliteConnection::Execute(const char* sql, std::string_view operation) {
  if (absl::Status refused = RefuseIfUntrusted(); !refused.ok()) return refused;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, operation);
  return absl::OkStatus();
}

absl::StatusOr<sql::Statement> SqliteConnection::Prepare(std::string_view sql) {
  if (absl::Status refused = RefuseIfUntrusted(); !refused.ok()) return refused;
  sqlite3_stmt* statement = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    return Error(rc, "prepare");
  }
  return sql::Statement(std::make_unique<SqliteStatement>(this, statement));
}

void SqliteConnection::RollBack() {
  // Directly, not through Execute: an untrusted connection refuses statements.
  if (InTransaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

absl::Status SqliteConnection::Error(int code, std::string_view operation) const {
  if (LeavesConnectionUntrusted(code)) untrusted_ = true;
  return SqliteStatus(what_, code, operation);
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

void SqliteStatement::Bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                                   SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = connection_->Error(rc, "bind");
}

void SqliteStatement::BindBlob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob(statement_, index, bytes.data(), static_cast<int>(bytes.size()),
                                   SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = connection_->Error(rc, "bind");
}

void SqliteStatement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(statement_, index, value);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = connection_->Error(rc, "bind");
}

void SqliteStatement::BindNull(int index) {
  const int rc = sqlite3_bind_null(statement_, index);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = connection_->Error(rc, "bind");
}

absl::StatusOr<bool> SqliteStatement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return connection_->Error(rc, "step");
}

std::string SqliteStatement::Text(int column) const {
  const auto* text = sqlite3_column_blob(statement_, column);
  if (text == nullptr) return std::string();
  return std::string(static_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

int64_t SqliteStatement::Integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

}  // namespace verkenner::sqlite
