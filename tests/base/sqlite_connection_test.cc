// The SQLite connection of the store and the identity vault on its own: owner-only files, how
// SQLite results become statuses, what a connection is configured to do, and fail-closed after an
// I/O error. The disk faults themselves (a full tmpfs, a failing fsync) are tested through the
// store and the vault, which own the transactions.
#include "base/sqlite/sqlite_connection.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/disk_space.h"

namespace verkenner::sqlite {
namespace {

class SqliteConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = std::filesystem::temp_directory_path() / "verkenner-sqlite-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    path_ = directory_ / "data.db";
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::unique_ptr<SqliteConnection> OpenOrDie(const SqliteConnection::Options& options) {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
        SqliteConnection::Open("test file", path_, options);
    EXPECT_TRUE(connection.ok()) << connection.status();
    return connection.ok() ? std::move(*connection) : nullptr;
  }

  static std::string JournalMode(SqliteConnection& connection) {
    absl::StatusOr<verkenner::sql::Statement> statement = connection.Prepare("PRAGMA journal_mode");
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok() || !statement->Step().value_or(false)) return "";
    return statement->Text(0);
  }

  std::filesystem::path directory_;
  std::string path_;
};

TEST(SqliteStatusTest, MapsEachKindOfResultToTheStatusItsCallerCanActOn) {
  // Grouped by what the caller can do: retry later, fix the file or its mode, restore a backup.
  struct Case {
    absl::StatusCode expected;
    std::vector<int> codes;  // primary and extended result codes
  };
  const Case cases[] = {
      {absl::StatusCode::kUnavailable,
       {SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_IOERR_FSYNC}},
      {absl::StatusCode::kFailedPrecondition, {SQLITE_READONLY, SQLITE_CANTOPEN}},
      {absl::StatusCode::kPermissionDenied, {SQLITE_PERM, SQLITE_AUTH}},
      {absl::StatusCode::kDataLoss, {SQLITE_CORRUPT, SQLITE_NOTADB}},
      {absl::StatusCode::kInternal, {SQLITE_ERROR, SQLITE_CONSTRAINT_UNIQUE, SQLITE_MISMATCH}},
  };
  for (const Case& test : cases) {
    for (const int code : test.codes) {
      const absl::Status status = SqliteStatus("store", code, "commit");
      EXPECT_EQ(status.code(), test.expected) << code << ": " << status;
      EXPECT_FALSE(base::IsDiskFull(status)) << status;
      // What the file is and what failed, for the operator; never a path.
      EXPECT_NE(status.message().find("store: commit failed"), absl::string_view::npos) << status;
      EXPECT_NE(status.message().find(sqlite3_errstr(code)), absl::string_view::npos) << status;
    }
  }
  EXPECT_NE(SqliteStatus("store", SQLITE_IOERR_WRITE, "commit").message().find("until a restart"),
            absl::string_view::npos);
}

TEST(SqliteStatusTest, AFullDiskIsTheOneDiskFullStatus) {
  const absl::Status status = SqliteStatus("identity vault", SQLITE_FULL, "put");
  EXPECT_TRUE(base::IsDiskFull(status)) << status;
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("identity vault"), absl::string_view::npos) << status;
}

TEST(SqliteStatusTest, OnlyAnIoErrorLeavesAConnectionUntrusted) {
  EXPECT_TRUE(LeavesConnectionUntrusted(SQLITE_IOERR));
  EXPECT_TRUE(LeavesConnectionUntrusted(SQLITE_IOERR_FSYNC));
  EXPECT_TRUE(LeavesConnectionUntrusted(SQLITE_IOERR_WRITE));
  EXPECT_FALSE(LeavesConnectionUntrusted(SQLITE_BUSY));
  EXPECT_FALSE(LeavesConnectionUntrusted(SQLITE_FULL));
  EXPECT_FALSE(LeavesConnectionUntrusted(SQLITE_CORRUPT));
}

TEST_F(SqliteConnectionTest, AWriterCreatesAnOwnerOnlyWalFileWithForeignKeys) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> opened =
      SqliteConnection::Open("test file", path_, SqliteConnection::Mode::kReadWrite);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteConnection* connection = opened->get();
  struct stat info {};
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(JournalMode(*connection), "wal");
  EXPECT_EQ(connection->QueryInteger("PRAGMA foreign_keys").value_or(-1), 1);
  EXPECT_EQ(connection->QueryInteger("PRAGMA synchronous").value_or(-1), 2);  // FULL
}

