#include "indexer/identity_vault.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/syscall_fault_injector.h"
#include "tests/test_store.h"

namespace verkenner::indexer {
namespace {

// A 24-hex-digit profile id that differs per `n`, as the Pseudonymizer would make.
std::string ProfileId(int n) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%024x", n);
  return buffer;
}

VaultEntry Entry(int n) {
  return VaultEntry{ProfileId(n), "GM0344", "K-" + std::to_string(700000 + n)};
}

mode_t FileMode(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 07777;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Changes a vault behind its back, the way a tampering user or a newer program would.
void ExecuteRaw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// IdentityVaultTest runs on both homes of the vault: an SQLite file, and (identity_vault_test_on_
// postgres, VERKENNER_TEST_STORE=postgresql) the schema `vault` of a database made for the test.
// SqliteIdentityVaultTest is about the file only: modes, disk faults, secure_delete.
class IdentityVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "verkenner-vault-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    path_ = (directory_ / "identity.db").string();
    target_ = path_;
    if (testing::TestingOnPostgres()) {
      absl::StatusOr<std::unique_ptr<testing::TestStore>> database =
          testing::TestStore::Create(directory_);
      ASSERT_TRUE(database.ok()) << database.status();
      database_ = std::move(*database);
      target_ = database_->target();
    }
  }

  void TearDown() override {
    database_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::unique_ptr<IdentityVault> OpenVault() {
    auto vault = IdentityVault::Open(target_);
    EXPECT_TRUE(vault.ok()) << vault.status();
    return vault.ok() ? std::move(*vault) : nullptr;
  }

  // A vault file holding `count` entries, closed again.
  void CreateVaultWith(int count) {
    std::unique_ptr<IdentityVault> vault = OpenVault();
    ASSERT_NE(vault, nullptr);
    ASSERT_TRUE(vault->BeginBatch().ok());
    for (int n = 0; n < count; ++n) ASSERT_TRUE(vault->Put(Entry(n)).ok());
    ASSERT_TRUE(vault->CommitBatch().ok());
  }

  std::filesystem::path directory_;
  std::string path_;    // the SQLite file
  std::string target_;  // what the vault is opened at: path_, or the test's PostgreSQL database
  std::unique_ptr<testing::TestStore> database_;
};

class SqliteIdentityVaultTest : public IdentityVaultTest {};

TEST_F(IdentityVaultTest, PutThenLookupReturnsTheEntry) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put(Entry(1)).ok());

  absl::StatusOr<std::optional<VaultEntry>> found = vault->Lookup(ProfileId(1));
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->profile_id, ProfileId(1));
  EXPECT_EQ((*found)->source, "GM0344");
  EXPECT_EQ((*found)->client_number, "K-700001");
  EXPECT_EQ(*vault->Count(), 1);
}

TEST_F(IdentityVaultTest, PutWithSameProfileIdReplacesTheEntry) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put(Entry(1)).ok());
  ASSERT_TRUE(vault->Put(VaultEntry{ProfileId(1), "UWV", "X-42"}).ok());

  absl::StatusOr<std::optional<VaultEntry>> found = vault->Lookup(ProfileId(1));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->source, "UWV");
  EXPECT_EQ((*found)->client_number, "X-42");
  EXPECT_EQ(*vault->Count(), 1);
}

TEST_F(IdentityVaultTest, RemoveDeletesTheEntryAndIgnoresAbsentOnes) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put(Entry(1)).ok());
  ASSERT_TRUE(vault->Put(Entry(2)).ok());

  EXPECT_TRUE(vault->Remove(ProfileId(1)).ok());
  EXPECT_TRUE(vault->Remove(ProfileId(99)).ok());

  EXPECT_FALSE(vault->Lookup(ProfileId(1))->has_value());
  EXPECT_TRUE(vault->Lookup(ProfileId(2))->has_value());
  EXPECT_EQ(*vault->Count(), 1);
}

