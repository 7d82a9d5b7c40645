// What only the store on PostgreSQL has to show: several instances (Store objects) on one database
// write one group at a time and migrate once, a lost connection fails its group and is replaced,
// and another application's database is refused. Runs only against the server of ctest's
// `postgres` fixture (service_store_postgres_test_on_postgres); the rest of the store's behaviour
// is StoreTest, run on both.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "base/postgres/pg_connection.h"
#include "service/auth/quota.h"
#include "service/store/accounts.h"
#include "service/store/records.h"
#include "service/store/store.h"
#include "tests/test_store.h"

namespace verkenner::service {
namespace {

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::TestingOnPostgres()) << "run with VERKENNER_TEST_STORE=postgresql";
    absl::StatusOr<std::unique_ptr<testing::TestStore>> test_store =
        testing::TestStore::Create(std::filesystem::temp_directory_path());
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = std::move(*test_store);
  }

  std::unique_ptr<Store> OpenStore() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(test_store_->target());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  absl::StatusOr<int64_t> Query(const char* sql) {
    auto db = postgres::PgConnection::Open("test", test_store_->target(),
                                           postgres::PgConnection::Mode::kReadWrite);
    if (!db.ok()) return db.status();
    return (*db)->QueryInteger(sql);
  }

  std::unique_ptr<testing::TestStore> test_store_;
};

// Reads a count, then writes it plus one, as ApplyChange or AddSavedProfile check and then write.
absl::Status IncrementByReadAndWrite(sql::Connection& db) {
  absl::StatusOr<int64_t> used =
      db.QueryInteger("SELECT used FROM quota_use WHERE subject = 'race' AND kind = 0");
  if (!used.ok()) return used.status();
  absl::StatusOr<sql::Statement> update =
      db.Prepare("UPDATE quota_use SET used = ?1 WHERE subject = 'race' AND kind = 0");
  if (!update.ok()) return update.status();
  update->Bind(1, *used + 1);
  return update->Run();
}

TEST_F(PostgresStoreTest, TwoInstancesOnOneDatabaseWriteOneGroupAtATime) {
  std::unique_ptr<Store> first = OpenStore();
  std::unique_ptr<Store> second = OpenStore();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first
                  ->WriteAndWait([](sql::Connection& db) {
                    return db.Execute(
                        "INSERT INTO quota_use (subject, kind, window_start, used) "
                        "VALUES ('race', 0, 0, 0)");
                  })
                  .ok());
  constexpr int kPerThread = 150;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (Store* store : {first.get(), second.get(), first.get(), second.get()}) {
    threads.emplace_back([store, &failures] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!store->WriteAndWait(IncrementByReadAndWrite).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  // Without the advisory lock both instances read the same count and one increment is lost.
  EXPECT_EQ(Query("SELECT used FROM quota_use WHERE subject = 'race'").value_or(-1),
            4 * kPerThread);
}

TEST_F(PostgresStoreTest, InstancesStartingTogetherMigrateOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(test_store_->target());
      EXPECT_TRUE(store.ok()) << store.status();
      if (store.ok()) ++opened;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(opened.load(), 3);
  EXPECT_EQ(Query("SELECT schema_version FROM store_meta").value_or(-1), Store::kSchemaVersion);
  EXPECT_EQ(Query("SELECT count(*) FROM store_meta").value_or(-1), 1);
}

TEST_F(PostgresStoreTest, ALostConnectionFailsItsGroupAndTheNextWriteReconnects) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::Status lost = store->WriteAndWait([](sql::Connection& db) {
    if (absl::Status status = CreateAccount(
                                  db,
                                  [] {
                                    NewAccount account;
                                    account.email = "lost@example.nl";
                                    account.display_name = "Lost";
                                    account.role = v1::ACCOUNT_ROLE_EMPLOYER;
                                    account.organisation = "Bakkerij";
                                    return account;
                                  }(),
                                  1)
                                  .status();
        !status.ok()) {
      return status;
    }
    // As if the server restarted or the network dropped, before the COMMIT.
    return db.Execute("SELECT pg_terminate_backend(pg_backend_pid())");
  });
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_EQ(lost.message().find("user="), std::string::npos) << lost;
  absl::Status next = store->WriteAndWait([](sql::Connection& db) {
    return AppendAudit(db, {1, "account", "test", "", "", "", "ok"}).status();
  });
  EXPECT_TRUE(next.ok()) << next;
  EXPECT_EQ(Query("SELECT count(*) FROM account").value_or(-1), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM audit").value_or(-1), 1);
}

// After a failover or a restart of PostgreSQL every idle connection is dead, which only its next
// statement shows: the store replaces it before anything ran, so no call fails for it.
TEST_F(PostgresStoreTest, ConnectionsThatDiedWhileIdleAreReplacedWithoutAFailedCall) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto count_accounts = [&]() -> absl::Status {
    return store->Read([](sql::Connection& db) {
      return db.QueryInteger("SELECT count(*) FROM account").status();
    });
  };
  auto audit = [&] {
    return store->WriteAndWait([](sql::Connection& db) {
      return AppendAudit(db, {1, "account", "test", "", "", "", "ok"}).status();
    });
  };
  auto tally = [&] {
    return store->Tally([](sql::Connection& db) {
      return db.QueryInteger("SELECT count(*) FROM quota_use").status();
    });
  };
  ASSERT_TRUE(count_accounts().ok());
  ASSERT_TRUE(audit().ok());
  ASSERT_TRUE(tally().ok());
  // Every connection of the store's, as a server restart would end them.
  EXPECT_EQ(Query("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid()) ended")
                .value_or(-1),
            3);
  absl::Status read = count_accounts();
  EXPECT_TRUE(read.ok()) << read;
  absl::Status written = audit();
  EXPECT_TRUE(written.ok()) << written;
  absl::Status tallied = tally();
  EXPECT_TRUE(tallied.ok()) << tallied;
}

