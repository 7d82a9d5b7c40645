#ifndef VERKENNER_INDEXER_RETENTION_SWEEP_H_
#define VERKENNER_INDEXER_RETENTION_SWEEP_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "indexer/identity_vault.h"
#include "indexer/index_writer.h"

namespace verkenner::indexer {

// Purges every profile whose retention ended before `today_day` (days since 1970-01-01) from the
// index and, if given, the identity vault, in one batch. Searchers never serve such profiles
// anyway (they filter on the same value); the sweep makes the data itself go away, as the
// doelgroepregister's rule requires. Returns the number purged.
absl::StatusOr<int64_t> SweepExpiredProfiles(IndexWriter& writer, IdentityVault* vault,
                                             int64_t today_day);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_RETENTION_SWEEP_H_
