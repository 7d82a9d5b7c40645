#ifndef VERKENNER_INDEXER_IMPORTER_H_
#define VERKENNER_INDEXER_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "indexer/identity_vault.h"
#include "indexer/index_writer.h"
#include "indexer/profile_anonymizer.h"
#include "indexer/profile_validator.h"
#include "indexer/source_reader.h"

namespace verkenner::indexer {

// A row that was not imported. Never holds the offending value.
struct RejectedRow {
  int64_t row = 0;  // CSV: data row number (1 = first row after the header); JSONL: line number
  std::string field;
  std::string reason;
  RejectionKind kind = RejectionKind::kBadFormat;
  AllowedValues allowed;
};

struct ImportProgress {
  int64_t rows_read = 0;
  int64_t bytes_read = 0;
  int64_t bytes_total = 0;  // 0 when unknown
};

// Per delivering source: accepted upserts and how many of them know each core field.
struct SourceCompleteness {
  int64_t profiles = 0;
  std::map<std::string, int64_t> known;  // core field name (schema::kKnown*) -> count
};

// What an import did, under the names of the API's v1::ImportReport (ToProtoReport copies them
// one to one). Every row received ends up in exactly one of: created, updated, deleted,
// unchanged, expired, rejected_rows.
struct ImportReport {
  int64_t received_rows = 0;
  int64_t created = 0;
  int64_t updated = 0;
  int64_t deleted = 0;  // delete rows that withdrew a profile
  // Upserts equal to the stored profile, and delete rows for profiles that were not in the index.
  int64_t unchanged = 0;
  int64_t expired = 0;  // registration past retention: not indexed (withdrawn if it was)
  int64_t rejected_rows = 0;
  // Diplomas, skills, work-experience entries and wishes of accepted upserts that were free text
  // which could carry personal data, and so were left out of the index (FilterShortText,
  // TextScrubber).
  int64_t free_text_left_out = 0;
  std::vector<RejectedRow> rejections;  // one per problem, so possibly more than rejected_rows
  // Full sync: profiles of the source that the file no longer holds, withdrawn at the end.
  int64_t withdrawn_absent = 0;
  // An earlier, interrupted run of the same file had committed every row up to here (some shards
  // further), and this run did not apply those rows again.
  int64_t resumed_after_row = 0;
  std::map<std::string, SourceCompleteness> completeness_by_source;

  int64_t accepted_rows() const { return created + updated + deleted + unchanged + expired; }
};

// Where an import's records come from: an import file (ImportFile reads it) or a stream of
// profiles (the service's import RPC). Next() is called from ImportRecords' calling thread only.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Fills `record` with the next record (row numbers counting from 1); false at the end.
  virtual bool Next(SourceRecord& record) = 0;
  // For progress: bytes read so far, and in all; 0 when unknown.
  virtual int64_t BytesRead() { return 0; }
  virtual int64_t BytesTotal() { return 0; }
  // After Next() returned false: OK when the source reached its end, else why it broke off
  // (a client that went away). Then the batches still open are dropped, no full-sync withdrawal
  // happens, and ImportRecords returns this status; batches committed before stay, and a run
  // with the same position key resumes after them.
  virtual absl::Status status() { return absl::OkStatus(); }
};

// Runs the import pipeline: read -> validate -> anonymise -> write, committing in batches.
//
// - The calling thread reads and parses the file and routes each row by its profile id to the
//   index shard that holds it (engine/index_layout.h); one worker thread per shard validates,
//   anonymises and writes. Rows of one client always meet in the same shard, in file order, so
//   the result does not depend on thread timing.
// - A bad row never blocks good rows; it goes to the report. A file-level problem (unreadable
//   file, bad header) fails the whole import before anything is written.
// - Each shard commits its own batches: one transaction of the identity vault (committed first,
//   so a vault entry exists for every indexed profile), then one of the shard. The shard's batch
//   records the shard's import position under a key derived from the file's SHA-256, so a run
//   killed at any point and started again on the same file resumes after each shard's last
//   committed row and ends with the index an uninterrupted run would have built.
// - A client (source, client number) appearing twice in one file: the first row counts, later
//   ones are rejected.
// - Full sync for one source: after the last row, that source's profiles absent from the file are
//   withdrawn. Rows of other sources are rejected. A file with no accepted row withdraws nothing
//   and fails, since that is far likelier a broken export than a source with no clients left.
//
// One ImportFile() at a time. Uses the IndexWriter and IdentityVault it is given (not owned; must
// outlive the importer; the vault may be null); the vault is used by one shard worker at a time.
class Importer {
 public:
  struct Options {
    SourceFileFormat format = SourceFileFormat::kAuto;  // kAuto: .jsonl/.json = JSONL, else CSV
    // Rows per committed batch, per shard. Each commit rewrites the B-tree blocks that the new
    // (random) profile-id terms landed in, so fewer, larger batches write less, but a shard holds
    // its whole batch in memory until the commit (index_writer.cc): 50,000 keeps peak memory
    // near 350 MB at a million profiles; 250,000 took 870 MB and was slower.
    int64_t batch_size = 50000;
    int64_t today_day = 0;         // days since 1970-01-01
    std::string full_sync_source;  // empty: incremental; else GMxxxx or UWV
    // Empty: rows of any source. Else rows of other sources are rejected (a full sync rejects
    // them anyway); an importer account imports its own source only.
    std::string only_source;
    std::function<void(const ImportProgress&)> on_progress;  // called from the calling thread
    // Called after each row is applied to the open batch (not for replayed rows), from the
    // row's shard worker thread. Crash tests use it to die at a chosen point.
    std::function<void(int64_t row)> after_row_applied;
    // Work out what the import would do, changing nothing: every batch is rolled back instead of
    // committed, the vault is not touched, and an interrupted earlier run is not resumed. The
    // report counts as the import's would (verkenner-index --check).
    bool dry_run = false;
  };

