#ifndef VERKENNER_INDEXER_IDENTITY_VAULT_H_
#define VERKENNER_INDEXER_IDENTITY_VAULT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/sql/connection.h"

namespace verkenner::indexer {

// One row of the vault: who is behind a pseudonymous profile.
struct VaultEntry {
  std::string profile_id;     // 24 lowercase hex characters (Pseudonymizer::ProfileId).
  std::string source;         // Municipality code (GMxxxx) or UWV.
  std::string client_number;  // The source's own number for the person; personal data.
};

// The identity vault maps a profile id (a keyed pseudonym) back to the source and client number
// it was made from. It is the only link from an anonymous profile to a person, so it never lives
// in the search index: the index can be copied to searchers and backed up freely, the vault
// cannot. The importer writes it; the WSP's audited identity look-up (and a source's own audited
// worklist) read it. Two homes, chosen by the target Open is given:
//
// - A file path: its own SQLite file (the embedded default, beside the index). The file is
//   owner-only (0600): Open creates it so and refuses an existing file that group or others may
//   access. It is a WAL database with synchronous=FULL, so a committed batch survives kill -9 and
//   power loss. Removed and replaced rows are overwritten (secure_delete), so a withdrawn
//   person's client number does not linger in free pages of the database file; old page images in
//   the -wal file last until they are overwritten or the last instance closes the vault.
// - A postgresql:// URI (libpq's, several hosts included): the schema `vault` of that database,
//   usually the service store's, so that every instance of a cluster resolves identities. The
//   schema is closed to PUBLIC; a batch is one transaction, acknowledged only when the database
//   (with synchronous_standby_names: its synchronous standby too) has it. PostgreSQL does not
//   overwrite removed rows: a removed client number stays in the table's file until its space is
//   reused or VACUUM FULL rewrites the table, and in WAL segments and base backups until they are
//   recycled (docs/DEPLOYMENT.md).
//
// Errors never contain a profile id, source or client number: only the operation, the database's
// result code and its generic description, and the file path or the URI without credentials.
// Codes: InvalidArgument for a malformed entry (naming the field), FailedPrecondition for batch
// calls out of order, writes to a read-only vault, a file or database that is not a vault or a
// schema newer than this code, PermissionDenied for file modes, NotFound for a missing vault file
// opened read-only, Unavailable when another writer holds the lock past the busy timeout, for a
// full disk (base::DiskFullError), an I/O error or a lost database connection, DataLoss for a
// corrupt file or one that is not an SQLite database, Internal otherwise. After an I/O error the
// instance refuses every further write with Unavailable (fail-closed: a failed fsync may have lost
// pages SQLite counts as written), after a lost connection every call; broken() says so: open the
// vault again.
//
// Not thread-safe: one instance belongs to one thread (the importing thread, or one service
// worker). Several instances, also in several processes, may open the same vault; SQLite's locking
// lets one write while the others read, PostgreSQL lets several write.
class IdentityVault {
 public:
  // The schema this code writes. SQLite: stored as PRAGMA user_version; opening for writing
  // migrates older versions (1 had an index on source that nothing read). PostgreSQL: stored in
  // vault.schema_version, versions counted apart from SQLite's.
  static constexpr int kSchemaVersion = 2;
  static constexpr int kPostgresSchemaVersion = 1;

  // Opens the vault at `target` (a file path or a postgresql:// URI) for reading and writing,
  // creating the file (mode 0600) or the schema if needed. Errors: PermissionDenied if the file
  // exists with any group or other permission bits, or cannot be written; FailedPrecondition if
  // the file or schema belongs to another application or has a schema version newer than this
  // code's; DataLoss if the file is not an SQLite database; Unavailable if the database cannot be
  // reached.
  static absl::StatusOr<std::unique_ptr<IdentityVault>> Open(const std::string& target);

  // Opens an existing vault for look-ups only (the service's side). Writes then fail with
  // FailedPrecondition. Errors as for Open, plus NotFound if the file does not exist and
  // FailedPrecondition if it has no schema yet.
  static absl::StatusOr<std::unique_ptr<IdentityVault>> OpenReadOnly(const std::string& target);

  IdentityVault(const IdentityVault&) = delete;
  IdentityVault& operator=(const IdentityVault&) = delete;

  // Rolls back an open batch and closes the file or connection.
  virtual ~IdentityVault() = default;

  // Starts a batch: the writes until CommitBatch become durable together or not at all.
  // FailedPrecondition if a batch is already open.
  virtual absl::Status BeginBatch() = 0;
  // Commits the open batch; when OK comes back the batch is durable. FailedPrecondition if no
  // batch is open. On another error the batch may still be open: call AbortBatch.
  virtual absl::Status CommitBatch() = 0;
  // Discards the open batch, if any. Never fails in a way the caller could act on.
  virtual void AbortBatch() = 0;
  virtual bool InBatch() const = 0;

  // Inserts the entry, or replaces the one with the same profile id. Outside a batch every call is
  // its own durable transaction (slow); the importer calls it inside batches.
  virtual absl::Status Put(const VaultEntry& entry) = 0;
  // Removes the entry for `profile_id`; removing an absent one is not an error.
  virtual absl::Status Remove(const std::string& profile_id) = 0;
  // The entry for `profile_id`, or nullopt if there is none. Inside a batch, what is committed
  // (PostgreSQL) or what the batch wrote so far (SQLite); callers do not look up inside batches.
  virtual absl::StatusOr<std::optional<VaultEntry>> Lookup(const std::string& profile_id) = 0;
  // The number of entries (a full scan; for reports and tests, not for hot paths).
  virtual absl::StatusOr<int64_t> Count() = 0;
  // Calls `entry` with every entry, by profile id (the pseudonym key's rotation reads them all).
  // Outside a batch.
  virtual absl::Status ForEach(const std::function<void(const VaultEntry&)>& entry) = 0;
  // Whether this instance refuses every further call (after an I/O error or a lost connection):
  // a long-lived reader opens the vault again.
  virtual bool broken() const = 0;

 protected:
  IdentityVault() = default;

  // ForEach on `db` with `select`, which reads profile_id, source, client_number.
  static absl::Status ForEachEntry(sql::Connection& db, const char* select,
                                   const std::function<void(const VaultEntry&)>& entry);
  // InvalidArgument naming the field if `entry` cannot be stored; never quoting a value.
  static absl::Status CheckEntry(const VaultEntry& entry);
  // InvalidArgument unless `profile_id` is 24 lowercase hexadecimal characters.
  static absl::Status CheckProfileId(const std::string& profile_id);
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_IDENTITY_VAULT_H_