// PostgreSQL ends a COMMIT's wait for the synchronous standby, when the wait is cancelled, with
// only a WARNING: the transaction committed on the primary but may not be on the standby. Such a
// write must not be acknowledged.
TEST_F(PostgresStoreTest, ACommitTheStandbyDidNotConfirmIsNotAcknowledged) {
  // A server of the test's own: it will wait for a standby that never comes.
  const std::filesystem::path state =
      std::filesystem::temp_directory_path() / ("verkenner-syncrep-" + std::to_string(getpid()));
  const std::string postgres = "'" VERKENNER_SOURCE_DIR "/scripts/postgres' ";
  // Stopped and removed however the test ends.
  struct Stop {
    std::string command;
    ~Stop() { (void)std::system(command.c_str()); }
  } stop{postgres + "stop '" + state.string() + "'"};
  ASSERT_EQ(std::system((postgres + "start '" + state.string() + "' --fast").c_str()), 0);
  std::string target;
  std::getline(std::ifstream(state / "target"), target);
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(target);
    ASSERT_TRUE(store.ok()) << store.status();
    auto admin =
        postgres::PgConnection::Open("test", target, postgres::PgConnection::Mode::kReadWrite);
    ASSERT_TRUE(admin.ok()) << admin.status();
    ASSERT_TRUE((*admin)->Execute("ALTER SYSTEM SET synchronous_standby_names = 'nobody'").ok());
    ASSERT_TRUE((*admin)->Execute("SELECT pg_reload_conf()").ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the reload
    absl::Status written;
    std::thread writer([&] {
      written = (*store)->WriteAndWait([](sql::Connection& db) {
        return AppendAudit(db, {1, "account", "test", "", "", "", "ok"}).status();
      });
    });
    int64_t cancelled = 0;
    for (int i = 0; i < 100 && cancelled == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      cancelled = (*admin)
                      ->QueryInteger(
                          "SELECT count(*) FROM (SELECT pg_cancel_backend(pid) FROM "
                          "pg_stat_activity WHERE wait_event = 'SyncRep') waiting")
                      .value_or(0);
    }
    writer.join();
    EXPECT_EQ(cancelled, 1);
    EXPECT_EQ(written.code(), absl::StatusCode::kUnavailable) << written;
    EXPECT_NE(written.message().find("not confirmed by the synchronous standby"), std::string::npos)
        << written;
  }
}

TEST_F(PostgresStoreTest, AnotherApplicationsDatabaseIsRefusedWithoutItsCredentials) {
  auto db = postgres::PgConnection::Open("test", test_store_->target(),
                                         postgres::PgConnection::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Execute("CREATE TABLE something (x BIGINT)").ok());
  absl::Status refused = Store::Open(test_store_->target() + "&password=secret").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_NE(refused.message().find("postgresql://"), std::string::npos) << refused;
  EXPECT_EQ(refused.message().find("secret"), std::string::npos) << refused;
  EXPECT_EQ(refused.message().find("user="), std::string::npos) << refused;
}

// Three instances (a Store and a QuotaLimiter each) count one account's searches as one: the
// account gets its limit in all, spread however the balancer spreads them.
TEST_F(PostgresStoreTest, SearchesSpreadOverThreeInstancesAreLimitedAsOne) {
  QuotaLimiter::Limits limits;
  limits.searches_per_minute = 10;
  limits.organisation_searches_per_minute = 25;
  std::vector<std::unique_ptr<Store>> stores;
  std::vector<std::unique_ptr<QuotaLimiter>> instances;
  for (int i = 0; i < 3; ++i) {
    stores.push_back(OpenStore());
    ASSERT_NE(stores.back(), nullptr);
    ASSERT_TRUE(stores.back()->shared());
    instances.push_back(std::make_unique<QuotaLimiter>(limits, stores.back().get()));
  }
  auto take = [](QuotaLimiter& quotas, const std::string& id, absl::Time now) {
    AccountRecord account;
    account.id = id;
    account.organisation = "Samen BV";
    bool allowed = false;
    quotas.Take(account, QuotaLimiter::Kind::kSearch, now, [&](QuotaLimiter::Outcome outcome) {
      EXPECT_TRUE(outcome.error.ok()) << outcome.error;
      allowed = outcome.allowed;
    });
    return allowed;
  };
  const absl::Time now = absl::FromUnixSeconds(1'800'000'010);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 10; ++n) allowed += take(*instances[i], "a", now) ? 1 : 0;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 10);
  // The organisation's 25: 10 used by "a"; "b" and "c" share the other 15 across instances.
  int others = 0;
  for (int n = 0; n < 30; ++n) others += take(*instances[n % 3], n % 2 ? "b" : "c", now) ? 1 : 0;
  EXPECT_EQ(others, 15);
  EXPECT_EQ(instances[1]
                ->Peek(
                    [] {
                      AccountRecord account;
                      account.id = "a";
                      account.organisation = "Samen BV";
                      return account;
                    }(),
                    QuotaLimiter::Kind::kSearch, now)
                .remaining(),
            0);
  // The next minute starts afresh on every instance.
  EXPECT_TRUE(take(*instances[2], "a", now + absl::Minutes(1)));
}

}  // namespace
}  // namespace verkenner::service
