#ifndef VERKENNER_INDEXER_IMPORT_JOB_H_
#define VERKENNER_INDEXER_IMPORT_JOB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/disclosure_control.h"
#include "engine/refdata/reference_data.h"
#include "indexer/identity_vault.h"
#include "indexer/importer.h"
#include "indexer/index_publication.h"
#include "indexer/index_writer.h"
#include "indexer/profile_anonymizer.h"
#include "indexer/pseudonymizer.h"

namespace verkenner::indexer {

// The identity vault's file when none is named: INDEX.vault beside the index directory (a
// trailing '/' of the directory is ignored), outside the index so that the index can be copied
// or served without the one link back to persons.
std::string DefaultVaultPath(std::string_view index_directory);

// One run of the import pipeline, the same for the command line (verkenner-index) and the
// service's import RPC, so the two cannot drift: open the index writer and the identity vault,
// import one or more files or record streams through the Importer, then the upkeep every import
// needs before searchers see it (Finish: purge profiles whose retention ended, count the
// disclosure-control groups, and compact when asked).
//
// Usage: construct, Open(), any number of Import*(), Finish(). When a step fails, step() names
// it, so a caller can say what failed (the command line) or map it to its own error (the
// service). Owns the writer and the vault it opens; they close when the job is destroyed, so
// another process may write the index again. Not thread-safe: one thread drives a job.
class ImportJob {
 public:
  struct Options {
    std::string index_path;  // created if absent
    std::string vault_path;  // empty: DefaultVaultPath(index_path)
    int shards_if_new = 0;   // shard count of a new index; 0: one per core
    // How long Open() keeps trying while another writer (verkenner-index, another job) holds
    // the index: zero fails at once.
    absl::Duration writer_wait = absl::ZeroDuration();
    RetentionRule retention;
    int64_t today_day = 0;  // days since 1970-01-01: retention and the sweep
    int disclosure_k = engine::kDefaultMinimumGroupSize;
    // Finish() rewrites the index with full blocks: for quiet hours (the command line), not for
    // an import a client waits on.
    bool compact = false;
    // IndexWriter::Options::commit_guard: the writer lease's fence.
    std::function<absl::Status()> commit_guard;
    // Finish() publishes the state for followers (indexer/index_publication.h) when set.
    std::optional<PublishOptions> publish;
  };

  // The steps of a job, in order.
  enum class Step {
    kOpenIndex,
    kOpenVault,
    kImport,
    kSweep,
    kDisclosureControl,
    kCompaction,
    kPublish
  };

  // What Finish() did, step by step: a step that did not run (it failed, or one before it did,
  // or compaction was not asked for) is empty.
  struct Upkeep {
    std::optional<int64_t> expired_purged;
    std::optional<engine::DisclosureGroups> disclosure;
    std::optional<IndexWriter::CompactionResult> compaction;
    std::optional<Publication> publication;
  };

  ImportJob(std::shared_ptr<const engine::ReferenceData> reference_data,
            std::shared_ptr<const Pseudonymizer> pseudonymizer, Options options);

  // Opens the index writer, then the identity vault. Errors: IndexWriter::Open's (after
  // Options::writer_wait), IdentityVault::Open's; step() says which.
  absl::Status Open();
  // The Importer's, on the opened index and vault. Importer::Options::today_day is the job's.
  absl::StatusOr<ImportReport> ImportFile(const std::string& path, Importer::Options options);
  absl::StatusOr<ImportReport> ImportRecords(RecordSource& source, const std::string& position_key,
                                             Importer::Options options);
  // Purges expired profiles, updates the disclosure allow-list and, if asked, compacts and
  // publishes. Returns
  // the first error (step() names it); `upkeep` holds what the steps before it did.
  absl::Status Finish(Upkeep& upkeep);

  // The step running now or, after an error, the step that failed.
  Step step() const { return step_; }
  // The open index (after Open() succeeded), for what a caller reports beyond the job's steps.
  IndexWriter& writer() { return *writer_; }
  const std::string& vault_path() const { return options_.vault_path; }

 private:
  absl::StatusOr<std::unique_ptr<IndexWriter>> OpenWriter();

  std::shared_ptr<const engine::ReferenceData> reference_data_;
  std::shared_ptr<const Pseudonymizer> pseudonymizer_;
  Options options_;
  Step step_ = Step::kOpenIndex;
  std::unique_ptr<IndexWriter> writer_;
  std::unique_ptr<IdentityVault> vault_;
  std::unique_ptr<Importer> importer_;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_IMPORT_JOB_H_
