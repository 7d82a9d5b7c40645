#include "base/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/disk_space.h"

namespace verkenner::postgres {
namespace {

// Type OIDs (PostgreSQL's catalog/pg_type_d.h, which only the server's headers carry).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

// SQLSTATE classes and codes that have a status of their own; every other one is Internal.
// Class 08: connection exceptions; 57P0x: the server is shutting down or restarting; 25006: a
// read-only transaction, which a write gets on a standby reached after a failover; 53300: too many
// connections.
constexpr std::pair<std::string_view, absl::StatusCode> kSqlStates[] = {
    {"08", absl::StatusCode::kUnavailable},         {"57P01", absl::StatusCode::kUnavailable},
    {"57P02", absl::StatusCode::kUnavailable},      {"57P03", absl::StatusCode::kUnavailable},
    {"25006", absl::StatusCode::kUnavailable},      {"53300", absl::StatusCode::kUnavailable},
    {"40001", absl::StatusCode::kAborted},          {"40P01", absl::StatusCode::kAborted},
    {"23505", absl::StatusCode::kAlreadyExists},    {"57014", absl::StatusCode::kDeadlineExceeded},
    {"42501", absl::StatusCode::kPermissionDenied}, {"XX001", absl::StatusCode::kDataLoss},
    {"XX002", absl::StatusCode::kDataLoss},
};

absl::StatusCode StatusCodeOf(std::string_view sqlstate) {
  for (const auto& [prefix, code] : kSqlStates) {
    if (sqlstate.starts_with(prefix)) return code;
  }
  return absl::StatusCode::kInternal;
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// A statement of a PgConnection: parameters are collected by Bind and sent when Step first runs,
// which prepares the statement for the bound types.
class PgStatement final : public sql::Statement::Impl {
 public:
  PgStatement(PgConnection* connection, std::string sql)
      : connection_(connection), sql_(std::move(sql)) {}

  void Bind(int index, std::string_view text) override {
    Set(index, kTextOid, std::string(text), 0);
  }
  void BindBlob(int index, std::string_view bytes) override {
    Set(index, kByteaOid, std::string(bytes), 1);
  }
  void Bind(int index, int64_t value) override { Set(index, kInt8Oid, absl::StrCat(value), 0); }
  void BindNull(int index) override { Set(index, 0, std::nullopt, 0); }

  absl::StatusOr<bool> Step() override {
    if (!result_) {
      if (absl::Status status = Execute(); !status.ok()) return status;
    }
    return ++row_ < PQntuples(result_.get());
  }

  std::string Text(int column) const override {
    const char* value = PQgetvalue(result_.get(), row_, column);
    if (PQftype(result_.get(), column) != kByteaOid) {
      return std::string(value, static_cast<size_t>(PQgetlength(result_.get(), row_, column)));
    }
    size_t length = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &length);
    if (bytes == nullptr) return std::string();
    std::string text(reinterpret_cast<const char*>(bytes), length);
    PQfreemem(bytes);
    return text;
  }
  int64_t Integer(int column) const override {
    const char* value = PQgetvalue(result_.get(), row_, column);
    if (PQftype(result_.get(), column) == kBoolOid) return value[0] == 't' ? 1 : 0;
    return std::strtoll(value, nullptr, 10);
  }
  bool IsNull(int column) const override { return PQgetisnull(result_.get(), row_, column) != 0; }

 private:
  void Set(int index, Oid type, std::optional<std::string> value, int format) {
    if (index < 1) return;
    const size_t at = static_cast<size_t>(index - 1);
    if (values_.size() <= at) {
      values_.resize(at + 1);
      types_.resize(at + 1, 0);
      formats_.resize(at + 1, 0);
    }
    values_[at] = std::move(value);
    types_[at] = type;
    formats_[at] = format;
  }

  absl::Status Execute() {
    std::string type_key;
    for (Oid type : types_) absl::StrAppend(&type_key, type, ",");
    const int count = static_cast<int>(values_.size());
    absl::StatusOr<std::string> name = connection_->Prepared(sql_, type_key, count, types_.data());
    if (!name.ok()) return name.status();
    std::vector<const char*> values(values_.size(), nullptr);
    std::vector<int> lengths(values_.size(), 0);
    for (size_t i = 0; i < values_.size(); ++i) {
      if (!values_[i]) continue;
      values[i] = values_[i]->data();
      lengths[i] = static_cast<int>(values_[i]->size());
    }
    result_.reset(PQexecPrepared(connection_->handle(), name->c_str(), count, values.data(),
                                 lengths.data(), formats_.data(), 0));
    return connection_->Check(result_.get(), "step");
  }

  PgConnection* connection_;
  std::string sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<Oid> types_;
  std::vector<int> formats_;
  ResultPtr result_{nullptr, &PQclear};
  int row_ = -1;
};

}  // namespace

bool IsPostgresTarget(std::string_view target) {
  return target.starts_with("postgresql://") || target.starts_with("postgres://");
}

std::string RedactedTarget(const std::string& conninfo) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) return "postgresql://(unreadable connection string)";
  std::string host, port, database;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view keyword = option->keyword;
    if (keyword == "host") host = option->val;
    if (keyword == "port") port = option->val;
    if (keyword == "dbname") database = option->val;
  }
  PQconninfoFree(options);
  return absl::StrCat("postgresql://", host, port.empty() ? "" : ":", port, "/", database);
}

