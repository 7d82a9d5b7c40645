// verkenner-admin's credentials and audit commands, run as the operator runs them, against a
// real store and a server that checks the tokens: API tokens expire, are listed by id (never by
// the token) and revoked one at a time, so an integration rotates with overlap; the audit log is
// read with filters, as text or as a spreadsheet's CSV, and reading it leaves an audit row too.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/refdata/reference_data.h"
#include "service/auth/credentials.h"
#include "service/server.h"
#include "service/store/accounts.h"
#include "service/store/records.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_installation.h"
#include "tests/program_run.h"
#include "tests/test_store.h"
#include "verkenner/v1/sessions.grpc.pb.h"

namespace verkenner {
namespace {

namespace fs = std::filesystem;

constexpr char kEmployer[] = "werkgever@admin.example";

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto installation = testing::CreateTestInstallation("admin", 10);
    ASSERT_TRUE(installation.ok()) << installation.status();
    installation_ = std::move(*installation);
    directory_ = installation_->directory;
    store_ = installation_->store.get();
    auto token = testing::AddAccountWithToken(store_->target(),
                                              testing::TestEmployer(kEmployer, "Admin BV"));
    ASSERT_TRUE(token.ok()) << token.status();
    first_token_ = *token;
    auto server = service::Server::Start(installation_->ServerOptions());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    installation_.reset();
  }

  ProgramRun Admin(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), "--store=" + store_->target());
    return RunProgram(VERKENNER_ADMIN_BINARY, arguments, directory_);
  }

  // The status code a call with `token` gets: OK while the token is valid.
  grpc::StatusCode CallWith(const std::string& token) {
    auto sessions = v1::SessionService::NewStub(server_->InProcessChannel());
    grpc::ClientContext context;
    testing::Authorize(context, token);
    v1::GetCurrentAccountResponse response;
    return sessions->GetCurrentAccount(&context, v1::GetCurrentAccountRequest(), &response)
        .error_code();
  }

  // The data lines of a command's tab-separated output, without its header.
  static std::vector<std::vector<std::string>> Rows(const std::string& out) {
    std::vector<std::vector<std::string>> rows;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      rows.push_back(absl::StrSplit(line, '\t'));
    }
    if (!rows.empty()) rows.erase(rows.begin());
    return rows;
  }

  std::unique_ptr<testing::TestInstallation> installation_;
  fs::path directory_;
  testing::TestStore* store_ = nullptr;
  std::unique_ptr<service::Server> server_;
  std::string first_token_;
};

TEST_F(AdminTest, ApiTokensExpireAreListedByIdAndRevokedOneAtATime) {
  // An integration rotates with overlap: a new token beside the old one, then the old one goes.
  const ProgramRun created = Admin({"create-token", "--email", kEmployer});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string second = std::string(absl::StripTrailingAsciiWhitespace(created.out));
  const std::string second_id = service::TokenId(service::TokenHash(second));
  EXPECT_NE(created.err.find("token " + second_id + " of " + kEmployer), std::string::npos)
      << created.err;
  EXPECT_EQ(CallWith(first_token_), grpc::StatusCode::OK);
  EXPECT_EQ(CallWith(second), grpc::StatusCode::OK);

  const ProgramRun listed = Admin({"list-tokens", "--email", kEmployer});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out.find(second), std::string::npos) << "a token shown";
  EXPECT_EQ(listed.out.find(first_token_), std::string::npos) << "a token shown";
  const auto rows = Rows(listed.out);
  ASSERT_EQ(rows.size(), 2u) << listed.out;
  EXPECT_EQ(rows[0][0], second_id) << "newest first";
  EXPECT_EQ(rows[0][2], "api");
  // A year, by default: the token says until when.
  EXPECT_EQ(rows[0][4].substr(0, 4),
            absl::FormatTime("%Y", absl::Now() + absl::Hours(24 * 365), absl::UTCTimeZone()));

  const std::string first_id = service::TokenId(service::TokenHash(first_token_));
  ASSERT_EQ(Admin({"revoke-token", "--token_id", first_id}).exit_code, 0);
  EXPECT_EQ(CallWith(first_token_), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallWith(second), grpc::StatusCode::OK) << "revoking one left the other";
  EXPECT_EQ(Rows(Admin({"list-tokens"}).out).size(), 1u);

  const ProgramRun again = Admin({"revoke-token", "--token_id", first_id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("no token has this id"), std::string::npos) << again.err;
  EXPECT_EQ(Admin({"revoke-token", "--token_id", "not-an-id"}).exit_code, 2);
  EXPECT_EQ(Admin({"create-token", "--email", kEmployer, "--token_lifetime", "30m"}).exit_code, 2);
  EXPECT_EQ(Admin({"create-token", "--email", kEmployer, "--token_lifetime", "20000h"}).exit_code,
            2);
}

