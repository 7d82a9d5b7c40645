// verkenner-admin: creates and disables accounts and issues and revokes API tokens in the
// service store; backs up and restores an installation's state as one set. Passwords are read from
// standard input, never from the command line (which other users of the machine can see in the
// process list).
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/command_line/command_line.h"
#include "base/postgres/pg_connection.h"
#include "engine/refdata/reference_data.h"
#include "indexer/import_job.h"
#include "indexer/pseudonymizer.h"
#include "service/auth/credentials.h"
#include "service/backup/backup.h"
#include "service/backup/key_rotation.h"
#include "service/rpc/spreadsheet_csv.h"
#include "service/store/accounts.h"
#include "service/store/records.h"
#include "service/store/store.h"

ABSL_FLAG(
    std::string, store, "",
    "the service store (required): its SQLite file or a postgresql:// URI, as verkenner-server "
    "--store");
ABSL_FLAG(std::string, email, "", "the account's e-mail address");
ABSL_FLAG(std::string, name, "", "create-account: the name to show, e.g. \"Fatima de Vries\"");
ABSL_FLAG(std::string, role, "", "create-account: employer, wsp, importer or admin");
ABSL_FLAG(std::string, organisation, "",
          "create-account: the employer, WSP, municipality or UWV the account works for");
ABSL_FLAG(std::string, region, "", "create-account, wsp only: arbeidsmarktregio code (AMxx)");
ABSL_FLAG(std::string, source, "", "create-account, importer only: GMxxxx or UWV");
ABSL_FLAG(bool, password_stdin, false,
          "create-account: read a password for web login from the first line of stdin");
ABSL_FLAG(absl::Duration, token_lifetime, absl::Hours(24 * 365),
          "create-token: how long the token is valid, 1h to 17520h (two years); make the next "
          "one before it ends, then revoke-token the old one");
ABSL_FLAG(std::string, token_id, "", "revoke-token: the token's id, as list-tokens shows it");
ABSL_FLAG(std::string, action, "",
          "audit: only rows of this action (view_profile, resolve_identity, ...)");
ABSL_FLAG(std::string, profile_id, "", "audit: only rows about this profile");
ABSL_FLAG(std::string, since, "",
          "audit: only rows from this time on: 2026-12-01 (UTC midnight) or 2026-12-01T08:00:00Z");
ABSL_FLAG(std::string, until, "", "audit: only rows before this time, written as --since");
ABSL_FLAG(std::string, format, "tsv",
          "audit: tsv (tab-separated, for the terminal) or csv (a spreadsheet's: ';', UTF-8)");
ABSL_FLAG(std::string, index, "",
          "backup, restore: the index directory, as verkenner-server --index");
ABSL_FLAG(std::string, vault, "",
          "backup, restore: the identity vault, as verkenner-server --vault (default: the "
          "store's database when it is PostgreSQL, else INDEX.vault beside the index)");
ABSL_FLAG(std::string, key_file, "",
          "backup, restore: the pseudonym key, as verkenner-server --key_file (default: the "
          "programs' default key file)");
ABSL_FLAG(std::string, to, "", "backup: a new directory for the backup set");
ABSL_FLAG(std::string, new_key_file, "",
          "rotate-key: the new pseudonym key (made like the first: openssl rand 32, mode 0600)");
ABSL_FLAG(std::string, from, "", "restore: the directory of a backup set");
ABSL_FLAG(absl::Duration, index_wait, absl::Minutes(10),
          "backup: how long to wait for an import that holds the index's write lock");

