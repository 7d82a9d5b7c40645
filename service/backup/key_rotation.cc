#include "service/backup/key_rotation.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "indexer/identity_vault.h"
#include "indexer/index_writer.h"
#include "indexer/pseudonymizer.h"
#include "service/store/records.h"
#include "service/store/store.h"

namespace verkenner::service {
namespace {

// The renames the vault calls for: each person's old id and new id, and the entries the vault
// still holds under the old one. FailedPrecondition for an entry under neither id.
struct Renames {
  std::map<std::string, std::string> ids;  // old id -> new id, every person
  std::vector<indexer::VaultEntry> to_rename;
};

absl::StatusOr<Renames> RenamesOf(indexer::IdentityVault& vault,
                                  const indexer::Pseudonymizer& old_key,
                                  const indexer::Pseudonymizer& new_key) {
  Renames renames;
  bool foreign = false;
  absl::Status read = vault.ForEach([&](const indexer::VaultEntry& entry) {
    const std::string from = old_key.ProfileId(entry.source, entry.client_number);
    const std::string to = new_key.ProfileId(entry.source, entry.client_number);
    if (entry.profile_id != from && entry.profile_id != to) foreign = true;
    renames.ids.emplace(from, to);
    if (entry.profile_id == from) renames.to_rename.push_back(entry);
  });
  if (!read.ok()) return read;
  if (foreign) {
    return absl::FailedPreconditionError(
        "the vault holds ids made with neither key: --key_file is not the key this installation "
        "uses");
  }
  return renames;
}

absl::StatusOr<int64_t> RenameInVault(indexer::IdentityVault& vault, const Renames& renames) {
  if (absl::Status status = vault.BeginBatch(); !status.ok()) return status;
  for (indexer::VaultEntry entry : renames.to_rename) {
    const std::string from = entry.profile_id;
    entry.profile_id = renames.ids.at(from);
    absl::Status status = vault.Put(entry);
    if (status.ok()) status = vault.Remove(from);
    if (!status.ok()) {
      vault.AbortBatch();
      return status;
    }
  }
  if (absl::Status status = vault.CommitBatch(); !status.ok()) return status;
  return static_cast<int64_t>(renames.to_rename.size());
}

}  // namespace

absl::StatusOr<KeyRotation> RotatePseudonymKey(
    const InstallationState& installation, const std::string& new_key_file,
    std::shared_ptr<const engine::ReferenceData> reference_data) {
  auto old_key = indexer::Pseudonymizer::FromKeyFile(installation.key_file);
  if (!old_key.ok()) return old_key.status();
  auto new_key = indexer::Pseudonymizer::FromKeyFile(new_key_file);
  if (!new_key.ok()) return new_key.status();
  if ((*old_key)->ProfileId("UWV", "0") == (*new_key)->ProfileId("UWV", "0")) {
    return absl::FailedPreconditionError("--new_key_file holds the key in use");
  }
  auto vault = indexer::IdentityVault::Open(installation.vault);
  if (!vault.ok()) return vault.status();
  absl::StatusOr<Renames> renames = RenamesOf(**vault, **old_key, **new_key);
  if (!renames.ok()) return renames.status();
  KeyRotation done;
  done.profiles = static_cast<int64_t>(renames->ids.size());

  // The index first, then the store, then the vault: the vault says which person an id is, so
  // it changes last, and a run that breaks off finds every person again in the next.
  auto writer = indexer::IndexWriter::Open(installation.index, std::move(reference_data));
  if (!writer.ok()) return writer.status();
  const std::vector<std::pair<std::string, std::string>> pairs(renames->ids.begin(),
                                                               renames->ids.end());
  absl::StatusOr<int64_t> moved = (*writer)->RenameProfiles(pairs);
  if (!moved.ok()) return moved.status();
  done.index_moved = *moved;
  writer->reset();

  auto store = Store::Open(installation.store);
  if (!store.ok()) return store.status();
  absl::Status stored = (*store)->WriteAndWait([&](sql::Connection& db) -> absl::Status {
    absl::StatusOr<int64_t> rows = RenameProfileIds(db, renames->ids);
    if (!rows.ok()) return rows.status();
    done.store_rows = *rows;
    return absl::OkStatus();
  });
  if (!stored.ok()) return stored;

  absl::StatusOr<int64_t> renamed = RenameInVault(**vault, *renames);
  if (!renamed.ok()) return renamed.status();
  done.vault_renamed = *renamed;
  return done;
}

}  // namespace verkenner::service
