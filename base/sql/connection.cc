#include "base/sql/connection.h"

namespace verkenner::sql {

absl::StatusOr<int64_t> Connection::QueryInteger(const char* sql) {
  absl::StatusOr<Statement> statement = Prepare(sql);
  if (!statement.ok()) return statement.status();
  absl::StatusOr<bool> row = statement->Step();
  if (!row.ok()) return row.status();
  return *row ? statement->Integer(0) : 0;
}

}  // namespace verkenner::sql