namespace {

using namespace verkenner::service;
namespace command_line = verkenner::command_line;

command_line::Program ThisProgram() {
  return {.name = "verkenner-admin",
          .usage = R"(Usage: verkenner-admin --store=FILE COMMAND [flags]

Manages accounts and API tokens of the Verkenner service store. Commands:
  verkenner-admin --store=FILE create-account --email=E --name=N --role=ROLE --organisation=O
                  [--region=AMxx] [--source=GMxxxx|UWV] [--password_stdin]
  verkenner-admin --store=FILE create-token --email=E [--token_lifetime=8760h]
                                                          (prints a new API token)
  verkenner-admin --store=FILE list-tokens [--email=E]    (ids, never the tokens)
  verkenner-admin --store=FILE revoke-token --token_id=ID (one token)
  verkenner-admin --store=FILE revoke-tokens --email=E    (all API tokens and sessions)
  verkenner-admin --store=FILE disable-account --email=E
  verkenner-admin --store=FILE list-accounts
  verkenner-admin --store=FILE audit [--email=E] [--action=A] [--profile_id=P]
                  [--since=T] [--until=T] [--format=tsv|csv]
  verkenner-admin --store=FILE backup --index=DIR [--vault=FILE] [--key_file=FILE] --to=NEW_DIR
  verkenner-admin --store=FILE restore --from=DIR --index=DIR [--vault=FILE] [--key_file=FILE]
  verkenner-admin --store=FILE rotate-key --index=DIR [--vault=FILE] [--key_file=FILE]
                  --new_key_file=FILE

backup copies store, vault, index and key as one consistent set while the server runs (imports
wait for it; docs/OPERATIONS.md); restore puts a set in place at paths that do not exist yet.
rotate-key gives every profile its id under the new key in index, store and vault: stop every
server and take a backup first, then install the new key as --key_file.

Exit status: 0 done, 1 failed, 2 usage error.)",
          .min_arguments = 1,
          .max_arguments = 1,
          .argument_name =
              "command: create-account, create-token, list-tokens, revoke-token, "
              "revoke-tokens, disable-account, list-accounts, audit, backup, restore or "
              "rotate-key"};
}

// A command's work on the open store.
using Command = std::function<absl::Status(Store&)>;

absl::StatusOr<verkenner::v1::AccountRole> ParseRole(const std::string& role) {
  if (role == "employer") return verkenner::v1::ACCOUNT_ROLE_EMPLOYER;
  if (role == "wsp") return verkenner::v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  if (role == "importer") return verkenner::v1::ACCOUNT_ROLE_IMPORTER;
  if (role == "admin") return verkenner::v1::ACCOUNT_ROLE_ADMIN;
  return absl::InvalidArgumentError("--role: expected employer, wsp, importer or admin");
}