TEST_F(IdentityVaultTest, LookupOfAbsentProfileReturnsNothing) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put(Entry(1)).ok());

  absl::StatusOr<std::optional<VaultEntry>> found = vault->Lookup(ProfileId(2));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
}

TEST_F(IdentityVaultTest, MalformedEntriesAreRefusedNamingTheField) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  const std::string uppercase = "ABCDEF0123456789ABCDEF01";
  for (const std::string& bad_id : {std::string("abc"), uppercase, ProfileId(1) + "0"}) {
    absl::Status status = vault->Put(VaultEntry{bad_id, "GM0344", "K-1"});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("profile_id"), absl::string_view::npos) << status;
    EXPECT_EQ(vault->Lookup(bad_id).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(vault->Remove(bad_id).code(), absl::StatusCode::kInvalidArgument);
  }
  absl::Status no_source = vault->Put(VaultEntry{ProfileId(1), "", "K-1"});
  EXPECT_EQ(no_source.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_source.message().find("source"), absl::string_view::npos) << no_source;
  absl::Status no_client = vault->Put(VaultEntry{ProfileId(1), "GM0344", ""});
  EXPECT_EQ(no_client.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_client.message().find("client_number"), absl::string_view::npos) << no_client;
  EXPECT_EQ(*vault->Count(), 0);
}

TEST_F(IdentityVaultTest, RollbackLeavesNoEntries) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put(Entry(1)).ok());

  ASSERT_TRUE(vault->BeginBatch().ok());
  EXPECT_TRUE(vault->InBatch());
  ASSERT_TRUE(vault->Put(Entry(2)).ok());
  ASSERT_TRUE(vault->Put(VaultEntry{ProfileId(1), "UWV", "X-42"}).ok());
  ASSERT_TRUE(vault->Remove(ProfileId(1)).ok());
  ASSERT_TRUE(vault->Put(Entry(3)).ok());
  vault->AbortBatch();

  EXPECT_FALSE(vault->InBatch());
  EXPECT_EQ(*vault->Count(), 1);
  EXPECT_FALSE(vault->Lookup(ProfileId(2))->has_value());
  EXPECT_FALSE(vault->Lookup(ProfileId(3))->has_value());
  absl::StatusOr<std::optional<VaultEntry>> kept = vault->Lookup(ProfileId(1));
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->client_number, "K-700001");
}

TEST_F(IdentityVaultTest, ClosingWithAnOpenBatchDiscardsIt) {
  {
    std::unique_ptr<IdentityVault> vault = OpenVault();
    ASSERT_NE(vault, nullptr);
    ASSERT_TRUE(vault->BeginBatch().ok());
    ASSERT_TRUE(vault->Put(Entry(1)).ok());
  }
  std::unique_ptr<IdentityVault> reopened = OpenVault();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->Count(), 0);
}

TEST_F(IdentityVaultTest, CommittedBatchSurvivesReopen) {
  CreateVaultWith(1000);

  std::unique_ptr<IdentityVault> reopened = OpenVault();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->Count(), 1000);
  absl::StatusOr<std::optional<VaultEntry>> found = reopened->Lookup(ProfileId(999));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->client_number, "K-700999");
  reopened.reset();

  // The service's side opens the closed vault (no -wal or -shm file left) read-only.
  absl::StatusOr<std::unique_ptr<IdentityVault>> reader = IdentityVault::OpenReadOnly(target_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*(*reader)->Count(), 1000);
}

TEST_F(SqliteIdentityVaultTest, KilledProcessKeepsCommittedBatchAndLosesOpenOne) {
  // The child dies by SIGKILL, so no destructor, checkpoint or close runs: what the parent then
  // finds is what SQLite's WAL recovery makes of the file.
  EXPECT_EXIT(
      {
        auto vault = IdentityVault::Open(path_);
        if (!vault.ok()) std::_Exit(1);
        if (!(*vault)->BeginBatch().ok() || !(*vault)->Put(Entry(1)).ok() ||
            !(*vault)->CommitBatch().ok()) {
          std::_Exit(2);
        }
        if (!(*vault)->BeginBatch().ok() || !(*vault)->Put(Entry(2)).ok()) std::_Exit(3);
        std::raise(SIGKILL);
      },
      ::testing::KilledBySignal(SIGKILL), "");

  std::unique_ptr<IdentityVault> reopened = OpenVault();
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->Lookup(ProfileId(1))->has_value());
  EXPECT_FALSE(reopened->Lookup(ProfileId(2))->has_value());
  EXPECT_EQ(*reopened->Count(), 1);
}

