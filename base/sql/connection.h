#ifndef VERKENNER_BASE_SQL_CONNECTION_H_
#define VERKENNER_BASE_SQL_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// What the service's store sees of a database connection, so that one store logic runs on SQLite
// (base/sqlite, the embedded default) and on PostgreSQL (base/postgres, for several instances).
// SQL is written once, with SQLite's numbered parameters (?1, ?2, ...), which the PostgreSQL
// connection turns into $1, $2, ...; what the dialects do not share (DDL types, how a write
// transaction begins) lives in the store's backend, not in the code that reads and writes rows.
namespace verkenner::sql {

enum class Dialect { kSqlite, kPostgres };

// A prepared statement. Bind values by index (from 1), then Step() through the rows. Bound strings
// must outlive the statement's execution (SQLite binds them by pointer).
class Statement {
 public:
  // What each connection implements; Statement forwards to it.
  class Impl {
   public:
    virtual ~Impl() = default;
    virtual void Bind(int index, std::string_view text) = 0;
    virtual void BindBlob(int index, std::string_view bytes) = 0;
    virtual void Bind(int index, int64_t value) = 0;
    virtual void BindNull(int index) = 0;
    virtual absl::StatusOr<bool> Step() = 0;
    virtual std::string Text(int column) const = 0;
    virtual int64_t Integer(int column) const = 0;
    virtual bool IsNull(int column) const = 0;
  };

  explicit Statement(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

  Statement& Bind(int index, std::string_view text) {
    impl_->Bind(index, text);
    return *this;
  }
  // Bytes that need not be text (serialized messages, keys).
  Statement& BindBlob(int index, std::string_view bytes) {
    impl_->BindBlob(index, bytes);
    return *this;
  }
  Statement& Bind(int index, int64_t value) {
    impl_->Bind(index, value);
    return *this;
  }
  Statement& BindNull(int index) {
    impl_->BindNull(index);
    return *this;
  }
  // True when a row is ready, false when the statement is done.
  absl::StatusOr<bool> Step() { return impl_->Step(); }
  // Steps a statement that returns no rows.
  absl::Status Run() { return Step().status(); }

  std::string Text(int column) const { return impl_->Text(column); }
  int64_t Integer(int column) const { return impl_->Integer(column); }
  bool IsNull(int column) const { return impl_->IsNull(column); }

 private:
  std::unique_ptr<Impl> impl_;
};

// One connection. Not thread-safe: it belongs to one thread at a time. Errors never contain bound
// values or connection secrets: they reach the service's clients.
class Connection {
 public:
  virtual ~Connection() = default;

  virtual Dialect dialect() const = 0;
  // Runs one or more statements without parameters or results; errors name `operation`.
  virtual absl::Status Execute(const char* sql, std::string_view operation = "execute") = 0;
  virtual absl::StatusOr<Statement> Prepare(std::string_view sql) = 0;
  // The rows changed by the last INSERT, UPDATE or DELETE.
  virtual int64_t changes() const = 0;
  // Whether a transaction is open and can still commit: false once an error (SQLite: an I/O
  // error or a full disk; PostgreSQL: any failed statement outside a savepoint) has ended it.
  virtual bool InTransaction() = 0;
  // Ends an open transaction without committing; works on a broken connection too (SQLite's
  // fail-closed connection refuses Execute, but must not keep its write lock).
  virtual void RollBack() = 0;
  // Whether this connection must not be used again: SQLite after an I/O error (fail-closed),
  // PostgreSQL once the connection to the server is lost.
  virtual bool broken() const = 0;

  // The first column of the first row of `sql` as an integer (0 when there is no row).
  absl::StatusOr<int64_t> QueryInteger(const char* sql);
};

}  // namespace verkenner::sql

#endif  // VERKENNER_BASE_SQL_CONNECTION_H_