TEST_F(SqliteConnectionTest, OptionsLeaveForeignKeysOffAndTheJournalToTheCaller) {
  std::unique_ptr<SqliteConnection> connection =
      OpenOrDie({.foreign_keys = false, .wal_on_open = false});
  ASSERT_NE(connection, nullptr);
  EXPECT_EQ(connection->QueryInteger("PRAGMA foreign_keys").value_or(-1), 0);
  EXPECT_EQ(JournalMode(*connection), "delete");
  ASSERT_TRUE(connection->EnableWal().ok());
  EXPECT_EQ(JournalMode(*connection), "wal");
}

TEST_F(SqliteConnectionTest, NothingInTheFileRunsCode) {
  std::unique_ptr<SqliteConnection> connection = OpenOrDie({});
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(
      connection->Execute("CREATE TABLE t (x INTEGER); CREATE TABLE copy (x INTEGER)").ok());
  // Triggers and views may be defined but never run, so that a tampered file copies nothing.
  ASSERT_TRUE(connection
                  ->Execute("CREATE TRIGGER leak AFTER INSERT ON t BEGIN "
                            "INSERT INTO copy VALUES (new.x); END")
                  .ok());
  ASSERT_TRUE(connection->Execute("INSERT INTO t VALUES (1)").ok());
  EXPECT_EQ(connection->QueryInteger("SELECT count(*) FROM copy").value_or(-1), 0);
  ASSERT_TRUE(connection->Execute("CREATE VIEW v AS SELECT x FROM t").ok());
  EXPECT_FALSE(connection->Prepare("SELECT x FROM v").ok());
}

TEST_F(SqliteConnectionTest, AReaderOpensOnlyAnExistingFileAndWritesNothing) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> missing =
      SqliteConnection::Open("test file", path_, SqliteConnection::Mode::kReadOnly);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_FALSE(std::filesystem::exists(path_));

  {
    std::unique_ptr<SqliteConnection> writer = OpenOrDie({});
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Execute("CREATE TABLE t (x INTEGER)").ok());
  }
  std::unique_ptr<SqliteConnection> reader = OpenOrDie({.mode = SqliteConnection::Mode::kReadOnly});
  ASSERT_NE(reader, nullptr);
  EXPECT_FALSE(reader->Execute("INSERT INTO t VALUES (1)").ok());
  EXPECT_FALSE(reader->untrusted());
}

TEST_F(SqliteConnectionTest, RefusesAFileThatGroupOrOthersMayRead) {
  { std::ofstream(path_) << ""; }
  ASSERT_EQ(chmod(path_.c_str(), 0640), 0);
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
      SqliteConnection::Open("test file", path_, SqliteConnection::Mode::kReadWrite);
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(connection.status().message().find("chmod 600"), absl::string_view::npos)
      << connection.status();
}

TEST_F(SqliteConnectionTest, RefusesWhatIsNotARegularFile) {
  std::filesystem::create_directory(path_);
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
      SqliteConnection::Open("test file", path_, SqliteConnection::Mode::kReadWrite);
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kFailedPrecondition)
      << connection.status();
}

TEST_F(SqliteConnectionTest, AFileThatIsNotADatabaseIsDataLoss) {
  {
    std::ofstream file(path_);
    file << std::string(4096, 'x');
  }
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
      SqliteConnection::Open("test file", path_, SqliteConnection::Mode::kReadWrite);
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kDataLoss) << connection.status();
  EXPECT_EQ(connection.status().message().find(path_), std::string::npos) << connection.status();
}

TEST_F(SqliteConnectionTest, AfterAnIoErrorTheConnectionRefusesAllFurtherWork) {
  std::unique_ptr<SqliteConnection> connection = OpenOrDie({});
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(connection->Execute("CREATE TABLE t (x INTEGER)").ok());
  EXPECT_EQ(connection->Error(SQLITE_BUSY, "commit").code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(connection->untrusted());

  EXPECT_EQ(connection->Error(SQLITE_IOERR_FSYNC, "commit").code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(connection->untrusted());
  const absl::Status execute = connection->Execute("INSERT INTO t VALUES (1)");
  EXPECT_EQ(execute.code(), absl::StatusCode::kUnavailable) << execute;
  EXPECT_EQ(connection->Prepare("SELECT x FROM t").status().code(), absl::StatusCode::kUnavailable);

  // Nothing reached the file.
  std::unique_ptr<SqliteConnection> other = OpenOrDie({});
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->QueryInteger("SELECT count(*) FROM t").value_or(-1), 0);
}

TEST_F(SqliteConnectionTest, ExecuteNamesTheOperationInItsError) {
  std::unique_ptr<SqliteConnection> connection = OpenOrDie({});
  ASSERT_NE(connection, nullptr);
  const absl::Status status = connection->Execute("SELECT * FROM missing", "create schema");
  EXPECT_NE(status.message().find("test file: create schema failed"), absl::string_view::npos)
      << status;
}

}  // namespace
}  // namespace verkenner::sqlite
