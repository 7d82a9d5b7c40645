#include "service/store/accounts.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "base/email_address.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {

constexpr char kAccountColumns[] =
    "id, email, display_name, role, organisation, region_code, source, disabled";

AccountRecord ReadAccount(const sql::Statement& row) {
  AccountRecord account;
  account.id = row.Text(0);
  account.email = row.Text(1);
  account.display_name = row.Text(2);
  account.role = static_cast<v1::AccountRole>(row.Integer(3));
  account.organisation = row.Text(4);
  account.region_code = row.Text(5);
  account.source = row.Text(6);
  account.disabled = row.Integer(7) != 0;
  return account;
}

absl::Status CheckNewAccount(const NewAccount& account) {
  if (!base::IsEmailAddress(account.email))
    return absl::InvalidArgumentError("email: not an e-mail address");
  if (account.display_name.empty() || account.display_name.size() > 200) {
    return absl::InvalidArgumentError("display_name: 1 to 200 characters");
  }
  if (account.organisation.empty() || account.organisation.size() > 200) {
    return absl::InvalidArgumentError("organisation: 1 to 200 characters");
  }
  const bool wsp = account.role == v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  const bool importer = account.role == v1::ACCOUNT_ROLE_IMPORTER;
  switch (account.role) {
    case v1::ACCOUNT_ROLE_EMPLOYER:
    case v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER:
    case v1::ACCOUNT_ROLE_IMPORTER:
    case v1::ACCOUNT_ROLE_ADMIN:
      break;
    default:
      return absl::InvalidArgumentError("role: unknown");
  }
  if (wsp != !account.region_code.empty()) {
    return absl::InvalidArgumentError(
        "region_code: required for WSP account managers, and only for them");
  }
  if (importer != !account.source.empty()) {
    return absl::InvalidArgumentError("source: required for importers, and only for them");
  }
  return absl::OkStatus();
}

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<AccountRecord> CreateAccount(sql::Connection& db, const NewAccount& account,
                                            int64_t now_micros) {
  if (absl::Status status = CheckNewAccount(account); !status.ok()) return status;
  absl::StatusOr<std::optional<std::pair<AccountRecord, std::string>>> existing =
      FindAccountByEmail(db, account.email);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return absl::AlreadyExistsError("email: an account has it already");
  absl::StatusOr<sql::Statement> insert = db.Prepare(
      "INSERT INTO account (id, email, display_name, role, organisation, region_code, source, "
      "password_hash, create_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!insert.ok()) return insert.status();
  AccountRecord record;
  record.id = NewResourceId();
  record.email = account.email;
  record.display_name = account.display_name;
  record.role = account.role;
  record.organisation = account.organisation;
  record.region_code = account.region_code;
  record.source = account.source;
  insert->Bind(1, record.id)
      .Bind(2, record.email)
      .Bind(3, record.display_name)
      .Bind(4, static_cast<int64_t>(record.role))
      .Bind(5, record.organisation)
      .Bind(6, record.region_code)
      .Bind(7, record.source)
      .Bind(9, now_micros);
  if (account.password_hash.empty()) {
    insert->BindNull(8);
  } else {
    insert->Bind(8, account.password_hash);
  }
  if (absl::Status status = insert->Run(); !status.ok()) return status;
  return record;
}

absl::StatusOr<std::optional<std::pair<AccountRecord, std::string>>> FindAccountByEmail(
    sql::Connection& db, const std::string& email) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare(std::string("SELECT ") + kAccountColumns +
                 ", coalesce(password_hash, '') FROM account WHERE lower(email) = lower(?1)");
  if (!select.ok()) return select.status();
  select->Bind(1, email);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return std::make_pair(ReadAccount(*select), select->Text(8));
}