absl::StatusOr<AccountRecord> AccountByEmail(Store& store, const std::string& email) {
  std::optional<std::pair<AccountRecord, std::string>> found;
  absl::Status status = store.Read([&](verkenner::sql::Connection& db) {
    auto result = FindAccountByEmail(db, email);
    if (!result.ok()) return result.status();
    found = std::move(*result);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found.has_value()) return absl::NotFoundError("no account has this e-mail address");
  return found->first;
}

// The account create-account makes, from the flags and the password on standard input.
// InvalidArgument names the flag whose value is wrong.
absl::StatusOr<NewAccount> AccountFromFlags() {
  absl::StatusOr<verkenner::v1::AccountRole> role = ParseRole(absl::GetFlag(FLAGS_role));
  if (!role.ok()) return role.status();
  NewAccount account;
  account.email = absl::GetFlag(FLAGS_email);
  account.display_name = absl::GetFlag(FLAGS_name);
  account.role = *role;
  account.organisation = absl::GetFlag(FLAGS_organisation);
  account.region_code = absl::GetFlag(FLAGS_region);
  account.source = absl::GetFlag(FLAGS_source);
  auto reference =
      verkenner::engine::ReferenceData::Load(verkenner::engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) return reference.status();
  if (!account.region_code.empty() && (*reference)->FindRegion(account.region_code) == nullptr) {
    return absl::InvalidArgumentError("--region: not an arbeidsmarktregio code (AMxx)");
  }
  if (!account.source.empty() && account.source != "UWV" &&
      (*reference)->FindMunicipality(account.source) == nullptr) {
    return absl::InvalidArgumentError("--source: not UWV or a CBS municipality code");
  }
  if (absl::GetFlag(FLAGS_password_stdin)) {
    std::string password;
    std::getline(std::cin, password);
    absl::StatusOr<std::string> hash = HashPassword(password);
    if (!hash.ok()) return hash.status();
    account.password_hash = std::move(*hash);
  }
  return account;
}

absl::Status CreateAccountCommand(Store& store, const NewAccount& account) {
  AccountRecord created;
  absl::Status status = store.WriteAndWait([&](verkenner::sql::Connection& db) {
    absl::StatusOr<AccountRecord> result = CreateAccount(db, account, NowMicros());
    if (!result.ok()) return result.status();
    created = std::move(*result);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::cout << created.resource_name() << "\n";
  return absl::OkStatus();
}

std::string TimeText(int64_t micros) {
  return micros == 0 ? "-"
                     : absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros),
                                        absl::UTCTimeZone());
}

absl::Status CreateTokenCommand(Store& store) {
  const absl::Duration lifetime = absl::GetFlag(FLAGS_token_lifetime);
  absl::StatusOr<AccountRecord> account = AccountByEmail(store, absl::GetFlag(FLAGS_email));
  if (!account.ok()) return account.status();
  const std::string token = NewToken();
  const int64_t now = NowMicros();
  const int64_t expire = now + absl::ToInt64Microseconds(lifetime);
  absl::Status status = store.WriteAndWait([&](verkenner::sql::Connection& db) {
    return AddToken(db, TokenHash(token), account->id, TokenKind::kApi, now, expire);
  });
  if (!status.ok()) return status;
  // The only time the token exists outside the caller: the store keeps its hash.
  std::cout << token << "\n";
  std::cerr << "token " << TokenId(TokenHash(token)) << " of " << account->email << ", valid until "
            << TimeText(expire) << "\n";
  return absl::OkStatus();
}

absl::Status ListTokensCommand(Store& store) {
  std::string account_id;
  if (const std::string email = absl::GetFlag(FLAGS_email); !email.empty()) {
    absl::StatusOr<AccountRecord> account = AccountByEmail(store, email);
    if (!account.ok()) return account.status();
    account_id = account->id;
  }
  return store.Read([&](verkenner::sql::Connection& db) {
    absl::StatusOr<std::vector<TokenListing>> tokens = ListTokens(db, account_id);
    if (!tokens.ok()) return tokens.status();
    std::cout << "id\temail\tkind\tcreated\tvalid_until\tlast_used\n";
    for (const TokenListing& token : *tokens) {
      std::cout << token.id << "\t" << token.email << "\t"
                << (token.kind == TokenKind::kApi ? "api" : "session") << "\t"
                << TimeText(token.create_micros) << "\t" << TimeText(token.expire_micros) << "\t"
                << TimeText(token.last_use_micros) << "\n";
    }
    return absl::OkStatus();
  });
}

// A time as --since and --until take it: a day (UTC midnight) or RFC 3339.
absl::StatusOr<int64_t> ParseTimeFlag(const std::string& flag, const std::string& text) {
  if (text.empty()) return 0;
  absl::Time time;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &time, &error) ||
      absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::ToUnixMicros(time);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": expected 2026-12-01 or 2026-12-01T08:00:00Z"));
}

