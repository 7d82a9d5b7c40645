#ifndef VERKENNER_TESTS_INTEGRATION_TEST_ACCOUNTS_H_
#define VERKENNER_TESTS_INTEGRATION_TEST_ACCOUNTS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "service/auth/credentials.h"
#include "service/store/accounts.h"
#include "service/store/store.h"

namespace verkenner::testing {

// Adds `account` to the store at `path`, as the admin CLI would, and returns a new API token for
// it. The store may be open in a running server at the same time.
inline absl::StatusOr<std::string> AddAccountWithToken(const std::string& path,
                                                       const service::NewAccount& account) {
  absl::StatusOr<std::unique_ptr<service::Store>> store = service::Store::Open(path);
  if (!store.ok()) return store.status();
  const std::string token = service::NewToken();
  absl::Status status = (*store)->WriteAndWait([&](sql::Connection& db) {
    absl::StatusOr<service::AccountRecord> created =
        service::CreateAccount(db, account, service::NowMicros());
    if (!created.ok()) return created.status();
    return service::AddToken(db, service::TokenHash(token), created->id, service::TokenKind::kApi,
                             service::NowMicros(), 0);
  });
  if (!status.ok()) return status;
  return token;
}

inline service::NewAccount TestEmployer(const std::string& email, const std::string& organisation) {
  service::NewAccount account;
  account.email = email;
  account.display_name = "Test " + email;
  account.role = v1::ACCOUNT_ROLE_EMPLOYER;
  account.organisation = organisation;
  return account;
}

// A client context that carries `token` and a generous deadline.
inline void Authorize(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
}

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_INTEGRATION_TEST_ACCOUNTS_H_
