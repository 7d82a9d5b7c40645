// The service store on a real SQLite file, and (StoreTest.* with VERKENNER_TEST_STORE=postgresql,
// as ctest's service_store_test_on_postgres runs them) on a real PostgreSQL database: schema,
// durable grouped writes, reads, accounts and tokens; on SQLite also the file's own rules and
// faults of the disk (a small tmpfs, strace fault injection: these need root, as CI has).
#include "service/store/store.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/disk_space.h"
#include "base/postgres/pg_connection.h"
#include "base/sqlite/sqlite_connection.h"
#include "service/store/accounts.h"
#include "service/store/records.h"
#include "tests/syscall_fault_injector.h"
#include "tests/test_store.h"

namespace verkenner::service {
namespace {

using sqlite::SqliteConnection;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("verkenner-store-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    absl::StatusOr<std::unique_ptr<testing::TestStore>> test_store =
        testing::TestStore::Create(directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = std::move(*test_store);
    path_ = test_store_->target();
  }
  void TearDown() override {
    test_store_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::unique_ptr<Store> OpenStore() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static NewAccount Employer(const std::string& email) {
    NewAccount account;
    account.email = email;
    account.display_name = "Fatima de Vries";
    account.role = v1::ACCOUNT_ROLE_EMPLOYER;
    account.organisation = "Bakkerij Het Zuiden";
    return account;
  }

  std::filesystem::path directory_;
  std::unique_ptr<testing::TestStore> test_store_;
  std::string path_;  // the store's target: a file, or a PostgreSQL URI
};

// What only a store in an SQLite file has: the file, its PRAGMAs.
using SqliteStoreTest = StoreTest;

// A connection of its own to the store at `target`, beside the Store's.
absl::StatusOr<std::unique_ptr<sql::Connection>> RawConnection(const std::string& target) {
  if (testing::TestingOnPostgres()) {
    auto opened =
        postgres::PgConnection::Open("store", target, postgres::PgConnection::Mode::kReadWrite);
    if (!opened.ok()) return opened.status();
    return std::unique_ptr<sql::Connection>(std::move(*opened));
  }
  auto opened = SqliteConnection::Open("store", target, SqliteConnection::Mode::kReadWrite);
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<sql::Connection>(std::move(*opened));
}

// The copies a store made of itself before migrating: schemas on PostgreSQL, files beside it on
// SQLite (their names, sorted).
std::vector<std::string> OldCopies(sql::Connection& db, const std::filesystem::path& directory) {
  std::vector<std::string> names;
  if (testing::TestingOnPostgres()) {
    auto schemas = db.Prepare(
        "SELECT schema_name FROM information_schema.schemata "
        "WHERE schema_name LIKE 'verkenner_before_v%' ORDER BY 1");
    EXPECT_TRUE(schemas.ok()) << schemas.status();
    if (!schemas.ok()) return names;
    for (auto row = schemas->Step(); row.ok() && *row; row = schemas->Step()) {
      names.push_back(schemas->Text(0));
    }
    return names;
  }
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".before-v") != std::string::npos) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

int64_t CountAccounts(Store& store) {
  int64_t count = -1;
  EXPECT_TRUE(store
                  .Read([&](sql::Connection& db) {
                    absl::StatusOr<int64_t> n = db.QueryInteger("SELECT count(*) FROM account");
                    if (!n.ok()) return n.status();
                    count = *n;
                    return absl::OkStatus();
                  })
                  .ok());
  return count;
}

TEST_F(SqliteStoreTest, ANewStoreIsOwnerOnlyAndReopens) {
  { ASSERT_NE(OpenStore(), nullptr); }
  struct stat info {};
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::unique_ptr<Store> again = OpenStore();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(CountAccounts(*again), 0);
}

TEST_F(SqliteStoreTest, AVersionOneStoreGetsTheTablesOfLaterVersions) {
  { ASSERT_NE(OpenStore(), nullptr); }
  {
    auto raw = SqliteConnection::Open("store", path_, SqliteConnection::Mode::kReadWrite);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(
        (*raw)
            ->Execute("DROP TABLE import_run; DROP TABLE server_secret; DROP TABLE quota_use; "
                      "DROP TABLE hidden_profile; DROP TABLE availability_confirmation; "
                      "DROP INDEX audit_by_profile; DROP INDEX account_by_email; "
                      "DROP TABLE change_count; DROP TABLE login_failure; DROP TABLE import_lease; "
                      "DROP TABLE index_writer; PRAGMA user_version = 1;")
            .ok());
  }
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t tables = -1;
  int64_t version = -1;
  ASSERT_TRUE(store
                  ->Read([&](sql::Connection& db) {
                    auto count = db.QueryInteger(
                        "SELECT count(*) FROM sqlite_schema "
                        "WHERE name IN ('import_run', 'server_secret', 'quota_use', "
                        "'hidden_profile', 'availability_confirmation', 'audit_by_profile', "
                        "'account_by_email', 'change_count', 'login_failure', 'import_lease', "
                        "'index_writer')");
                    auto user_version = db.QueryInteger("PRAGMA user_version");
                    if (!count.ok()) return count.status();
                    if (!user_version.ok()) return user_version.status();
                    tables = *count;
                    version = *user_version;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(tables, 11);
  EXPECT_EQ(version, Store::kSchemaVersion);
}

// The tables and indexes that schema versions 2 and later added: dropping them and stamping
// version 1 turns a store back into one an older release made.
constexpr char kDowngradeToVersionOne[] =
    "DROP TABLE import_run; DROP TABLE server_secret; DROP TABLE quota_use; "
    "DROP TABLE hidden_profile; DROP TABLE availability_confirmation; "
    "DROP INDEX audit_by_profile; DROP INDEX account_by_email; DROP TABLE change_count; "
    "DROP TABLE login_failure; DROP TABLE import_lease; DROP TABLE index_writer; ";

// An upgrade that goes wrong must have a way back: the store copies itself, as it is, before a
// migration changes it; a store already current is not copied again.
TEST_F(StoreTest, AStoreBacksItselfUpBeforeAMigration) {
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store
                    ->WriteAndWait([&](sql::Connection& db) {
                      return CreateAccount(db, Employer("voor@upgrade.example"), 1).status();
                    })
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<sql::Connection>> raw = RawConnection(path_);
  ASSERT_TRUE(raw.ok()) << raw.status();
  const std::string stamp = testing::TestingOnPostgres()
                                ? "UPDATE store_meta SET schema_version = 1"
                                : "PRAGMA user_version = 1";
  ASSERT_TRUE((*raw)->Execute((kDowngradeToVersionOne + stamp).c_str()).ok());
  ASSERT_EQ(OldCopies(**raw, directory_).size(), 0u);
  for (int open = 0; open < 2; ++open) ASSERT_NE(OpenStore(), nullptr);

  const std::vector<std::string> copies = OldCopies(**raw, directory_);
  ASSERT_EQ(copies.size(), 1u) << "one copy, made by the first open only";
  const std::string prefix = absl::StrCat("before-v", Store::kSchemaVersion);
  if (testing::TestingOnPostgres()) {
    EXPECT_TRUE(
        absl::StartsWith(copies[0], "verkenner_" + absl::StrReplaceAll(prefix, {{"-", "_"}})))
        << copies[0];
    auto accounts =
        (*raw)->QueryInteger(absl::StrCat("SELECT count(*) FROM ", copies[0], ".account").c_str());
    ASSERT_TRUE(accounts.ok()) << accounts.status();
    EXPECT_EQ(*accounts, 1);
    return;
  }
  const std::string copy = (directory_ / copies[0]).string();
  EXPECT_TRUE(absl::StartsWith(
      copies[0], std::filesystem::path(path_).filename().string() + "." + prefix + "-"))
      << copies[0];
  struct stat info {};
  ASSERT_EQ(stat(copy.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the copy holds what the store holds";
  auto old = SqliteConnection::Open("copy", copy, SqliteConnection::Mode::kReadOnly);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(*(*old)->QueryInteger("PRAGMA user_version"), 1);
  EXPECT_EQ(*(*old)->QueryInteger("SELECT count(*) FROM account"), 1);
}

TEST_F(StoreTest, AnImportLeaseIsOneHoldersUntilItExpires) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto write = [&](auto work) {
    absl::Status status = store->WriteAndWait(work);
    EXPECT_TRUE(status.ok()) << status;
  };
  bool taken = false;
  auto take = [&](const std::string& holder, const std::string& import_id, int64_t now) {
    write([&](sql::Connection& db) -> absl::Status {
      absl::StatusOr<bool> took =
          TakeImportLease(db, {"GM0344", import_id, holder, 0, now + 30}, now);
      if (!took.ok()) return took.status();
      taken = *took;
      return absl::OkStatus();
    });
    return taken;
  };
  EXPECT_TRUE(take("a", "one", 100));
  EXPECT_FALSE(take("b", "two", 110));  // a's lease runs until 130
  bool renewed = false;
  write([&](sql::Connection& db) -> absl::Status {
    absl::StatusOr<bool> by_b = RenewImportLease(db, "GM0344", "b", 5, 200);
    if (!by_b.ok()) return by_b.status();
    EXPECT_FALSE(*by_b);
    absl::StatusOr<bool> by_a = RenewImportLease(db, "GM0344", "a", 7, 150);
    if (!by_a.ok()) return by_a.status();
    renewed = *by_a;
    return absl::OkStatus();
  });
  EXPECT_TRUE(renewed);
  EXPECT_FALSE(take("b", "two", 140));
  std::optional<ImportLease> seen;
  ASSERT_TRUE(store
                  ->Read([&](sql::Connection& db) {
                    auto found = FindImportLease(db, "GM0344", 140);
                    if (!found.ok()) return found.status();
                    seen = *found;
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->holder, "a");
  EXPECT_EQ(seen->received_rows, 7);
  // a died: its lease ran out at 150.
  EXPECT_TRUE(take("b", "two", 150));
  write([&](sql::Connection& db) { return ReleaseImportLease(db, "GM0344", "a"); });  // not a's
  EXPECT_FALSE(take("c", "three", 160));
  write([&](sql::Connection& db) { return ReleaseImportLease(db, "GM0344", "b"); });
  EXPECT_TRUE(take("c", "three", 160));
}

TEST_F(StoreTest, TheIndexWriterIsOneHoldersUntilItExpiresAndEachNewHolderRaisesTheEpoch) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  IndexWriterClaim held;
  auto claim = [&](const std::string& holder, int64_t now) {
    absl::Status status = store->WriteAndWait([&](sql::Connection& db) -> absl::Status {
      absl::StatusOr<IndexWriterClaim> valid = ClaimIndexWriter(
          db, {holder, "addr-" + holder, "host:/index/" + holder, 0, now + 30, "pub-" + holder},
          now);
      if (!valid.ok()) return valid.status();
      held = *valid;
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return held;
  };
  auto find = [&](int64_t now) {
    std::optional<IndexWriterClaim> seen;
    EXPECT_TRUE(store
                    ->Read([&](sql::Connection& db) {
                      auto found = FindIndexWriter(db, now);
                      if (!found.ok()) return found.status();
                      seen = *found;
                      return absl::OkStatus();
                    })
                    .ok());
    return seen;
  };
  EXPECT_FALSE(find(100).has_value());
  EXPECT_EQ(claim("a", 100).holder, "a");
  EXPECT_EQ(held.epoch, 1);
  IndexWriterClaim refused = claim("b", 110);  // a's runs until 130
  EXPECT_EQ(refused.holder, "a");
  EXPECT_EQ(refused.address, "addr-a");
  EXPECT_EQ(refused.location, "host:/index/a");
  EXPECT_EQ(refused.expire_micros, 130);
  EXPECT_EQ(refused.publication, "pub-a");
  EXPECT_EQ(claim("a", 120).expire_micros, 150);  // a renewal keeps the epoch
  EXPECT_EQ(held.epoch, 1);
  EXPECT_EQ(find(149)->holder, "a");
  EXPECT_FALSE(find(150).has_value());
  // a died: b takes over at 150, in a new epoch.
  EXPECT_EQ(claim("b", 150).holder, "b");
  EXPECT_EQ(held.epoch, 2);
  // a comes back: its old lease is gone, and releasing what it no longer holds changes nothing.
  EXPECT_EQ(claim("a", 160).holder, "b");
  ASSERT_TRUE(
      store->WriteAndWait([](sql::Connection& db) { return ReleaseIndexWriter(db, "a"); }).ok());
  EXPECT_EQ(find(160)->holder, "b");
  ASSERT_TRUE(
      store->WriteAndWait([](sql::Connection& db) { return ReleaseIndexWriter(db, "b"); }).ok());
  EXPECT_FALSE(find(160).has_value());
  EXPECT_EQ(claim("a", 161).holder, "a");
  EXPECT_EQ(held.epoch, 3);  // released leases keep counting
}

TEST_F(StoreTest, HidingAndConfirmingKeepTheLatestPerProfile) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::string account;
  ASSERT_TRUE(store
                  ->WriteAndWait([&](sql::Connection& db) {
                    NewAccount wsp = Employer("am@wsp.example");
                    wsp.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
                    wsp.region_code = "AM01";
                    auto created = CreateAccount(db, wsp, 1);
                    EXPECT_TRUE(created.ok()) << created.status();
                    if (!created.ok()) return created.status();
                    account = created->id;
                    absl::Status status = HideProfile(db, {"p1", account, "eerste reden", 10});
                    if (status.ok()) status = HideProfile(db, {"p1", account, "tweede reden", 20});
                    if (status.ok()) status = HideProfile(db, {"p2", account, "reden", 30});
                    if (status.ok()) status = UnhideProfile(db, "p2");
                    if (status.ok()) status = UnhideProfile(db, "never-hidden");
                    if (status.ok())
                      status = RecordAvailabilityConfirmation(db, "p1", account, 7, 70);
                    if (status.ok())
                      status = RecordAvailabilityConfirmation(db, "p1", account, 9, 90);
                    EXPECT_TRUE(status.ok()) << status;
                    return status;
                  })
                  .ok());
  ASSERT_TRUE(store
                  ->Read([&](sql::Connection& db) {
                    auto ids = HiddenProfileIdsIn(db);
                    EXPECT_TRUE(ids.ok());
                    EXPECT_EQ(*ids, std::set<std::string>{"p1"});
                    auto p1 = FindHiddenProfile(db, "p1");
                    EXPECT_TRUE(p1.ok() && p1->has_value());
                    EXPECT_EQ((*p1)->reason, "tweede reden");
                    EXPECT_EQ((*p1)->account_id, account);
                    EXPECT_EQ((*p1)->time_micros, 20);
                    auto p2 = FindHiddenProfile(db, "p2");
                    EXPECT_TRUE(p2.ok() && !p2->has_value());
                    auto confirmed = AvailabilityConfirmationsIn(db);
                    EXPECT_TRUE(confirmed.ok());
                    EXPECT_EQ(*confirmed, (std::map<std::string, int64_t>{{"p1", 9}}));
                    return absl::OkStatus();
                  })
                  .ok());
}

TEST_F(StoreTest, AServerSecretIsMadeOnceAndOutlivesAReopen) {
  auto secret_of = [](Store& store, const std::string& name) {
    std::string secret;
    EXPECT_TRUE(store
                    .WriteAndWait([&](sql::Connection& db) {
                      absl::StatusOr<std::string> value = ServerSecret(db, name);
                      if (!value.ok()) return value.status();
                      secret = *value;
                      return absl::OkStatus();
                    })
                    .ok());
    return secret;
  };
  std::string first;
  std::string other;
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    first = secret_of(*store, "web_csrf_key");
    other = secret_of(*store, "another");
    EXPECT_EQ(secret_of(*store, "web_csrf_key"), first);
  }
  EXPECT_EQ(first.size(), 32u);
  EXPECT_NE(first, other);
  std::unique_ptr<Store> reopened = OpenStore();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(secret_of(*reopened, "web_csrf_key"), first);
}

TEST_F(SqliteStoreTest, AnotherApplicationsDatabaseIsRefused) {
  {
    auto other = SqliteConnection::Open("other", path_, SqliteConnection::Mode::kReadWrite);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Execute("CREATE TABLE something (x)").ok());
  }
  EXPECT_EQ(Store::Open(path_).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, AcknowledgedWritesSurviveReopenAndAFailedWriteChangesNothing) {
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store
                    ->WriteAndWait([](sql::Connection& db) {
                      return CreateAccount(db, Employer("a@example.nl"), 1).status();
                    })
                    .ok());
    absl::Status failed = store->WriteAndWait([](sql::Connection& db) {
      if (absl::Status status = CreateAccount(db, Employer("b@example.nl"), 1).status();
          !status.ok()) {
        return status;
      }
      return absl::InvalidArgumentError("changed my mind");  // after a successful insert
    });
    EXPECT_EQ(failed.code(), absl::StatusCode::kInvalidArgument);
  }
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CountAccounts(*store), 1);
}

// Many writers at once: their writes share transactions, and each gets its own outcome.
TEST_F(StoreTest, ConcurrentWritesAreGroupedButKeepTheirOwnOutcome) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kWrites = 400;
  std::vector<std::promise<absl::Status>> outcomes(kWrites);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kWrites; i += 4) {
        // Every tenth write reuses an e-mail address and must fail alone.
        const std::string email = i % 10 == 9 ? "a" + std::to_string(i - 1) + "@example.nl"
                                              : "a" + std::to_string(i) + "@example.nl";
        store->Write(
            [email](sql::Connection& db) { return CreateAccount(db, Employer(email), 1).status(); },
            [&outcomes, i](absl::Status status) { outcomes[i].set_value(std::move(status)); });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int ok = 0;
  int already_exists = 0;
  for (int i = 0; i < kWrites; ++i) {
    const absl::Status status = outcomes[i].get_future().get();
    if (status.ok()) ++ok;
    if (absl::IsAlreadyExists(status)) ++already_exists;
  }
  // Which of two writes with one address wins depends on timing; one of them must lose.
  EXPECT_EQ(ok, kWrites - kWrites / 10);
  EXPECT_EQ(already_exists, kWrites / 10);
  EXPECT_EQ(CountAccounts(*store), kWrites - kWrites / 10);
}

TEST_F(StoreTest, AccountsAreCheckedForTheirRoleAndEmailsAreUniqueIgnoringCase) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto create = [&](const NewAccount& account) {
    return store->WriteAndWait(
        [&](sql::Connection& db) { return CreateAccount(db, account, 1).status(); });
  };
  EXPECT_TRUE(create(Employer("Jan@Example.nl")).ok());
  EXPECT_EQ(create(Employer("jan@example.NL")).code(), absl::StatusCode::kAlreadyExists);
  NewAccount wsp = Employer("wsp@example.nl");
  wsp.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  absl::Status no_region = create(wsp);
  EXPECT_EQ(no_region.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_region.message().find("region_code"), absl::string_view::npos);
  wsp.region_code = "AM20";
  EXPECT_TRUE(create(wsp).ok());
  NewAccount employer_with_source = Employer("e@example.nl");
  employer_with_source.source = "GM0344";
  EXPECT_EQ(create(employer_with_source).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create(Employer("not an address")).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, ATokenActsForItsAccountUntilItExpiresOrIsRemoved) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  AccountRecord account;
  ASSERT_TRUE(store
                  ->WriteAndWait([&](sql::Connection& db) {
                    absl::StatusOr<AccountRecord> created =
                        CreateAccount(db, Employer("a@example.nl"), 1);
                    if (!created.ok()) return created.status();
                    account = *created;
                    if (absl::Status status = AddToken(db, "session-hash", account.id,
                                                       TokenKind::kSession, 100, 10'000'000);
                        !status.ok()) {
                      return status;
                    }
                    return AddToken(db, "api-hash", account.id, TokenKind::kApi, 100, 0);
                  })
                  .ok());
  auto lookup = [&](const std::string& hash, int64_t now) {
    std::optional<std::pair<AccountRecord, TokenKind>> found;
    EXPECT_TRUE(store
                    ->Read([&](sql::Connection& db) {
                      auto result = AccountOfToken(db, hash, now, /*idle=*/1'000'000);
                      if (!result.ok()) return result.status();
                      found = *result;
                      return absl::OkStatus();
                    })
                    .ok());
    return found;
  };
  ASSERT_TRUE(lookup("session-hash", 150).has_value());
  EXPECT_EQ(lookup("session-hash", 150)->first.id, account.id);
  EXPECT_EQ(lookup("session-hash", 150)->second, TokenKind::kSession);
  EXPECT_FALSE(lookup("session-hash", 1'000'200).has_value());  // idle for longer than allowed
  ASSERT_TRUE(store
                  ->WriteAndWait(
                      [](sql::Connection& db) { return TouchToken(db, "session-hash", 900'000); })
                  .ok());
  EXPECT_TRUE(lookup("session-hash", 1'000'200).has_value());
  EXPECT_FALSE(lookup("session-hash", 10'000'000).has_value());  // past its lifetime
  EXPECT_TRUE(lookup("api-hash", 100 + 2'000'000).has_value());  // API tokens never idle out
  EXPECT_TRUE(lookup("api-hash", 1'000'000'000).has_value());
  EXPECT_FALSE(lookup("unknown-hash", 150).has_value());
  ASSERT_TRUE(
      store->WriteAndWait([](sql::Connection& db) { return RemoveToken(db, "api-hash"); }).ok());
  EXPECT_FALSE(lookup("api-hash", 150).has_value());
  ASSERT_TRUE(store
                  ->WriteAndWait([&](sql::Connection& db) {
                    return db.Execute("UPDATE account SET disabled = 1");
                  })
                  .ok());
  EXPECT_FALSE(lookup("session-hash", 150).has_value());  // a disabled account acts no more
}

// ---- Faults of the disk: a full file system, a failing write, a failing fsync ----

// Writes and reads rows of the server_secret table named "test-..." (a real table of the store,
// with a blob column to fill a disk with).
class StoreDiskFaultTest : public StoreTest {
 protected:
  static Store::Work Insert(const std::string& name, int bytes) {
    return [name, bytes](sql::Connection& db) -> absl::Status {
      absl::StatusOr<sql::Statement> statement =
          db.Prepare("INSERT INTO server_secret (name, value) VALUES (?1, randomblob(?2))");
      if (!statement.ok()) return statement.status();
      return statement->Bind(1, name).Bind(2, static_cast<int64_t>(bytes)).Run();
    };
  }

  static std::vector<std::string> TestRows(Store& store) {
    std::vector<std::string> names;
    absl::Status status = store.Read([&](sql::Connection& db) -> absl::Status {
      absl::StatusOr<sql::Statement> statement =
          db.Prepare("SELECT name FROM server_secret WHERE name LIKE 'test-%' ORDER BY name");
      if (!statement.ok()) return statement.status();
      while (true) {
        absl::StatusOr<bool> row = statement->Step();
        if (!row.ok()) return row.status();
        if (!*row) return absl::OkStatus();
        names.push_back(statement->Text(0));
      }
    });
    EXPECT_TRUE(status.ok()) << status;
    return names;
  }

  // What a client may be told: UNAVAILABLE (try again later), never RESOURCE_EXHAUSTED (which
  // clients read as their own quota), and never where the file is.
  void ExpectUnavailableWithoutPath(const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_EQ(status.message().find(directory_.string()), std::string::npos) << status;
    EXPECT_EQ(status.message().find("store.db"), std::string::npos) << status;
  }
};

TEST_F(StoreDiskFaultTest, AWriteOnAFullDiskAnswersUnavailableAndSucceedsOnceThereIsSpace) {
  ASSERT_EQ(geteuid(), 0u) << "this test mounts a small tmpfs and needs root (CI runs as root)";
  const std::filesystem::path mount_point = directory_ / "small-disk";
  std::filesystem::create_directories(mount_point);
  ASSERT_EQ(mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=512k,mode=0700"), 0)
      << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point.string()};
  path_ = (mount_point / "store.db").string();
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);

  absl::Status failed;
  int written = 0;
  for (; written < 64 && failed.ok(); ++written) {
    failed = store->WriteAndWait(Insert("test-" + std::to_string(100 + written), 32 << 10));
  }
  ASSERT_FALSE(failed.ok()) << "512 KiB never filled up";
  ExpectUnavailableWithoutPath(failed);
  EXPECT_TRUE(base::IsDiskFull(failed)) << failed;
  EXPECT_NE(failed.message().find("disk is full"), std::string::npos) << failed;
  EXPECT_EQ(TestRows(*store).size(), static_cast<size_t>(written - 1));  // the failed one: absent

  ASSERT_EQ(mount("tmpfs", mount_point.c_str(), "tmpfs", MS_REMOUNT, "size=8m"), 0);
  EXPECT_TRUE(store->WriteAndWait(Insert("test-999", 32 << 10)).ok());
  EXPECT_EQ(TestRows(*store).size(), static_cast<size_t>(written));
}

TEST_F(StoreDiskFaultTest, AFailedWriteToTheFileIsNotAcknowledgedAndLeavesNothingBehind) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->WriteAndWait(Insert("test-before", 100)).ok());
  absl::Status failed;
  {
    // The WAL is written with pwrite64; its first write of the transaction succeeds, the rest
    // find the disk full, so the change is half on disk when SQLite gives up.
    verkenner::testing::SyscallFaultInjector full_disk("pwrite64:error=ENOSPC:when=2+");
    ASSERT_TRUE(full_disk.attached()) << full_disk.error();
    failed = store->WriteAndWait([](sql::Connection& db) -> absl::Status {
      for (const char* name : {"test-during-1", "test-during-2", "test-during-3"}) {
        if (absl::Status status = Insert(name, 64 << 10)(db); !status.ok()) return status;
      }
      return absl::OkStatus();
    });
  }
  ExpectUnavailableWithoutPath(failed);
  EXPECT_TRUE(base::IsDiskFull(failed)) << failed;
  EXPECT_EQ(TestRows(*store), std::vector<std::string>{"test-before"});
  // A full disk is no reason to distrust the file: once there is space, writes go on.
  EXPECT_TRUE(store->WriteAndWait(Insert("test-after", 100)).ok());
  store.reset();
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(TestRows(*store), (std::vector<std::string>{"test-after", "test-before"}));
}

TEST_F(StoreDiskFaultTest, AFailedFsyncIsNotAcknowledgedAndNoWriteIsTakenUntilARestart) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->WriteAndWait(Insert("test-before", 100)).ok());
  {
    verkenner::testing::SyscallFaultInjector failing_disk("fsync,fdatasync:error=EIO");
    ASSERT_TRUE(failing_disk.attached()) << failing_disk.error();
    ExpectUnavailableWithoutPath(store->WriteAndWait(Insert("test-during", 100)));
  }
  // The disk answers again, but after a failed fsync the kernel may have dropped pages SQLite
  // counts as written: this process acknowledges no more writes (fail-closed).
  ExpectUnavailableWithoutPath(store->WriteAndWait(Insert("test-after", 100)));
  EXPECT_EQ(TestRows(*store), std::vector<std::string>{"test-before"});

  store.reset();  // a restart
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->WriteAndWait(Insert("test-restarted", 100)).ok());
  EXPECT_EQ(TestRows(*store), (std::vector<std::string>{"test-before", "test-restarted"}));
}

}  // namespace
}  // namespace verkenner::service
