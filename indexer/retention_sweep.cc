#include "indexer/retention_sweep.h"

namespace verkenner::indexer {

absl::StatusOr<int64_t> SweepExpiredProfiles(IndexWriter& writer, IdentityVault* vault,
                                             int64_t today_day) {
  absl::StatusOr<std::vector<std::string>> expired = writer.ExpiredProfiles(today_day);
  if (!expired.ok()) return expired.status();
  if (expired->empty()) return 0;
  if (vault != nullptr) {
    if (absl::Status status = vault->BeginBatch(); !status.ok()) return status;
  }
  if (absl::Status status = writer.BeginBatch(); !status.ok()) {
    if (vault != nullptr) vault->AbortBatch();
    return status;
  }
  for (const std::string& profile_id : *expired) {
    absl::Status status = absl::OkStatus();
    if (vault != nullptr) status = vault->Remove(profile_id);
    if (status.ok()) status = writer.Withdraw(profile_id).status();
    if (!status.ok()) {
      writer.AbortBatch();
      if (vault != nullptr) vault->AbortBatch();
      return status;
    }
  }
  // Index first here: a profile gone from the index but still in the vault is harmless, the
  // reverse would leave an indexed profile nobody can resolve.
  if (absl::Status status = writer.CommitBatch(); !status.ok()) {
    if (vault != nullptr) vault->AbortBatch();
    return status;
  }
  if (vault != nullptr) {
    if (absl::Status status = vault->CommitBatch(); !status.ok()) return status;
  }
  return static_cast<int64_t>(expired->size());
}

}  // namespace verkenner::indexer