absl::StatusOr<std::optional<AccountRecord>> FindAccount(sql::Connection& db,
                                                         const std::string& id) {
  absl::StatusOr<sql::Statement> select =
      db.Prepare(std::string("SELECT ") + kAccountColumns + " FROM account WHERE id = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, id);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return ReadAccount(*select);
}

absl::Status AddToken(sql::Connection& db, const std::string& token_hash,
                      const std::string& account_id, TokenKind kind, int64_t now_micros,
                      int64_t expire_micros) {
  absl::StatusOr<sql::Statement> insert = db.Prepare(
      "INSERT INTO token (hash, account_id, kind, create_time, expire_time, last_use_time) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?4)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, token_hash)
      .Bind(2, account_id)
      .Bind(3, static_cast<int64_t>(kind))
      .Bind(4, now_micros)
      .Bind(5, expire_micros);
  return insert->Run();
}

absl::StatusOr<std::optional<std::pair<AccountRecord, TokenKind>>> AccountOfToken(
    sql::Connection& db, const std::string& token_hash, int64_t now_micros,
    int64_t session_idle_micros) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      "SELECT a.id, a.email, a.display_name, a.role, a.organisation, a.region_code, a.source, "
      "a.disabled, t.kind FROM token t JOIN account a ON a.id = t.account_id "
      "WHERE t.hash = ?1 AND (t.expire_time = 0 OR t.expire_time > ?2) AND a.disabled = 0 "
      "AND (t.kind = 2 OR t.last_use_time > ?3)");
  if (!select.ok()) return select.status();
  select->Bind(1, token_hash).Bind(2, now_micros).Bind(3, now_micros - session_idle_micros);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return std::make_pair(ReadAccount(*select), static_cast<TokenKind>(select->Integer(8)));
}

absl::Status TouchToken(sql::Connection& db, const std::string& token_hash, int64_t now_micros) {
  absl::StatusOr<sql::Statement> update =
      db.Prepare("UPDATE token SET last_use_time = ?2 WHERE hash = ?1 AND last_use_time < ?2");
  if (!update.ok()) return update.status();
  update->Bind(1, token_hash).Bind(2, now_micros);
  return update->Run();
}

std::string TokenId(const std::string& token_hash) { return token_hash.substr(0, kTokenIdLength); }

absl::StatusOr<std::vector<TokenListing>> ListTokens(sql::Connection& db,
                                                     const std::string& account_id) {
  absl::StatusOr<sql::Statement> select = db.Prepare(
      "SELECT t.hash, a.email, t.kind, t.create_time, t.expire_time, t.last_use_time "
      "FROM token t JOIN account a ON a.id = t.account_id "
      "WHERE ?1 = '' OR t.account_id = ?1 ORDER BY t.create_time DESC, t.hash");
  if (!select.ok()) return select.status();
  select->Bind(1, account_id);
  std::vector<TokenListing> tokens;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return tokens;
    tokens.push_back({TokenId(select->Text(0)), select->Text(1),
                      static_cast<TokenKind>(select->Integer(2)), select->Integer(3),
                      select->Integer(4), select->Integer(5)});
  }
}

absl::Status RemoveTokenById(sql::Connection& db, const std::string& token_id) {
  if (token_id.size() != kTokenIdLength ||
      !std::all_of(token_id.begin(), token_id.end(),
                   [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); })) {
    return absl::InvalidArgumentError(
        "--token_id: the 12 lowercase hexadecimal characters list-tokens shows");
  }
  absl::StatusOr<sql::Statement> remove =
      db.Prepare("DELETE FROM token WHERE substr(hash, 1, 12) = ?1");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, token_id);
  if (absl::Status status = remove->Run(); !status.ok()) return status;
  if (db.changes() == 0) return absl::NotFoundError("no token has this id");
  return absl::OkStatus();
}

absl::Status RemoveToken(sql::Connection& db, const std::string& token_hash) {
  absl::StatusOr<sql::Statement> remove = db.Prepare("DELETE FROM token WHERE hash = ?1");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, token_hash);
  return remove->Run();
}

}  // namespace verkenner::service
