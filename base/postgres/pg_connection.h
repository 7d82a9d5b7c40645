#ifndef VERKENNER_BASE_POSTGRES_PG_CONNECTION_H_
#define VERKENNER_BASE_POSTGRES_PG_CONNECTION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/sql/connection.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace verkenner::postgres {

// Whether `target` names a PostgreSQL database (a postgresql:// or postgres:// URI, as libpq
// reads them, several hosts included) rather than a file.
bool IsPostgresTarget(std::string_view target);

// The status for SQLSTATE `sqlstate` in `operation`. Unavailable when the same request may succeed
// on a new connection or later (connection failures, a server shutting down, a read-only server
// reached after a failover, too many connections); base::DiskFullError for a full disk; Aborted
// for a serialisation failure or deadlock; AlreadyExists for a unique violation; DeadlineExceeded
// for a cancelled statement; PermissionDenied; DataLoss for corruption; Internal otherwise. The
// message names `what`, the operation and the SQLSTATE, never a bound value or the connection
// string (which may hold a password): these statuses reach the service's clients.
absl::Status PgStatus(std::string_view what, std::string_view sqlstate, std::string_view operation);

// One libpq connection, used through sql::Connection. SQL is written with SQLite's numbered
// parameters (?1, ?2, ...), turned into $1, $2, ... here; each statement is prepared once per
// connection (by its text and its parameters' types) and run with text results, bytea decoded.
//
// A COMMIT during which the server warned (PostgreSQL cancels the wait for a synchronous standby
// with only a WARNING: the transaction committed locally but may not have reached the standby)
// fails with Unavailable, so that nothing the standby may lack is acknowledged.
//
// Not thread-safe: one connection belongs to one thread at a time.
class PgConnection final : public sql::Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Connects to `conninfo` (a libpq URI or key=value string). `what` names the database in
  // messages. Errors: Unavailable when the server cannot be reached or refuses the login.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Open(std::string_view what,
                                                            const std::string& conninfo, Mode mode);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }
  absl::Status Execute(const char* sql, std::string_view operation = "execute") override;
  absl::StatusOr<sql::Statement> Prepare(std::string_view sql) override;
  int64_t changes() const override { return changes_; }
  bool InTransaction() override;
  bool broken() const override;
  void RollBack() override;

  // The status of a finished command `result` (which may be null) in `operation`; OK for a
  // command or rows. Records the rows a command changed.
  absl::Status Check(const PGresult* result, std::string_view operation);
  // The name of the server-side prepared statement for `sql` with parameter types `types`
  // (comma-separated OIDs), preparing it on first use.
  absl::StatusOr<std::string> Prepared(const std::string& sql, const std::string& types,
                                       int parameters, const unsigned int* type_oids);
  PGconn* handle() { return connection_; }

 private:
  PgConnection(std::string what, PGconn* connection)
      : what_(std::move(what)), connection_(connection) {}
  static void ReceiveNotice(void* self, const PGresult* notice);

  std::string what_;
  PGconn* connection_;
  int64_t changes_ = 0;
  bool warned_ = false;                          // a WARNING arrived during the current command
  std::map<std::string, std::string> prepared_;  // "types|sql" -> statement name
};

// `conninfo` without what may be secret (user, password, options): "postgresql://host:port/db",
// for messages and logs.
std::string RedactedTarget(const std::string& conninfo);

// ?N parameters outside quoted literals and identifiers become $N.
std::string PostgresParameters(std::string_view sql);

}  // namespace verkenner::postgres

#endif  // VERKENNER_BASE_POSTGRES_PG_CONNECTION_H_