TEST_F(SqliteIdentityVaultTest, NewVaultFilesAreOwnerOnly) {
  // A permissive umask must not leak into the vault's mode.
  const mode_t previous = umask(0);
  std::unique_ptr<IdentityVault> vault = OpenVault();
  umask(previous);
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put(Entry(1)).ok());

  EXPECT_EQ(FileMode(path_), 0600u);
  ASSERT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(FileMode(path_ + "-wal"), 0600u);
}

TEST_F(SqliteIdentityVaultTest, GroupReadableFileIsRefused) {
  CreateVaultWith(1);
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);

  absl::StatusOr<std::unique_ptr<IdentityVault>> vault = IdentityVault::Open(path_);
  EXPECT_EQ(vault.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(vault.status().message().find("chmod 600"), absl::string_view::npos) << vault.status();
  EXPECT_EQ(IdentityVault::OpenReadOnly(path_).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(SqliteIdentityVaultTest, NewerSchemaVersionIsRefused) {
  CreateVaultWith(1);
  ExecuteRaw(path_, "PRAGMA user_version = " + std::to_string(IdentityVault::kSchemaVersion + 1));

  absl::StatusOr<std::unique_ptr<IdentityVault>> vault = IdentityVault::Open(path_);
  EXPECT_EQ(vault.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(vault.status().message().find("schema version"), absl::string_view::npos)
      << vault.status();
  EXPECT_EQ(IdentityVault::OpenReadOnly(path_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Version 1 had an index on source; opening for writing drops it and keeps every entry, while a
// reader reads the old file as it is.
TEST_F(SqliteIdentityVaultTest, VersionOneVaultIsMigratedWhenOpenedForWriting) {
  CreateVaultWith(3);
  ExecuteRaw(path_,
             "CREATE INDEX identity_by_source ON identity (source); PRAGMA user_version = 1;");
  auto count_index = [&] {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'identity_by_source'",
                       -1, &statement, nullptr);
    const int count = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int(statement, 0) : -1;
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return count;
  };
  {
    auto reader = IdentityVault::OpenReadOnly(path_);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_TRUE((*reader)->Lookup(ProfileId(2)).ok());
  }
  EXPECT_EQ(count_index(), 1);

  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  EXPECT_EQ(count_index(), 0);
  for (int n = 0; n < 3; ++n) {
    absl::StatusOr<std::optional<VaultEntry>> entry = vault->Lookup(ProfileId(n));
    ASSERT_TRUE(entry.ok() && entry->has_value()) << n;
    EXPECT_EQ((*entry)->client_number, Entry(n).client_number);
  }
  vault.reset();
  sqlite3* db = nullptr;
  sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), IdentityVault::kSchemaVersion);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST_F(SqliteIdentityVaultTest, AnotherApplicationsDatabaseIsRefusedAndLeftUnchanged) {
  ExecuteRaw(path_, "CREATE TABLE account (name TEXT)");
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  const std::string before = ReadFile(path_);

  EXPECT_EQ(IdentityVault::Open(path_).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFile(path_), before);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(SqliteIdentityVaultTest, FileThatIsNotADatabaseIsReportedAsDataLoss) {
  std::ofstream(path_) << std::string(8192, 'x');
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);

  EXPECT_EQ(IdentityVault::Open(path_).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SqliteIdentityVaultTest, ErrorsNeverContainTheEntrysValues) {
  CreateVaultWith(1);
  // A constraint that the vault does not know about makes SQLite itself refuse the second Put,
  // with the values bound to the statement.
  ExecuteRaw(path_, "CREATE UNIQUE INDEX one_per_client ON identity (client_number)");
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  const VaultEntry clash{ProfileId(5), "GM0999", Entry(0).client_number};

  absl::Status sqlite_error = vault->Put(clash);
  ASSERT_FALSE(sqlite_error.ok());
  absl::Status malformed = vault->Put(VaultEntry{"not-an-id", "GM0999", "K-SECRET-1"});
  ASSERT_FALSE(malformed.ok());

  for (const absl::Status& status : {sqlite_error, malformed}) {
    const std::string text = status.ToString();
    for (const std::string& value : {clash.client_number, clash.profile_id, clash.source,
                                     std::string("K-SECRET-1"), std::string("not-an-id")}) {
      EXPECT_EQ(text.find(value), std::string::npos) << "'" << value << "' in: " << text;
    }
  }
  // The file is named by what it is, not by its path: an import through the API passes the
  // vault's errors on to its client.
  EXPECT_NE(sqlite_error.ToString().find("identity vault"), std::string::npos) << sqlite_error;
  EXPECT_EQ(sqlite_error.ToString().find(path_), std::string::npos) << sqlite_error;
}

TEST_F(SqliteIdentityVaultTest, TriggersStoredInTheFileDoNotRun) {
  CreateVaultWith(0);
  ExecuteRaw(path_,
             "CREATE TABLE leaked (client_number TEXT);"
             "CREATE TRIGGER copy_out AFTER INSERT ON identity "
             "BEGIN INSERT INTO leaked VALUES (new.client_number); END;");
  {
    std::unique_ptr<IdentityVault> vault = OpenVault();
    ASSERT_NE(vault, nullptr);
    ASSERT_TRUE(vault->Put(Entry(1)).ok());
  }
  const std::string leaked_rows = [&] {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM leaked", -1, &statement, nullptr);
    std::string count = sqlite3_step(statement) == SQLITE_ROW
                            ? std::to_string(sqlite3_column_int64(statement, 0))
                            : "error";
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return count;
  }();
  EXPECT_EQ(leaked_rows, "0");
}

TEST_F(SqliteIdentityVaultTest, RemovedClientNumberIsErasedFromTheFile) {
  CreateVaultWith(50);
  // Closing checkpointed the WAL into the file, so the number is on disk before the removal.
  ASSERT_NE(ReadFile(path_).find("K-700017"), std::string::npos);
  {
    std::unique_ptr<IdentityVault> vault = OpenVault();
    ASSERT_NE(vault, nullptr);
    ASSERT_TRUE(vault->Remove(ProfileId(17)).ok());
  }
  ASSERT_FALSE(std::filesystem::exists(path_ + "-wal"));
  const std::string contents = ReadFile(path_);
  EXPECT_NE(contents.find("K-700016"), std::string::npos);
  EXPECT_EQ(contents.find("K-700017"), std::string::npos);
}

TEST_F(IdentityVaultTest, ReadOnlyVaultSeesCommittedEntriesAndRefusesWrites) {
  std::unique_ptr<IdentityVault> writer = OpenVault();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Put(Entry(1)).ok());

  absl::StatusOr<std::unique_ptr<IdentityVault>> reader = IdentityVault::OpenReadOnly(target_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->Lookup(ProfileId(1))->has_value());

  // A batch the writer has not committed yet stays invisible to the reader.
  ASSERT_TRUE(writer->BeginBatch().ok());
  ASSERT_TRUE(writer->Put(Entry(2)).ok());
  EXPECT_FALSE((*reader)->Lookup(ProfileId(2))->has_value());
  ASSERT_TRUE(writer->CommitBatch().ok());
  EXPECT_TRUE((*reader)->Lookup(ProfileId(2))->has_value());

  EXPECT_EQ((*reader)->Put(Entry(3)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->Remove(ProfileId(1)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->BeginBatch().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*(*reader)->Count(), 2);
}

TEST_F(SqliteIdentityVaultTest, OpenReadOnlyOfMissingFileIsNotFoundAndCreatesNothing) {
  EXPECT_EQ(IdentityVault::OpenReadOnly(path_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(IdentityVaultTest, BatchCallsOutOfOrderAreRefused) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  EXPECT_EQ(vault->CommitBatch().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(vault->BeginBatch().ok());
  EXPECT_EQ(vault->BeginBatch().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(vault->CommitBatch().ok());
  vault->AbortBatch();  // Nothing open: harmless.
  EXPECT_FALSE(vault->InBatch());
}

// ---- Faults of the disk, injected with strace (needs root, as CI has) ----

// What the importer may be told: Unavailable, never the path (the vault's errors may reach an API
// client through an import) and never a client number.
void ExpectUnavailableWithoutPathOrValue(const absl::Status& status, const std::string& path) {
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message().find(path), std::string::npos) << status;
  EXPECT_EQ(status.message().find("K-7"), std::string::npos) << status;
}

TEST_F(SqliteIdentityVaultTest, AFailedFsyncFailsTheCommitAndTheVaultTakesNoMoreWrites) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put(Entry(1)).ok());
  {
    verkenner::testing::SyscallFaultInjector failing_disk("fsync,fdatasync:error=EIO");
    ASSERT_TRUE(failing_disk.attached()) << failing_disk.error();
    ASSERT_TRUE(vault->BeginBatch().ok());
    ASSERT_TRUE(vault->Put(Entry(2)).ok());
    ExpectUnavailableWithoutPathOrValue(vault->CommitBatch(), path_);
    vault->AbortBatch();
  }
  // After a failed fsync the kernel may have dropped pages SQLite counts as written, so this
  // connection claims no more durable writes (fail-closed), also once the disk answers again.
  ExpectUnavailableWithoutPathOrValue(vault->BeginBatch(), path_);
  ExpectUnavailableWithoutPathOrValue(vault->Put(Entry(3)), path_);

  auto reader = IdentityVault::OpenReadOnly(path_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->Lookup(ProfileId(1))->has_value());
  EXPECT_FALSE((*reader)->Lookup(ProfileId(2))->has_value());
  EXPECT_FALSE((*reader)->Lookup(ProfileId(3))->has_value());

  vault.reset();  // opened again, as the next import run does
  vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  EXPECT_TRUE(vault->Put(Entry(2)).ok());
  EXPECT_EQ(*vault->Count(), 2);
}

TEST_F(SqliteIdentityVaultTest, AWriteOnAFullDiskFailsTheBatchWithNothingOfItKept) {
  std::unique_ptr<IdentityVault> vault = OpenVault();
  ASSERT_NE(vault, nullptr);
  ASSERT_TRUE(vault->Put(Entry(1)).ok());
  {
    // The first pwrite64 of the commit succeeds, the rest find the disk full: half a batch
    // reaches the file before SQLite gives up.
    verkenner::testing::SyscallFaultInjector full_disk("pwrite64:error=ENOSPC:when=2+");
    ASSERT_TRUE(full_disk.attached()) << full_disk.error();
    ASSERT_TRUE(vault->BeginBatch().ok());
    absl::Status status;
    for (int n = 100; n < 2100 && status.ok(); ++n) status = vault->Put(Entry(n));
    if (status.ok()) status = vault->CommitBatch();
    ExpectUnavailableWithoutPathOrValue(status, path_);
    EXPECT_NE(status.message().find("disk is full"), std::string::npos) << status;
    vault->AbortBatch();
  }
  EXPECT_EQ(*vault->Count(), 1);
  // A full disk is no reason to distrust the file: once there is space, the import goes on.
  ASSERT_TRUE(vault->BeginBatch().ok());
  ASSERT_TRUE(vault->Put(Entry(2)).ok());
  EXPECT_TRUE(vault->CommitBatch().ok());
  EXPECT_EQ(*vault->Count(), 2);
}

}  // namespace
}  // namespace verkenner::indexer
