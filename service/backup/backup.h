#ifndef VERKENNER_SERVICE_BACKUP_BACKUP_H_
#define VERKENNER_SERVICE_BACKUP_BACKUP_H_

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/refdata/reference_data.h"

namespace verkenner::service {

// The state of one Verkenner installation that belongs together: the store, the identity vault,
// the index and the pseudonym key (the store and the vault refer to profiles by pseudonyms the key
// made; the index holds the profiles the vault links to people). Paths as the programs' flags
// name them: --store, --vault, --index, --key_file.
struct InstallationState {
  std::string store;     // an SQLite file or a postgresql:// URI
  std::string vault;     // an SQLite file, or with a PostgreSQL store that store's database
  std::string index;     // the index directory
  std::string key_file;  // the pseudonym key
};

// The files of a backup set in its directory.
inline constexpr char kBackupStoreFile[] = "store.sqlite";
inline constexpr char kBackupStoreDump[] = "store.pgdump";  // PostgreSQL: store and vault
inline constexpr char kBackupVaultFile[] = "vault.sqlite";
inline constexpr char kBackupIndexDirectory[] = "index";
inline constexpr char kBackupKeyFile[] = "pseudonym.key";
inline constexpr char kBackupManifest[] = "MANIFEST";

// Writes a consistent copy of `live` into `to`, a directory that must not exist yet, while the
// server keeps running:
//
// 1. It takes the index's write lock (waiting up to `wait_for_index` for an import that holds
//    it), so that no import changes the index or the vault while the set is taken; searches,
//    contact requests and every other call go on.
// 2. The store: one committed state (SQLite: VACUUM INTO; PostgreSQL: pg_dump, whose snapshot
//    holds the vault's schema too), taken after the lock, so every call the store acknowledged
//    before the backup began is in it.
// 3. The index directory (every generation, without Xapian's lock files and published/, which an
//    index writer publishes anew for its replicas).
// 4. The vault, one committed state; the key; then MANIFEST, last, so that a set without it is
//    known to be incomplete. Every file is owner-only, like the originals.
//
// Errors: FailedPrecondition when `to` exists, or the vault is in another database than a
// PostgreSQL store's; Aborted when the index
// stayed locked for `wait_for_index`; the copy's own errors otherwise (`to` is then removed).
absl::Status WriteBackup(const InstallationState& live, const std::filesystem::path& to,
                         std::shared_ptr<const engine::ReferenceData> reference_data,
                         absl::Duration wait_for_index);

// Puts the backup set in `from` in place at `target`'s paths, none of which may exist yet (a
// restore never overwrites: move the damaged state aside first); a PostgreSQL store goes into
// an empty database with pg_restore, the vault with it. FailedPrecondition when the set has no
// MANIFEST (incomplete), a target exists, or the store's kind differs from the set's.
absl::Status RestoreBackup(const std::filesystem::path& from, const InstallationState& target);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_BACKUP_BACKUP_H_
