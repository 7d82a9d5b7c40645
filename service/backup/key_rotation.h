#ifndef VERKENNER_SERVICE_BACKUP_KEY_ROTATION_H_
#define VERKENNER_SERVICE_BACKUP_KEY_ROTATION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"
#include "service/backup/backup.h"

namespace verkenner::service {

// What a rotation of the pseudonym key changed.
struct KeyRotation {
  int64_t profiles = 0;       // the vault's entries: every profile with a person behind it
  int64_t index_moved = 0;    // documents that took their new id (0 on a second run)
  int64_t store_rows = 0;     // store rows that named an old id
  int64_t vault_renamed = 0;  // vault entries that took their new id
};

// Replaces the pseudonym key of `installation` (whose key_file is the key in use) by the key in
// `new_key_file`: every profile id, old = HMAC(old key, source, client number), becomes new =
// HMAC(new key, ...), in the index (the documents move to their new ids' shards), the store
// (KeyRotation::store_rows: RenameProfileIds) and the vault, the people taken from the vault.
// Afterwards the new key is the installation's: put it where --key_file points. Every server must
// be stopped (the store and the index change under it), and a backup taken first.
//
// Each step is idempotent, so a run that breaks off is completed by running it again with the
// same keys. Errors: FailedPrecondition when the two keys are the same, or a vault entry's id is
// made with neither key (the vault belongs to another key); the index's (locked by a running
// import: stop the servers), the store's and the vault's otherwise.
absl::StatusOr<KeyRotation> RotatePseudonymKey(
    const InstallationState& installation, const std::string& new_key_file,
    std::shared_ptr<const engine::ReferenceData> reference_data);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_BACKUP_KEY_ROTATION_H_
