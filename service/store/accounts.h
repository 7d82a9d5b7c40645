#ifndef VERKENNER_SERVICE_STORE_ACCOUNTS_H_
#define VERKENNER_SERVICE_STORE_ACCOUNTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/sql/connection.h"
#include "verkenner/v1/sessions.pb.h"

// Accounts and their tokens in the store (service/store/store.h). Functions take the connection
// of a Store::Read or Store::Write; they never commit themselves.
namespace verkenner::service {

// An account as the store keeps it.
struct AccountRecord {
  std::string id;  // resource name "accounts/<id>"
  std::string email;
  std::string display_name;
  v1::AccountRole role = v1::ACCOUNT_ROLE_UNSPECIFIED;
  std::string organisation;  // employers: shared by the organisation's accounts
  std::string region_code;   // WSP account managers: AMxx
  std::string source;        // importers: GMxxxx or UWV
  bool disabled = false;

  std::string resource_name() const { return "accounts/" + id; }
};

enum class TokenKind : int64_t { kSession = 1, kApi = 2 };

// What a new account needs. The id is chosen by CreateAccount.
struct NewAccount {
  std::string email;
  std::string display_name;
  v1::AccountRole role = v1::ACCOUNT_ROLE_UNSPECIFIED;
  std::string organisation;
  std::string region_code;
  std::string source;
  std::string password_hash;  // empty: no web login, API tokens only
};

// Adds an account. Errors: InvalidArgument naming the field (role without its region or source,
// or one that does not fit the role); AlreadyExists when the e-mail address is taken.
absl::StatusOr<AccountRecord> CreateAccount(sql::Connection& db, const NewAccount& account,
                                            int64_t now_micros);
// The account with this e-mail address (case-insensitive) and its password hash (empty when it
// has none); nullopt when there is none.
absl::StatusOr<std::optional<std::pair<AccountRecord, std::string>>> FindAccountByEmail(
    sql::Connection& db, const std::string& email);
absl::StatusOr<std::optional<AccountRecord>> FindAccount(sql::Connection& db,
                                                         const std::string& id);

// Stores a token by its hash (credentials.h: TokenHash). `expire_micros` 0: until revoked.
absl::Status AddToken(sql::Connection& db, const std::string& token_hash,
                      const std::string& account_id, TokenKind kind, int64_t now_micros,
                      int64_t expire_micros);
// The enabled account a token acts for and the token's kind, when the token exists, has not
// expired at `now_micros` and, for a session, was used after `now_micros - session_idle_micros`;
// nullopt otherwise.
absl::StatusOr<std::optional<std::pair<AccountRecord, TokenKind>>> AccountOfToken(
    sql::Connection& db, const std::string& token_hash, int64_t now_micros,
    int64_t session_idle_micros);
// Records that a token was used at `now_micros`.
absl::Status TouchToken(sql::Connection& db, const std::string& token_hash, int64_t now_micros);
// Removes a token; removing one that is gone succeeds.
absl::Status RemoveToken(sql::Connection& db, const std::string& token_hash);

// A stored token as an operator sees it (verkenner-admin list-tokens): never the token, and of
// its hash only the public id.
struct TokenListing {
  std::string id;  // TokenId
  std::string email;
  TokenKind kind = TokenKind::kApi;
  int64_t create_micros = 0;
  int64_t expire_micros = 0;  // 0: until revoked
  int64_t last_use_micros = 0;
};
// A token's public id: the first 12 hexadecimal characters of its hash. It names the token in
// lists and revocations; it does not let anyone use it (the hash is one-way, and this is a part).
inline constexpr size_t kTokenIdLength = 12;
std::string TokenId(const std::string& token_hash);
// The tokens of the account `account_id`, or of every account when empty, newest first.
absl::StatusOr<std::vector<TokenListing>> ListTokens(sql::Connection& db,
                                                     const std::string& account_id);
// Removes the one token whose public id is `token_id`. InvalidArgument when `token_id` is not 12
// hexadecimal characters; NotFound when no token has it.
absl::Status RemoveTokenById(sql::Connection& db, const std::string& token_id);

// Microseconds since 1970-01-01 UTC by the system clock.
int64_t NowMicros();

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_STORE_ACCOUNTS_H_