// The audit log as the flags select it, on stdout; reading it is itself an audit row.
absl::Status AuditCommand(Store& store, const AuditFilter& filter, bool csv) {
  const std::vector<std::string> header = {"time",       "email",    "account", "action",
                                           "profile_id", "resource", "purpose", "outcome"};
  std::string out = csv ? kSpreadsheetCsvStart : "";
  auto write = [&](const std::vector<std::string>& cells) {
    if (csv) {
      AppendSpreadsheetRow(cells, &out);
    } else {
      out += absl::StrJoin(cells, "\t");
      out += "\n";
    }
    if (out.size() > (1 << 16)) {
      std::cout << out;
      out.clear();
    }
  };
  write(header);
  absl::Status read = store.Read([&](verkenner::sql::Connection& db) {
    return ReadAudit(db, filter, [&](const AuditEntry& entry, const std::string& email) {
      write({TimeText(entry.time_micros), email, entry.account_id, entry.action, entry.profile_id,
             entry.resource, entry.purpose, entry.outcome});
    });
  });
  if (!read.ok()) return read;
  std::cout << out << std::flush;
  AuditEntry audit;
  audit.time_micros = NowMicros();
  audit.account_id = "verkenner-admin";
  audit.action = "read_audit_log";
  audit.profile_id = filter.profile_id;
  audit.purpose = absl::StrCat("account=", filter.account_id, " action=", filter.action,
                               " since=", TimeText(filter.since_micros),
                               " until=", TimeText(filter.until_micros));
  audit.outcome = "ok";
  return store.WriteAndWait(
      [&](verkenner::sql::Connection& db) { return AppendAudit(db, audit).status(); });
}

// The audit command with its flags checked.
absl::StatusOr<Command> AuditCommandFor() {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "tsv" && format != "csv") {
    return absl::InvalidArgumentError("--format: tsv or csv");
  }
  AuditFilter filter;
  filter.action = absl::GetFlag(FLAGS_action);
  filter.profile_id = absl::GetFlag(FLAGS_profile_id);
  absl::StatusOr<int64_t> since = ParseTimeFlag("--since", absl::GetFlag(FLAGS_since));
  if (!since.ok()) return since.status();
  absl::StatusOr<int64_t> until = ParseTimeFlag("--until", absl::GetFlag(FLAGS_until));
  if (!until.ok()) return until.status();
  filter.since_micros = *since;
  filter.until_micros = *until;
  return [filter, csv = format == "csv"](Store& store) mutable -> absl::Status {
    if (const std::string email = absl::GetFlag(FLAGS_email); !email.empty()) {
      absl::StatusOr<AccountRecord> account = AccountByEmail(store, email);
      if (!account.ok()) return account.status();
      filter.account_id = account->id;
    }
    return AuditCommand(store, filter, csv);
  };
}

absl::Status ChangeAccountCommand(Store& store, const char* sql) {
  absl::StatusOr<AccountRecord> account = AccountByEmail(store, absl::GetFlag(FLAGS_email));
  if (!account.ok()) return account.status();
  return store.WriteAndWait([&](verkenner::sql::Connection& db) {
    absl::StatusOr<verkenner::sql::Statement> statement = db.Prepare(sql);
    if (!statement.ok()) return statement.status();
    statement->Bind(1, account->id);
    return statement->Run();
  });
}

