#ifndef VERKENNER_INDEXER_SQLITE_CONNECTION_H_
#define VERKENNER_INDEXER_SQLITE_CONNECTION_H_

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace verkenner::indexer {

class SqliteStatement;

// Files holding personal or account data (the identity vault, the service's store). `what` names
// the file in messages, e.g. "identity vault".
//
// Refuses anything but a regular file, and any access for group or others: whoever may write such
// a file can, say, point a pseudonym at another person.
absl::Status CheckOwnerOnlyFile(std::string_view what, const std::string& path,
                                const struct stat& info);
// Creates an empty owner-only (0600) file and makes its directory entry durable; SQLite syncs the
// directory for its journals but not for the database file, which it expects to exist already.
// AlreadyExists when another process created it first.
absl::Status CreateOwnerOnlyFile(std::string_view what, const std::string& path);
// The status for `errno` value `error` in `action` on the file ("cannot open"): NotFound,
// AlreadyExists, PermissionDenied (also for a read-only file system), engine::DiskFullError for a
// full disk, Internal otherwise.
absl::Status FileStatus(std::string_view what, const std::string& path, std::string_view action,
                        int error);
// The one place where SQLite result codes become statuses, for `operation` on the file that
// `what` names. Unavailable for busy or locked, for an I/O error and (engine::DiskFullError) for a
// full disk: the same request may succeed later. FailedPrecondition for read-only,
// PermissionDenied, DataLoss for a corrupt file or one that is not a database, Internal otherwise.
// The message holds `what`, the operation and SQLite's generic text for the code, never the file's
// path: these statuses reach the service's clients.
absl::Status SqliteStatus(std::string_view what, int code, std::string_view operation);
// Whether a connection that got SQLite result `code` may no longer be trusted to write: after an
// I/O error (a failed fsync above all) the kernel may have dropped pages that SQLite believes
// written, so a later commit on that connection could acknowledge what is not on disk.
bool LeavesConnectionUntrusted(int code);

// Sets what every connection to such a file needs: extended result codes, a busy timeout, and
// nothing in the file that runs code of its own (no triggers, views or extensions; defensive
// mode; an untrusted schema), so that a tampered file cannot copy data elsewhere. Returns an
// SQLite result code.
int HardenSqliteConnection(sqlite3* db, bool foreign_keys);

// One SQLite connection to the service's store, configured the way every connection to it must
// be: extended result codes, a busy timeout, foreign keys on, nothing in the file that runs code
// (triggers, views, extensions), and for writers WAL with synchronous=FULL, so that a committed
// transaction survives kill -9 and power loss.
//
// Not thread-safe: one connection belongs to one thread at a time. Errors never contain bound
// values or the path: only the operation and SQLite's error code.
//
// Fail-closed: once an operation hits an I/O error (LeavesConnectionUntrusted), every later
// Execute and Prepare answers Unavailable without touching the file; only a new connection (a
// restart of the program) writes again.
class SqliteConnection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens `path`, creating it with mode 0600 when `mode` is kReadWrite and it does not exist.
  // Errors: PermissionDenied when the file is accessible to group or others; DataLoss when it is
  // not an SQLite database; the mapped SQLite error otherwise.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(std::string_view what,
                                                                const std::string& path, Mode mode);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more statements without results.
  absl::Status Execute(const char* sql);
  // Prepares a statement. `sql` must outlive nothing: SQLite copies it.
  absl::StatusOr<SqliteStatement> Prepare(std::string_view sql);
  // The first column of the first row of `sql` as an integer (0 when there is no row).
  absl::StatusOr<int64_t> QueryInteger(const char* sql);

  // The status for SQLite result `code` in `operation`, e.g. Unavailable for SQLITE_BUSY; marks the
  // connection untrusted after an I/O error.
  absl::Status Error(int code, std::string_view operation) const;
  // Whether an I/O error has made this connection refuse further work.
  bool untrusted() const { return untrusted_; }
  int64_t changes() const { return sqlite3_changes64(db_); }
  sqlite3* handle() { return db_; }

 private:
  SqliteConnection(std::string what, std::string path, sqlite3* db)
      : what_(std::move(what)), path_(std::move(path)), db_(db) {}
  absl::Status Configure(Mode mode);
  absl::Status RefuseIfUntrusted() const;

  std::string what_;
  std::string path_;
  sqlite3* db_;
  mutable bool untrusted_ = false;  // set by Error(), which statements call too
};

// A prepared statement. Bind values by index (from 1), then Step() through the rows. Text and
// blobs are bound by pointer: the bound strings must outlive the statement's execution.
class SqliteStatement {
 public:
  SqliteStatement(SqliteConnection* connection, sqlite3_stmt* statement)
      : connection_(connection), statement_(statement) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& BindBlob(int index, std::string_view bytes);
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& BindNull(int index);

  // True when a row is ready, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps a statement that returns no rows.
  absl::Status Run();

  std::string Text(int column) const;
  int64_t Integer(int column) const;
  bool IsNull(int column) const;

 private:
  SqliteConnection* connection_;
  sqlite3_stmt* statement_;
  absl::Status bind_status_;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_SQLITE_CONNECTION_H_
