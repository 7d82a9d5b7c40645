#ifndef VERKENNER_SERVICE_RPC_WORKLIST_H_
#define VERKENNER_SERVICE_RPC_WORKLIST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/search_types.h"
#include "indexer/identity_vault.h"
#include "verkenner/v1/profile_import.pb.h"

// The worklist at the source (ProfileImportService.ListWorklist and ExportWorklist): a source's
// clients whose profiles miss core fields or whose availability is not recently confirmed, by
// client number, which only the source itself may get.
namespace verkenner::service {

// The entries of `profiles` (Searcher::WorklistOfSource) with their client numbers from `vault`,
// ordered by client number. A profile the vault no longer links (withdrawn meanwhile) is left
// out. Errors: the vault's.
absl::StatusOr<std::vector<v1::WorklistEntry>> WorklistEntries(
    const std::vector<engine::CandidateMatch>& profiles, indexer::IdentityVault& vault);

// The entries as a spreadsheet CSV file (spreadsheet_csv.h), with a header row:
// klantnummer;ontbreekt;beschikbaarheid_bevestigd_op;niet_recent_bevestigd.
std::string WorklistCsv(const std::vector<v1::WorklistEntry>& entries);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_WORKLIST_H_