absl::Status PgStatus(std::string_view what, std::string_view sqlstate,
                      std::string_view operation) {
  if (sqlstate == "53100") return base::DiskFullError(what);
  return absl::Status(StatusCodeOf(sqlstate),
                      absl::StrCat(std::string(what), ": ", std::string(operation),
                                   " failed (SQLSTATE ", std::string(sqlstate), ")"));
}

std::string PostgresParameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;  // ' or " while inside a literal or quoted identifier
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out.push_back('$');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Open(std::string_view what,
                                                                 const std::string& conninfo,
                                                                 Mode mode) {
  PGconn* raw = PQconnectdb(conninfo.c_str());
  std::unique_ptr<PgConnection> connection(new PgConnection(std::string(what), raw));
  if (raw == nullptr || PQstatus(raw) != CONNECTION_OK) {
    // libpq's message names the host and the reason (never the password); its first line only.
    std::string reason = raw == nullptr ? "out of memory" : PQerrorMessage(raw);
    if (const size_t end = reason.find('\n'); end != std::string::npos) reason.resize(end);
    return absl::UnavailableError(
        absl::StrCat(std::string(what), ": cannot connect to PostgreSQL: ", reason));
  }
  PQsetNoticeReceiver(raw, &PgConnection::ReceiveNotice, connection.get());
  // UTC and UTF-8 whatever the server's defaults; readers cannot write by mistake.
  std::string settings = "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC';";
  if (mode == Mode::kReadOnly) settings += " SET default_transaction_read_only = on;";
  if (absl::Status status = connection->Execute(settings.c_str(), "configure"); !status.ok()) {
    return status;
  }
  return connection;
}

PgConnection::~PgConnection() { PQfinish(connection_); }

void PgConnection::ReceiveNotice(void* self, const PGresult* notice) {
  // Notices are dropped (libpq would print them on stderr); a WARNING is remembered.
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr && std::string_view(severity) == "WARNING") {
    static_cast<PgConnection*>(self)->warned_ = true;
  }
}

absl::Status PgConnection::Check(const PGresult* result, std::string_view operation) {
  const ExecStatusType status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(result));
    changes_ = tuples[0] == '\0' ? 0 : std::strtoll(tuples, nullptr, 10);
    return absl::OkStatus();
  }
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  // No SQLSTATE: libpq lost the connection (or ran out of memory) before the server answered.
  if (sqlstate == nullptr || broken()) return PgStatus(what_, "08006", operation);
  absl::Status mapped = PgStatus(what_, sqlstate, operation);
  // Errors in our own SQL (class 42: syntax, unknown names; 0A: unsupported) hold no values:
  // their text helps whoever reads the log.
  if (std::string_view(sqlstate).starts_with("42") ||
      std::string_view(sqlstate).starts_with("0A")) {
    const char* text = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    if (text != nullptr)
      return absl::Status(mapped.code(), absl::StrCat(mapped.message(), ": ", text));
  }
  return mapped;
}

absl::Status PgConnection::Execute(const char* sql, std::string_view operation) {
  if (broken()) return PgStatus(what_, "08006", operation);
  warned_ = false;
  ResultPtr result(PQexec(connection_, sql), &PQclear);
  absl::Status status = Check(result.get(), operation);
  if (status.ok() && warned_ && std::string_view(sql) == "COMMIT") {
    return absl::UnavailableError(
        absl::StrCat(what_, ": the commit was not confirmed by the synchronous standby"));
  }
  return status;
}

absl::StatusOr<sql::Statement> PgConnection::Prepare(std::string_view sql) {
  if (broken()) return PgStatus(what_, "08006", "prepare");
  return sql::Statement(std::make_unique<PgStatement>(this, PostgresParameters(sql)));
}

absl::StatusOr<std::string> PgConnection::Prepared(const std::string& sql, const std::string& types,
                                                   int parameters, const unsigned int* type_oids) {
  const std::string key = absl::StrCat(types, "|", sql);
  if (auto found = prepared_.find(key); found != prepared_.end()) return found->second;
  std::string name = absl::StrCat("s", prepared_.size() + 1);
  ResultPtr result(PQprepare(connection_, name.c_str(), sql.c_str(), parameters, type_oids),
                   &PQclear);
  if (absl::Status status = Check(result.get(), "prepare"); !status.ok()) return status;
  prepared_.emplace(key, name);
  return name;
}

bool PgConnection::InTransaction() {
  const PGTransactionStatusType status = PQtransactionStatus(connection_);
  return status == PQTRANS_INTRANS || status == PQTRANS_ACTIVE;
}

void PgConnection::RollBack() {
  if (!broken() && PQtransactionStatus(connection_) != PQTRANS_IDLE) {
    PQclear(PQexec(connection_, "ROLLBACK"));
  }
}

bool PgConnection::broken() const {
  return connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK;
}

}  // namespace verkenner::postgres
