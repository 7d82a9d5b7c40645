// verkenner-admin: creates and disables accounts and issues and revokes API tokens in the
// service store. Passwords are read from standard input, never from the command line (which
// other users of the machine can see in the process list).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "engine/refdata/reference_data.h"
#include "service/auth/credentials.h"
#include "service/store/accounts.h"
#include "service/store/store.h"

ABSL_FLAG(std::string, store, "", "the service store file (required)");
ABSL_FLAG(std::string, email, "", "the account's e-mail address");
ABSL_FLAG(std::string, name, "", "create-account: the name to show, e.g. \"Fatima de Vries\"");
ABSL_FLAG(std::string, role, "", "create-account: employer, wsp, importer or admin");
ABSL_FLAG(std::string, organisation, "",
          "create-account: the employer, WSP, municipality or UWV the account works for");
ABSL_FLAG(std::string, region, "", "create-account, wsp only: arbeidsmarktregio code (AMxx)");
ABSL_FLAG(std::string, source, "", "create-account, importer only: GMxxxx or UWV");
ABSL_FLAG(bool, password_stdin, false,
          "create-account: read a password for web login from the first line of stdin");

namespace {

using verkenner::sqlite::SqliteConnection;
using namespace verkenner::service;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

int Fail(const absl::Status& status) {
  std::cerr << "verkenner-admin: " << status.message() << "\n";
  return absl::IsInvalidArgument(status) ? kExitUsage : kExitFailed;
}

absl::StatusOr<verkenner::v1::AccountRole> ParseRole(const std::string& role) {
  if (role == "employer") return verkenner::v1::ACCOUNT_ROLE_EMPLOYER;
  if (role == "wsp") return verkenner::v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  if (role == "importer") return verkenner::v1::ACCOUNT_ROLE_IMPORTER;
  if (role == "admin") return verkenner::v1::ACCOUNT_ROLE_ADMIN;
  return absl::InvalidArgumentError("--role: expected employer, wsp, importer or admin");
}

absl::StatusOr<AccountRecord> AccountByEmail(Store& store, const std::string& email) {
  std::optional<std::pair<AccountRecord, std::string>> found;
  absl::Status status = store.Read([&](SqliteConnection& db) {
    auto result = FindAccountByEmail(db, email);
    if (!result.ok()) return result.status();
    found = std::move(*result);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found.has_value()) return absl::NotFoundError("no account has this e-mail address");
  return found->first;
}

int CreateAccountCommand(Store& store) {
  absl::StatusOr<verkenner::v1::AccountRole> role = ParseRole(absl::GetFlag(FLAGS_role));
  if (!role.ok()) return Fail(role.status());
  NewAccount account;
  account.email = absl::GetFlag(FLAGS_email);
  account.display_name = absl::GetFlag(FLAGS_name);
  account.role = *role;
  account.organisation = absl::GetFlag(FLAGS_organisation);
  account.region_code = absl::GetFlag(FLAGS_region);
  account.source = absl::GetFlag(FLAGS_source);
  auto reference =
      verkenner::engine::ReferenceData::Load(verkenner::engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) return Fail(reference.status());
  if (!account.region_code.empty() && (*reference)->FindRegion(account.region_code) == nullptr) {
    return Fail(absl::InvalidArgumentError("--region: not an arbeidsmarktregio code (AMxx)"));
  }
  if (!account.source.empty() && account.source != "UWV" &&
      (*reference)->FindMunicipality(account.source) == nullptr) {
    return Fail(absl::InvalidArgumentError("--source: not UWV or a CBS municipality code"));
  }
  if (absl::GetFlag(FLAGS_password_stdin)) {
    std::string password;
    std::getline(std::cin, password);
    absl::StatusOr<std::string> hash = HashPassword(password);
    if (!hash.ok()) return Fail(hash.status());
    account.password_hash = std::move(*hash);
  }
  AccountRecord created;
  absl::Status status = store.WriteAndWait([&](SqliteConnection& db) {
    absl::StatusOr<AccountRecord> result = CreateAccount(db, account, NowMicros());
    if (!result.ok()) return result.status();
    created = std::move(*result);
    return absl::OkStatus();
  });
  if (!status.ok()) return Fail(status);
  std::cout << created.resource_name() << "\n";
  return kExitOk;
}

int CreateTokenCommand(Store& store) {
  absl::StatusOr<AccountRecord> account = AccountByEmail(store, absl::GetFlag(FLAGS_email));
  if (!account.ok()) return Fail(account.status());
  const std::string token = NewToken();
  absl::Status status = store.WriteAndWait([&](SqliteConnection& db) {
    return AddToken(db, TokenHash(token), account->id, TokenKind::kApi, NowMicros(), 0);
  });
  if (!status.ok()) return Fail(status);
  // The only time the token exists outside the caller: the store keeps its hash.
  std::cout << token << "\n";
  return kExitOk;
}

int ChangeAccountCommand(Store& store, const char* sql) {
  absl::StatusOr<AccountRecord> account = AccountByEmail(store, absl::GetFlag(FLAGS_email));
  if (!account.ok()) return Fail(account.status());
  absl::Status status = store.WriteAndWait([&](SqliteConnection& db) {
    absl::StatusOr<verkenner::sqlite::SqliteStatement> statement = db.Prepare(sql);
    if (!statement.ok()) return statement.status();
    statement->Bind(1, account->id);
    return statement->Run();
  });
  if (!status.ok()) return Fail(status);
  return kExitOk;
}

int ListAccountsCommand(Store& store) {
  return store.Read([](SqliteConnection& db) {
                absl::StatusOr<verkenner::sqlite::SqliteStatement> select = db.Prepare(
                    "SELECT email, role, organisation, region_code, source, disabled FROM account "
                    "ORDER BY email");
                if (!select.ok()) return select.status();
                while (true) {
                  absl::StatusOr<bool> row = select->Step();
                  if (!row.ok()) return row.status();
                  if (!*row) return absl::OkStatus();
                  std::cout << select->Text(0) << "\t"
                            << verkenner::v1::AccountRole_Name(
                                   static_cast<verkenner::v1::AccountRole>(select->Integer(1)))
                            << "\t" << select->Text(2) << "\t" << select->Text(3) << select->Text(4)
                            << (select->Integer(5) != 0 ? "\tdisabled" : "") << "\n";
                }
              }).ok()
             ? kExitOk
             : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Manages accounts and API tokens of the Verkenner service store.\n"
      "  verkenner-admin --store FILE create-account --email E --name N --role ROLE "
      "--organisation O [--region AMxx] [--source GMxxxx|UWV] [--password_stdin]\n"
      "  verkenner-admin --store FILE create-token --email E     (prints a new API token)\n"
      "  verkenner-admin --store FILE revoke-tokens --email E    (API tokens and sessions)\n"
      "  verkenner-admin --store FILE disable-account --email E\n"
      "  verkenner-admin --store FILE list-accounts\n"
      "Exit codes: 0 done, 1 failed, 2 usage error.");
  std::vector<char*> arguments = absl::ParseCommandLine(argc, argv);
  if (arguments.size() != 2 || absl::GetFlag(FLAGS_store).empty()) {
    std::cerr << "verkenner-admin: give --store and one command (see --help)\n";
    return kExitUsage;
  }
  const std::string command = arguments[1];
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(absl::GetFlag(FLAGS_store));
  if (!store.ok()) return Fail(store.status());
  if (command == "create-account") return CreateAccountCommand(**store);
  if (command == "create-token") return CreateTokenCommand(**store);
  if (command == "revoke-tokens") {
    return ChangeAccountCommand(**store, "DELETE FROM token WHERE account_id = ?1");
  }
  if (command == "disable-account") {
    return ChangeAccountCommand(**store, "UPDATE account SET disabled = 1 WHERE id = ?1");
  }
  if (command == "list-accounts") return ListAccountsCommand(**store);
  std::cerr << "verkenner-admin: unknown command " << command << " (see --help)\n";
  return kExitUsage;
}
