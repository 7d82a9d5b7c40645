#ifndef VERKENNER_INDEXER_IDENTITY_VAULT_H_
#define VERKENNER_INDEXER_IDENTITY_VAULT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// The SQLite handles stay opaque so that users of the vault do not include sqlite3.h.
struct sqlite3_stmt;

namespace verkenner::sqlite {
class SqliteConnection;
}  // namespace verkenner::sqlite

namespace verkenner::indexer {

// One row of the vault: who is behind a pseudonymous profile.
struct VaultEntry {
  std::string profile_id;     // 24 lowercase hex characters (Pseudonymizer::ProfileId).
  std::string source;         // Municipality code (GMxxxx) or UWV.
  std::string client_number;  // The source's own number for the person; personal data.
};

// The identity vault maps a profile id (a keyed pseudonym) back to the source and client number
// it was made from. It is the only link from an anonymous profile to a person, so it lives in its
// own SQLite file, never in the search index: the index can be copied to searchers and backed up
// freely, the vault cannot. The importer writes it; the WSP's audited identity look-up reads it.
//
// The file is owner-only (0600): Open creates it so and refuses an existing file that group or
// others may access. It is a WAL database with synchronous=FULL, so a committed batch survives
// kill -9 and power loss. Removed and replaced rows are overwritten (secure_delete), so a
// withdrawn person's client number does not linger in free pages of the database file; old page
// images in the -wal file last until they are overwritten or the last instance closes the vault.
//
// Errors never contain a profile id, source or client number: only the operation, the SQLite
// result code and its generic description, and (when opening) the file path. Codes:
// InvalidArgument for a malformed entry (naming the field), FailedPrecondition for batch calls out
// of order, writes to a read-only vault, a file that is not a vault or a schema newer than this
// code, PermissionDenied for file modes, NotFound for a missing vault opened read-only,
// Unavailable when another writer holds the lock past the busy timeout, for a full disk
// (base::DiskFullError) and for an I/O error, DataLoss for a corrupt file or one that is not an
// SQLite database, Internal otherwise. After an I/O error the instance refuses every further
// write with Unavailable (fail-closed: a failed fsync may have lost pages SQLite counts as
// written); open the vault again to write.
//
// Not thread-safe: one instance belongs to one thread (the importing thread, or one service
// worker). Several instances, also in several processes, may open the same file; SQLite's locking
// lets one write while the others read.
class IdentityVault {
 public:
  // The schema this code writes; stored as PRAGMA user_version. Opening for writing migrates
  // older versions: 1 had an index on source that nothing read.
  static constexpr int kSchemaVersion = 2;

  // Opens the vault at `path` for reading and writing, creating the file (mode 0600) and the
  // schema if needed. Errors: PermissionDenied if the file exists with any group or other
  // permission bits, or cannot be written; FailedPrecondition if the file belongs to another
  // application or has a schema version newer than kSchemaVersion; DataLoss if it is not an
  // SQLite database.
  static absl::StatusOr<std::unique_ptr<IdentityVault>> Open(const std::string& path);

  // Opens an existing vault for look-ups only (the service's side). Writes then fail with
  // FailedPrecondition. Errors as for Open, plus NotFound if the file does not exist and
  // FailedPrecondition if it has no schema yet.
  static absl::StatusOr<std::unique_ptr<IdentityVault>> OpenReadOnly(const std::string& path);

  IdentityVault(const IdentityVault&) = delete;
  IdentityVault& operator=(const IdentityVault&) = delete;

  // Rolls back an open batch and closes the file.
  ~IdentityVault();

  // Starts a write transaction (BEGIN IMMEDIATE: takes the write lock now, so a batch never fails
  // half-way because another writer got in first). FailedPrecondition if a batch is already open.
  absl::Status BeginBatch();
  // Commits the open batch; when OK comes back the batch is on disk. FailedPrecondition if no
  // batch is open. On another error the batch may still be open: call AbortBatch.
  absl::Status CommitBatch();
  // Discards the open batch, if any. Never fails in a way the caller could act on.
  void AbortBatch();
  bool InBatch() const;

  // Inserts the entry, or replaces the one with the same profile id. Outside a batch every call is
  // its own durable transaction (one fsync each: slow); the importer calls it inside batches.
  absl::Status Put(const VaultEntry& entry);
  // Removes the entry for `profile_id`; removing an absent one is not an error.
  absl::Status Remove(const std::string& profile_id);
  // The entry for `profile_id`, or nullopt if there is none.
  absl::StatusOr<std::optional<VaultEntry>> Lookup(const std::string& profile_id);
  // The number of entries (a full scan; for reports and tests, not for hot paths).
  absl::StatusOr<int64_t> Count();

 private:
  enum class Mode { kReadWrite, kReadOnly };

  static absl::StatusOr<std::unique_ptr<IdentityVault>> OpenWithMode(const std::string& path,
                                                                     Mode mode);
  IdentityVault(std::string path, std::unique_ptr<sqlite::SqliteConnection> connection, Mode mode);

  absl::Status Configure();
  absl::Status CheckOrCreateSchema();
  absl::Status PrepareStatements();
  absl::Status CheckWritable() const;

  const std::string path_;
  // Its Error() maps SQLite results (never quoting sqlite3_errmsg, which may hold data from the
  // statement) and marks it untrusted after an I/O error: from then on every write is refused, so
  // that no later commit on it claims durability the disk may not have given.
  const std::unique_ptr<sqlite::SqliteConnection> connection_;
  const Mode mode_;
  // Prepared once and reused: preparing costs more than executing these one-row statements.
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
  sqlite3_stmt* lookup_ = nullptr;
  sqlite3_stmt* count_ = nullptr;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_IDENTITY_VAULT_H_
