#include "service/backup/backup.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/postgres/pg_connection.h"
#include "base/sqlite/sqlite_connection.h"
#include "indexer/index_writer.h"

namespace verkenner::service {
namespace {

namespace fs = std::filesystem;
using sqlite::SqliteConnection;

constexpr fs::perms kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;
constexpr fs::perms kOwnerOnlyDirectory = fs::perms::owner_all;

// Copies one committed state of the SQLite database at `from` (`what` in messages) to `to`.
absl::Status CopySqlite(std::string_view what, const std::string& from, const fs::path& to) {
  // A writer's connection: a read-only one opens VACUUM INTO's new file read-only too.
  auto db = SqliteConnection::Open(what, from, SqliteConnection::Mode::kReadWrite);
  if (!db.ok()) return db.status();
  return (*db)->CopyInto(to.string());
}

// Copies `from` to `to` (which must not exist), owner-only.
absl::Status CopyFile(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::copy_file(from, to, fs::copy_options::none, error);
  if (!error) fs::permissions(to, kOwnerOnly, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot copy ", from.string(), " to ", to.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

// Copies the tree at `from` to `to` (which must not exist): directories owner-only, files as
// CopyFile, leaving out Xapian's lock files and the top level's `skip` entries.
absl::Status CopyTree(const fs::path& from, const fs::path& to,
                      const std::vector<std::string>& skip = {}) {
  std::error_code error;
  fs::create_directory(to, error);
  if (!error) fs::permissions(to, kOwnerOnlyDirectory, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot create ", to.string()));
  for (const fs::directory_entry& entry : fs::directory_iterator(from, error)) {
    const std::string name = entry.path().filename().string();
    if (name == "flintlock" || std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    absl::Status copied = entry.is_directory() ? CopyTree(entry.path(), to / name)
                                               : CopyFile(entry.path(), to / name);
    if (!copied.ok()) return copied;
  }
  if (error) return absl::UnavailableError(absl::StrCat("cannot list ", from.string()));
  return absl::OkStatus();
}

// Runs PostgreSQL's `tool` (pg_dump, pg_restore) with `arguments`; its messages go to this
// program's stderr, for the operator. Unavailable when it cannot start or does not succeed.
absl::Status RunTool(const std::string& tool, const std::vector<std::string>& arguments) {
  std::vector<std::string> all = {tool};
  all.insert(all.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : all) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (const int error = posix_spawnp(&pid, tool.c_str(), nullptr, nullptr, argv.data(), environ);
      error != 0) {
    return absl::UnavailableError(absl::StrCat("cannot run ", tool, ": ", std::strerror(error),
                                               " (install postgresql-client)"));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::UnavailableError(absl::StrCat(tool, " failed (its messages are above)"));
  }
  return absl::OkStatus();
}

// The index's write lock, held by an IndexWriter, once an import that holds it has finished.
absl::StatusOr<std::unique_ptr<indexer::IndexWriter>> LockIndex(
    const std::string& index, std::shared_ptr<const engine::ReferenceData> reference_data,
    absl::Duration wait) {
  std::error_code error;
  if (!fs::is_directory(index, error)) {
    return absl::FailedPreconditionError(absl::StrCat("index ", index, " is not a directory"));
  }
  const absl::Time deadline = absl::Now() + wait;
  while (true) {
    auto writer = indexer::IndexWriter::Open(index, reference_data);
    if (writer.ok() || !absl::IsFailedPrecondition(writer.status()) ||
        writer.status().message().find("locked") == std::string_view::npos) {
      return writer;
    }
    if (absl::Now() >= deadline) {
      return absl::AbortedError(absl::StrCat("index ", index, " stayed locked by an import for ",
                                             absl::FormatDuration(wait), "; try again later"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

absl::Status WriteSet(const InstallationState& live, const fs::path& to,
                      std::shared_ptr<const engine::ReferenceData> reference_data,
                      absl::Duration wait_for_index) {
  auto lock = LockIndex(live.index, std::move(reference_data), wait_for_index);
  if (!lock.ok()) return lock.status();
  // PostgreSQL: one pg_dump of the store's database, in one snapshot, the vault's schema in it.
  const bool postgres = postgres::IsPostgresTarget(live.store);
  const absl::Status stored =
      postgres ? RunTool("pg_dump",
                         {"--format=custom", "--no-owner",
                          "--file=" + (to / kBackupStoreDump).string(), "--dbname=" + live.store})
               : CopySqlite("store", live.store, to / kBackupStoreFile);
  if (!stored.ok()) return stored;
  if (postgres) {
    std::error_code error;
    fs::permissions(to / kBackupStoreDump, kOwnerOnly, error);
  }
  if (absl::Status status = CopyTree(live.index, to / kBackupIndexDirectory, {"published"});
      !status.ok()) {
    return status;
  }
  if (!postgres) {
    if (absl::Status status = CopySqlite("identity vault", live.vault, to / kBackupVaultFile);
        !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = CopyFile(live.key_file, to / kBackupKeyFile); !status.ok()) {
    return status;
  }
  lock->reset();
  std::ofstream manifest(to / kBackupManifest);
  manifest << "verkenner backup\ncreated " << absl::FormatTime(absl::Now(), absl::UTCTimeZone())
           << "\n"
           << (postgres ? absl::StrCat(kBackupStoreDump, " (store and vault)")
                        : absl::StrCat(kBackupStoreFile, "\n", kBackupVaultFile))
           << "\n"
           << kBackupIndexDirectory << "/\n"
           << kBackupKeyFile << "\n";
  manifest.close();
  std::error_code error;
  fs::permissions(to / kBackupManifest, kOwnerOnly, error);
  if (!manifest || error) return absl::UnavailableError("cannot write the backup's MANIFEST");
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteBackup(const InstallationState& live, const fs::path& to,
                         std::shared_ptr<const engine::ReferenceData> reference_data,
                         absl::Duration wait_for_index) {
  // The set has one database of each kind: a PostgreSQL store holds the vault too.
  if (postgres::IsPostgresTarget(live.store) ? live.vault != live.store
                                             : postgres::IsPostgresTarget(live.vault)) {
    return absl::FailedPreconditionError(
        "backup takes the vault from the store's PostgreSQL database or from an SQLite file "
        "beside an SQLite store; back up another vault database with pg_dump yourself");
  }
  std::error_code error;
  if (fs::exists(to, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat(to.string(), " exists; a backup goes into a new directory"));
  }
  fs::create_directories(to, error);
  if (!error) fs::permissions(to, kOwnerOnlyDirectory, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot create ", to.string()));
  absl::Status written = WriteSet(live, to, std::move(reference_data), wait_for_index);
  if (!written.ok()) fs::remove_all(to, error);
  return written;
}

absl::Status RestoreBackup(const fs::path& from, const InstallationState& target) {
  std::error_code error;
  if (!fs::exists(from / kBackupManifest, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat(from.string(), " holds no complete backup (no ", kBackupManifest, ")"));
  }
  const bool postgres = fs::exists(from / kBackupStoreDump, error);
  if (postgres != postgres::IsPostgresTarget(target.store)) {
    return absl::FailedPreconditionError(
        postgres ? "the set holds a PostgreSQL store: restore it to a postgresql:// --store"
                 : "the set holds an SQLite store: restore it to a file --store");
  }
  std::vector<std::string> files = {target.index, target.key_file};
  if (!postgres) files.insert(files.end(), {target.store, target.vault});
  for (const std::string& path : files) {
    if (fs::exists(path, error)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " exists; a restore never overwrites: move it aside first"));
    }
  }
  // Into an empty database: pg_restore stops at the first table that exists already.
  const absl::Status stored =
      postgres ? RunTool("pg_restore", {"--no-owner", "--exit-on-error", "--dbname=" + target.store,
                                        (from / kBackupStoreDump).string()})
               : CopyFile(from / kBackupStoreFile, target.store);
  if (!stored.ok()) return stored;
  if (!postgres) {
    if (absl::Status status = CopyFile(from / kBackupVaultFile, target.vault); !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = CopyFile(from / kBackupKeyFile, target.key_file); !status.ok()) {
    return status;
  }
  return CopyTree(from / kBackupIndexDirectory, target.index);
}

}  // namespace verkenner::service
