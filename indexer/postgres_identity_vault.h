#ifndef VERKENNER_INDEXER_POSTGRES_IDENTITY_VAULT_H_
#define VERKENNER_INDEXER_POSTGRES_IDENTITY_VAULT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "indexer/identity_vault.h"

namespace verkenner::indexer {

// The identity vault in the schema `vault` of the PostgreSQL database `conninfo` names (a libpq
// URI), creating the schema unless `read_only`. Use IdentityVault::Open, which chooses by target.
absl::StatusOr<std::unique_ptr<IdentityVault>> OpenPostgresIdentityVault(
    const std::string& conninfo, bool read_only);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_POSTGRES_IDENTITY_VAULT_H_
