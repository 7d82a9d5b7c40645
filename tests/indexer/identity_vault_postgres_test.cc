// What only the identity vault on PostgreSQL has to show: its schema is closed to other roles and
// checks what it stores, values with quotes and commas survive the batch's arrays, several
// instances create the schema once and write overlapping batches without deadlocks, another
// application's schema or a newer one is refused, and a lost connection fails closed. Runs only
// against the server of ctest's `postgres` fixture (identity_vault_postgres_test_on_postgres); the
// rest of the vault's behaviour is IdentityVaultTest, run on both homes.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/postgres/pg_connection.h"
#include "indexer/identity_vault.h"
#include "tests/test_store.h"

namespace verkenner::indexer {
namespace {

std::string ProfileId(int n) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%024x", n);
  return buffer;
}

class PostgresIdentityVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::TestingOnPostgres()) << "run with VERKENNER_TEST_STORE=postgresql";
    auto database = testing::TestStore::Create(std::filesystem::temp_directory_path());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
  }

  std::unique_ptr<IdentityVault> OpenVault() {
    auto vault = IdentityVault::Open(database_->target());
    EXPECT_TRUE(vault.ok()) << vault.status();
    return vault.ok() ? std::move(*vault) : nullptr;
  }

  // Runs `sql` on a connection of its own, as an administrator or another program would.
  absl::StatusOr<int64_t> Query(const std::string& sql) {
    auto db = postgres::PgConnection::Open("test", database_->target(),
                                           postgres::PgConnection::Mode::kReadWrite);
    if (!db.ok()) return db.status();
    return (*db)->QueryInteger(sql.c_str());
  }
  absl::Status Execute(const std::string& sql) {
    auto db = postgres::PgConnection::Open("test", database_->target(),
                                           postgres::PgConnection::Mode::kReadWrite);
    if (!db.ok()) return db.status();
    return (*db)->Execute(sql.c_str());
  }

  std::unique_ptr<testing::TestStore> database_;
};

TEST_F(PostgresIdentityVaultTest, TheSchemaIsClosedToOtherRolesAndHoldsOnlyProfileIds) {
  ASSERT_NE(OpenVault(), nullptr);
  EXPECT_EQ(*Query("SELECT has_schema_privilege('public', 'vault', 'USAGE')"), 0);
  EXPECT_EQ(*Query("SELECT count(*) FROM pg_tables WHERE schemaname = 'vault'"), 2);
  // Whatever writes to the table directly, a client number cannot stand where a pseudonym goes.
  EXPECT_FALSE(
      Execute("INSERT INTO vault.identity VALUES ('K-700001', 'GM0344', 'K-700001', 0)").ok());
}

TEST_F(PostgresIdentityVaultTest, ValuesWithQuotesBackslashesAndBracesSurviveABatch) {
  const std::vector<std::string> client_numbers = {
      "K\"1", "a\\b", "x,y", "{}", "NULL", " spatie ", "één", "'; DROP TABLE vault.identity; --"};
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->BeginBatch().ok());
  for (size_t i = 0; i < client_numbers.size(); ++i) {
    ASSERT_TRUE(vault->Put({ProfileId(i), "GM0344", client_numbers[i]}).ok());
  }
  ASSERT_TRUE(vault->CommitBatch().ok());
  for (size_t i = 0; i < client_numbers.size(); ++i) {
    auto found = vault->Lookup(ProfileId(i));
    ASSERT_TRUE(found.ok() && found->has_value()) << i;
    EXPECT_EQ((*found)->client_number, client_numbers[i]);
  }
  EXPECT_EQ(*vault->Count(), static_cast<int64_t>(client_numbers.size()));
}

TEST_F(PostgresIdentityVaultTest, ABatchKeepsTheLastChangePerProfile) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put({ProfileId(1), "GM0344", "K-1"}).ok());
  ASSERT_TRUE(vault->BeginBatch().ok());
  ASSERT_TRUE(vault->Remove(ProfileId(1)).ok());
  ASSERT_TRUE(vault->Put({ProfileId(1), "GM0344", "K-1b"}).ok());
  ASSERT_TRUE(vault->Put({ProfileId(2), "UWV", "K-2"}).ok());
  ASSERT_TRUE(vault->Remove(ProfileId(2)).ok());
  ASSERT_TRUE(vault->CommitBatch().ok());
  EXPECT_EQ((*vault->Lookup(ProfileId(1)))->client_number, "K-1b");
  EXPECT_FALSE(vault->Lookup(ProfileId(2))->has_value());
}

