#include "service/backup/backup.h"

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
  if (absl::Status status = CopySqlite("store", live.store, to / kBackupStoreFile); !status.ok()) {
    return status;
  }
  if (absl::Status status = CopyTree(live.index, to / kBackupIndexDirectory, {"published"});
      !status.ok()) {
    return status;
  }
  if (absl::Status status = CopySqlite("identity vault", live.vault, to / kBackupVaultFile);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = CopyFile(live.key_file, to / kBackupKeyFile); !status.ok()) {
    return status;
  }
  lock->reset();
  std::ofstream manifest(to / kBackupManifest);
  manifest << "verkenner backup\ncreated " << absl::FormatTime(absl::Now(), absl::UTCTimeZone())
           << "\n"
           << kBackupStoreFile << "\n"
           << kBackupIndexDirectory << "/\n"
           << kBackupVaultFile << "\n"
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
  if (postgres::IsPostgresTarget(live.store) || postgres::IsPostgresTarget(live.vault)) {
    return absl::FailedPreconditionError(
        "a store or vault in PostgreSQL is backed up with pg_dump (docs/OPERATIONS.md)");
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
  for (const std::string& path : {target.store, target.vault, target.index, target.key_file}) {
    if (fs::exists(path, error)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " exists; a restore never overwrites: move it aside first"));
    }
  }
  if (absl::Status status = CopyFile(from / kBackupStoreFile, target.store); !status.ok()) {
    return status;
  }
  if (absl::Status status = CopyFile(from / kBackupVaultFile, target.vault); !status.ok()) {
    return status;
  }
  if (absl::Status status = CopyFile(from / kBackupKeyFile, target.key_file); !status.ok()) {
    return status;
  }
  return CopyTree(from / kBackupIndexDirectory, target.index);
}

}  // namespace verkenner::service