  Importer(std::shared_ptr<const engine::ReferenceData> reference_data,
           std::shared_ptr<const Pseudonymizer> pseudonymizer, RetentionRule retention,
           IndexWriter* writer, IdentityVault* vault);

  // Imports one file. Errors: NotFound (file), InvalidArgument (header, naming the column),
  // FailedPrecondition (full sync without accepted rows), or the stores' errors.
  absl::StatusOr<ImportReport> ImportFile(const std::string& path, const Options& options);
  // Imports the records of `source`. `position_key` names the import in the shards' metadata
  // (ImportPositionKey): a run with the key of an interrupted one resumes it, as ImportFile
  // resumes a file by its contents. Errors as ImportFile's, without the file's.
  absl::StatusOr<ImportReport> ImportRecords(RecordSource& source, const std::string& position_key,
                                             const Options& options);

 private:
  struct ShardRun;

  // The phases of ImportRecords: restore each shard's committed position (a resumed import);
  // read, parse and route the records to the shard workers (this thread); after the workers,
  // merge the shards' reports and commit their last batches (with a full sync's withdrawals).
  absl::Status RestorePositions(std::vector<std::unique_ptr<ShardRun>>& shards,
                                ImportReport& report);
  void ReadAndRoute(RecordSource& source, std::vector<std::unique_ptr<ShardRun>>& shards,
                    const Options& options, ImportReport& report);
  absl::Status FinishShards(RecordSource& source, std::vector<std::unique_ptr<ShardRun>>& shards,
                            const Options& options, ImportReport& report);
  // The row resolved, if it is for this import, valid and the client's first in the import;
  // otherwise nullopt, with the rejection in the shard's report.
  std::optional<ValidatedProfile> CheckRow(const v1::SourceProfile& profile,
                                           const std::string& profile_id, int64_t row,
                                           ShardRun& run);
  // Handles one parsed row in its shard: validate, anonymise, apply (unless `replay`, for rows
  // an earlier run committed, which are only checked so the report and the full-sync set come
  // out the same).
  absl::Status HandleRow(const v1::SourceProfile& profile, const std::string& profile_id,
                         int64_t row, bool replay, ShardRun& run);
  // Reports a row the parser refused (`error`, `problem`) in its shard; its client, when the
  // key could be read, counts as mentioned for a full sync.
  void RejectUnparsedRow(const absl::Status& error, RejectionKind problem,
                         const std::string& profile_id, int64_t row, ShardRun& run);
  // Runs one shard's rows until its queue closes.
  void RunShard(ShardRun& run);
  // Commits the shard's open batch: its vault changes first, then the shard with its position.
  absl::Status CommitShardBatch(ShardRun& run);
  // Withdraws the shard's profiles of the full-sync source that the file did not hold.
  absl::Status WithdrawAbsentProfiles(ShardRun& run);

  std::shared_ptr<const Pseudonymizer> pseudonymizer_;
  ProfileValidator validator_;
  ProfileAnonymizer anonymizer_;
  IndexWriter* writer_;
  IdentityVault* vault_;
  std::mutex vault_mutex_;  // one shard at a time commits to the vault
};

// The index metadata key under which the import of a file with this SHA-256 (hex) keeps its
// position.
std::string ImportPositionKey(const std::string& file_sha256_hex);

// SHA-256 of a file's contents, hex. Errors: NotFound.
absl::StatusOr<std::string> FileSha256(const std::string& path);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_IMPORTER_H_