TEST_F(PostgresIdentityVaultTest, ARefusedWriteOutsideABatchLeavesNothingForTheNextOne) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  // A rule of the database the vault does not know about refuses one client number.
  ASSERT_TRUE(Execute("ALTER TABLE vault.identity ADD CHECK (client_number <> 'K-refused')").ok());
  EXPECT_FALSE(vault->Put({ProfileId(1), "GM0344", "K-refused"}).ok());
  EXPECT_TRUE(vault->Put({ProfileId(2), "GM0344", "K-2"}).ok());
  EXPECT_TRUE(vault->Remove(ProfileId(3)).ok());
  EXPECT_FALSE(vault->Lookup(ProfileId(1))->has_value());
  EXPECT_EQ(*vault->Count(), 1);
}

TEST_F(PostgresIdentityVaultTest,
       InstancesOpeningAtOnceCreateTheSchemaOnceAndWriteWithoutDeadlock) {
  constexpr int kInstances = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kInstances; ++t) {
    threads.emplace_back([&, t] {
      auto vault = IdentityVault::Open(database_->target());
      if (!vault.ok()) {
        ADD_FAILURE() << vault.status();
        ++failures;
        return;
      }
      // Overlapping batches: every instance writes the same 200 profiles, each in its own order.
      for (int round = 0; round < 5; ++round) {
        absl::Status status = (*vault)->BeginBatch();
        for (int n = 0; n < 200 && status.ok(); ++n) {
          const int id = t % 2 == 0 ? n : 199 - n;
          status = (*vault)->Put({ProfileId(id), "GM0344", "K-" + std::to_string(t)});
        }
        if (status.ok()) status = (*vault)->CommitBatch();
        if (!status.ok()) {
          ADD_FAILURE() << status;
          ++failures;
          (*vault)->AbortBatch();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(*Query("SELECT count(*) FROM vault.schema_version"), 1);
  EXPECT_EQ(*Query("SELECT count(*) FROM vault.identity"), 200);
}

TEST_F(PostgresIdentityVaultTest, AnotherApplicationsSchemaNamedVaultIsRefusedAndLeftAlone) {
  ASSERT_TRUE(Execute("CREATE SCHEMA vault; CREATE TABLE vault.secrets (name text)").ok());
  EXPECT_EQ(IdentityVault::Open(database_->target()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*Query("SELECT count(*) FROM pg_tables WHERE schemaname = 'vault'"), 1);
}

TEST_F(PostgresIdentityVaultTest, ANewerSchemaOrNoneIsRefused) {
  EXPECT_EQ(IdentityVault::OpenReadOnly(database_->target()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*Query("SELECT count(*) FROM pg_namespace WHERE nspname = 'vault'"), 0)
      << "a reader creates nothing";
  ASSERT_NE(OpenVault(), nullptr);
  ASSERT_TRUE(Execute("UPDATE vault.schema_version SET version = version + 1").ok());
  for (auto open : {&IdentityVault::Open, &IdentityVault::OpenReadOnly}) {
    absl::StatusOr<std::unique_ptr<IdentityVault>> vault = open(database_->target());
    EXPECT_EQ(vault.status().code(), absl::StatusCode::kFailedPrecondition) << vault.status();
    EXPECT_NE(vault.status().message().find("upgrade"), std::string::npos) << vault.status();
  }
}

TEST_F(PostgresIdentityVaultTest, ALostConnectionFailsClosedWithoutValuesAndAReopenWorks) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put({ProfileId(1), "GM0344", "K-700001"}).ok());
  ASSERT_TRUE(Execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                      "current_database() AND pid <> pg_backend_pid()")
                  .ok());
  ASSERT_TRUE(vault->BeginBatch().ok());
  ASSERT_TRUE(vault->Put({ProfileId(2), "GM0344", "K-700002"}).ok());
  const absl::Status lost = vault->CommitBatch();
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_EQ(lost.message().find("K-7"), std::string::npos) << lost;
  EXPECT_EQ(lost.message().find(ProfileId(2)), std::string::npos) << lost;
  EXPECT_TRUE(vault->broken());
  EXPECT_EQ(vault->Lookup(ProfileId(1)).status().code(), absl::StatusCode::kUnavailable);
  vault->AbortBatch();

  std::unique_ptr<IdentityVault> reopened = OpenVault();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ((*reopened->Lookup(ProfileId(1)))->client_number, "K-700001");
  EXPECT_FALSE(reopened->Lookup(ProfileId(2))->has_value());
}

}  // namespace
}  // namespace verkenner::indexer
