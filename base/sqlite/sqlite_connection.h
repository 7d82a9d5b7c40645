#ifndef VERKENNER_BASE_SQLITE_SQLITE_CONNECTION_H_
#define VERKENNER_BASE_SQLITE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/sql/connection.h"

namespace verkenner::sqlite {

class SqliteStatement;

// The one place where SQLite result codes become statuses, for `operation` on the file that
// `what` names. Unavailable for busy or locked, for an I/O error and (base::DiskFullError) for a
// full disk: the same request may succeed later. FailedPrecondition for read-only,
// PermissionDenied, DataLoss for a corrupt file or one that is not a database, Internal otherwise.
// The message holds `what`, the operation and SQLite's generic text for the code, never the file's
// path: these statuses reach the service's clients.
absl::Status SqliteStatus(std::string_view what, int code, std::string_view operation);
// Whether a connection that got SQLite result `code` may no longer be trusted to write: after an
// I/O error (a failed fsync above all) the kernel may have dropped pages that SQLite believes
// written, so a later commit on that connection could acknowledge what is not on disk.
bool LeavesConnectionUntrusted(int code);

// One SQLite connection to a file that holds personal or account data (the service's store, the
// identity vault), configured the way every connection to such a file must be:
// - the file is owner-only (0600): Open creates it so, and refuses anything but a regular file and
//   any access for group or others, since whoever may write it can, say, point a pseudonym at
//   another person;
// - extended result codes, a busy timeout, and nothing in the file that runs code of its own (no
//   triggers, views or extensions; defensive mode; an untrusted schema), so that a tampered file
//   cannot copy data elsewhere;
// - for writers WAL with synchronous=FULL, so that a committed transaction survives kill -9 and
//   power loss.
//
// Not thread-safe: one connection belongs to one thread at a time. Errors never contain bound
// values, and those of SQLite never the path: only `what` (e.g. "store"), the operation and
// SQLite's error code (SqliteStatus).
//
// Fail-closed: once an operation hits an I/O error (LeavesConnectionUntrusted), every later
// Execute and Prepare answers Unavailable without touching the file; only a new connection (a
// restart of the program) writes again.
class SqliteConnection final : public sql::Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  struct Options {
    Mode mode = Mode::kReadWrite;
    // Whether SQLite enforces the file's FOREIGN KEY constraints.
    bool foreign_keys = true;
    // Whether a writer switches the file to WAL while opening. A caller that must first check
    // that the file is its own (and leave another application's file unchanged) passes false and
    // calls EnableWal itself.
    bool wal_on_open = true;
  };

  // Opens `path`, creating it with mode 0600 when `options.mode` is kReadWrite and it does not
  // exist. `what` names the file in messages. Errors: PermissionDenied when the file is
  // accessible to group or others, or cannot be written by a writer; FailedPrecondition when it
  // is not a regular file or (with wal_on_open) the file system has no WAL; NotFound when a
  // reader's file does not exist; DataLoss when it is not an SQLite database; the mapped SQLite
  // error otherwise.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(std::string_view what,
                                                                const std::string& path,
                                                                const Options& options);
  // Open with the defaults for `mode`: foreign keys on, WAL for a writer.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(std::string_view what,
                                                                const std::string& path, Mode mode);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  // Runs one or more statements without results; errors name `operation`.
  absl::Status Execute(const char* sql, std::string_view operation = "execute") override;
  // Prepares a statement. `sql` must outlive nothing: SQLite copies it.
  absl::StatusOr<sql::Statement> Prepare(std::string_view sql) override;
  // Switches the file to WAL (persistent in the file; cheap when it is already). Fails with
  // FailedPrecondition when the file system does not support WAL.
  absl::Status EnableWal();
  // Copies one committed state of the database into a new file at `path`, owner-only, whatever
  // the WAL holds (VACUUM INTO; a reader's connection may do it while writers go on). Outside a
  // transaction. FailedPrecondition when `path` exists; the file is removed when the copy fails.
  absl::Status CopyInto(const std::string& path);

  // The status for SQLite result `code` in `operation`, e.g. Unavailable for SQLITE_BUSY; marks the
  // connection untrusted after an I/O error.
  absl::Status Error(int code, std::string_view operation) const;
  // Whether an I/O error has made this connection refuse further work.
  bool untrusted() const { return untrusted_; }
  int64_t changes() const override { return sqlite3_changes64(db_); }
  bool InTransaction() override { return sqlite3_get_autocommit(db_) == 0; }
  bool broken() const override { return untrusted_; }
  void RollBack() override;
  // For statements the caller keeps prepared itself (sqlite3_prepare_v3 with
  // SQLITE_PREPARE_PERSISTENT); report their errors through Error().
  sqlite3* handle() { return db_; }

 private:
  SqliteConnection(std::string what, std::string path, sqlite3* db)
      : what_(std::move(what)), path_(std::move(path)), db_(db) {}
  absl::Status Configure(const Options& options);
  absl::Status RefuseIfUntrusted() const;

  std::string what_;
  std::string path_;
  sqlite3* db_;
  mutable bool untrusted_ = false;  // set by Error(), which statements call too
};

// A prepared SQLite statement, used through sql::Statement.
class SqliteStatement final : public sql::Statement::Impl {
 public:
  SqliteStatement(SqliteConnection* connection, sqlite3_stmt* statement)
      : connection_(connection), statement_(statement) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() override;

  void Bind(int index, std::string_view text) override;
  void BindBlob(int index, std::string_view bytes) override;
  void Bind(int index, int64_t value) override;
  void BindNull(int index) override;
  absl::StatusOr<bool> Step() override;
  std::string Text(int column) const override;
  int64_t Integer(int column) const override;
  bool IsNull(int column) const override;

 private:
  SqliteConnection* connection_;
  sqlite3_stmt* statement_;
  absl::Status bind_status_;
};

}  // namespace verkenner::sqlite

#endif  // VERKENNER_BASE_SQLITE_SQLITE_CONNECTION_H_