absl::Status ListAccountsCommand(Store& store) {
  return store.Read([](verkenner::sql::Connection& db) {
    absl::StatusOr<verkenner::sql::Statement> select = db.Prepare(
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
  });
}

// The command `name` with its flags checked, before the store is opened. InvalidArgument for an
// unknown command or a flag whose value is wrong.
absl::StatusOr<Command> CommandFor(const std::string& name) {
  if (name == "create-account") {
    absl::StatusOr<NewAccount> account = AccountFromFlags();
    if (!account.ok()) return account.status();
    return [account = *std::move(account)](Store& store) {
      return CreateAccountCommand(store, account);
    };
  }
  if (name == "create-token") {
    const absl::Duration lifetime = absl::GetFlag(FLAGS_token_lifetime);
    if (lifetime < absl::Hours(1) || lifetime > absl::Hours(2 * 24 * 365)) {
      return absl::InvalidArgumentError("--token_lifetime: 1h to 17520h (two years)");
    }
    return Command(CreateTokenCommand);
  }
  if (name == "list-tokens") return Command(ListTokensCommand);
  if (name == "revoke-token") {
    const std::string id = absl::GetFlag(FLAGS_token_id);
    return [id](Store& store) {
      return store.WriteAndWait(
          [&](verkenner::sql::Connection& db) { return RemoveTokenById(db, id); });
    };
  }
  if (name == "audit") return AuditCommandFor();
  if (name == "revoke-tokens") {
    return [](Store& store) {
      return ChangeAccountCommand(store, "DELETE FROM token WHERE account_id = ?1");
    };
  }
  if (name == "disable-account") {
    return [](Store& store) {
      return ChangeAccountCommand(store, "UPDATE account SET disabled = 1 WHERE id = ?1");
    };
  }
  if (name == "list-accounts") return Command(ListAccountsCommand);
  return absl::InvalidArgumentError(absl::StrCat("unknown command '", name, "'"));
}

// The installation the backup and restore commands name by their flags, with the programs'
// defaults for the vault and the key.
InstallationState InstallationFromFlags() {
  InstallationState state;
  state.store = absl::GetFlag(FLAGS_store);
  state.index = absl::GetFlag(FLAGS_index);
  state.vault = absl::GetFlag(FLAGS_vault);
  if (state.vault.empty()) {  // as verkenner-server's default
    state.vault = verkenner::postgres::IsPostgresTarget(state.store)
                      ? state.store
                      : verkenner::indexer::DefaultVaultPath(state.index);
  }
  state.key_file = absl::GetFlag(FLAGS_key_file);
  if (state.key_file.empty()) state.key_file = verkenner::indexer::Pseudonymizer::DefaultKeyFile();
  return state;
}

// backup, restore and rotate-key work on the installation as a whole, not on an open store.
absl::Status RunFileCommand(const command_line::Program& program, const std::string& name) {
  command_line::RequireGiven(program, FLAGS_index);
  const InstallationState installation = InstallationFromFlags();
  if (name == "restore") {
    command_line::RequireGiven(program, FLAGS_from);
    return RestoreBackup(absl::GetFlag(FLAGS_from), installation);
  }
  auto reference =
      verkenner::engine::ReferenceData::Load(verkenner::engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) return reference.status();
  if (name == "rotate-key") {
    command_line::RequireGiven(program, FLAGS_new_key_file);
    absl::StatusOr<KeyRotation> rotated =
        RotatePseudonymKey(installation, absl::GetFlag(FLAGS_new_key_file), *std::move(reference));
    if (!rotated.ok()) return rotated.status();
    std::cout << rotated->profiles << " profiles: " << rotated->index_moved << " index documents, "
              << rotated->store_rows << " store rows and " << rotated->vault_renamed
              << " vault entries took their new ids; now make --new_key_file the --key_file\n";
    return absl::OkStatus();
  }
  command_line::RequireGiven(program, FLAGS_to);
  return WriteBackup(installation, absl::GetFlag(FLAGS_to), *std::move(reference),
                     absl::GetFlag(FLAGS_index_wait));
}

// InvalidArgument is the caller's mistake (exit 2), anything else a failure (exit 1).
int Fail(const command_line::Program& program, const absl::Status& status) {
  if (absl::IsInvalidArgument(status)) command_line::ExitWithUsageError(program, status.message());
  return command_line::ReportFailure(program, status);
}

// Reads the command line, checks the command's flags, then runs it on the store.
int Run(int argc, char** argv) {
  const command_line::Program program = ThisProgram();
  const std::vector<std::string> arguments = command_line::ParseCommandLine(program, argc, argv);
  command_line::RequireGiven(program, FLAGS_store);
  if (arguments[0] == "backup" || arguments[0] == "restore" || arguments[0] == "rotate-key") {
    const absl::Status status = RunFileCommand(program, arguments[0]);
    if (!status.ok()) return Fail(program, status);
    std::cout << arguments[0] << ": done\n";
    return command_line::kExitOk;
  }
  absl::StatusOr<Command> command = CommandFor(arguments[0]);
  if (!command.ok()) return Fail(program, command.status());
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(absl::GetFlag(FLAGS_store));
  if (!store.ok()) return Fail(program, store.status());
  if (absl::Status status = (*command)(**store); !status.ok()) return Fail(program, status);
  return command_line::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