TEST_F(AdminTest, AnExpiredApiTokenIsRefused) {
  auto store = service::Store::Open(store_->target());
  ASSERT_TRUE(store.ok()) << store.status();
  const std::string token = service::NewToken();
  const int64_t now = service::NowMicros();
  ASSERT_TRUE((*store)
                  ->WriteAndWait([&](sql::Connection& db) -> absl::Status {
                    auto account = service::FindAccountByEmail(db, kEmployer);
                    if (!account.ok()) return account.status();
                    return service::AddToken(db, service::TokenHash(token), (*account)->first.id,
                                             service::TokenKind::kApi, now, now + 1'000'000);
                  })
                  .ok());
  EXPECT_EQ(CallWith(token), grpc::StatusCode::OK);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(CallWith(token), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AdminTest, TheAuditLogIsReadWithFiltersAndAsCsvAndTheReadingIsAudited) {
  auto store = service::Store::Open(store_->target());
  ASSERT_TRUE(store.ok()) << store.status();
  std::string employer_id;
  const auto day = [](int d) {
    return absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(2026, 11, d), absl::UTCTimeZone()));
  };
  ASSERT_TRUE((*store)
                  ->WriteAndWait([&](sql::Connection& db) -> absl::Status {
                    auto account = service::FindAccountByEmail(db, kEmployer);
                    if (!account.ok()) return account.status();
                    employer_id = (*account)->first.id;
                    const service::AuditEntry entries[] = {
                        {day(1), employer_id, "view_profile", "p1", "", "", "ok"},
                        {day(2), employer_id, "view_profile", "p2", "", "", "ok"},
                        {day(3), "accounts/wsp", "resolve_identity", "p1", "contactRequests/1",
                         "=HYPERLINK(\"x\")", "ok"},
                    };
                    for (const service::AuditEntry& entry : entries) {
                      if (auto id = service::AppendAudit(db, entry); !id.ok()) return id.status();
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  store->reset();

  const auto count = [&](std::vector<std::string> filters) {
    filters.insert(filters.begin(), "audit");
    const ProgramRun run = Admin(filters);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return Rows(run.out).size();
  };
  EXPECT_EQ(count({"--email", kEmployer}), 2u);
  EXPECT_EQ(count({"--action", "resolve_identity"}), 1u);
  EXPECT_EQ(count({"--profile_id", "p1"}), 2u);
  EXPECT_EQ(count({"--since", "2026-11-02", "--until", "2026-11-03"}), 1u);
  EXPECT_EQ(count({"--since", "2026-11-02T00:00:01Z", "--action", "view_profile"}), 0u);
  const ProgramRun tsv = Admin({"audit", "--action", "view_profile"});
  ASSERT_EQ(Rows(tsv.out).size(), 2u);
  EXPECT_EQ(Rows(tsv.out)[0][0], "2026-11-01T00:00:00Z");
  EXPECT_EQ(Rows(tsv.out)[0][1], kEmployer);

  const ProgramRun csv = Admin({"audit", "--profile_id", "p1", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("\xEF\xBB\xBFtime;email;", 0), 0u) << csv.out;
  EXPECT_NE(csv.out.find("'=HYPERLINK"), std::string::npos) << "a formula in a spreadsheet";
  // Every reading above left its row.
  EXPECT_GE(count({"--action", "read_audit_log"}), 7u);

  EXPECT_EQ(Admin({"audit", "--since", "gisteren"}).exit_code, 2);
  EXPECT_EQ(Admin({"audit", "--format", "xml"}).exit_code, 2);
}

}  // namespace
}  // namespace verkenner
