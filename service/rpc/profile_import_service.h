#ifndef VERKENNER_SERVICE_RPC_PROFILE_IMPORT_SERVICE_H_
#define VERKENNER_SERVICE_RPC_PROFILE_IMPORT_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "engine/searcher_pool.h"
#include "indexer/import_job.h"
#include "indexer/profile_anonymizer.h"
#include "indexer/pseudonymizer.h"
#include "service/index_replication.h"
#include "service/rpc/environment.h"
#include "service/rpc/unary_call.h"
#include "service/store/index_writer_lease.h"
#include "verkenner/v1/profile_import.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.ProfileImportService: municipalities and UWV stream their profiles in, through the
// import job the command line uses (indexer::ImportJob), so validation, anonymisation, the
// identity vault, batching, resumption and the upkeep after an import are the same.
//
// An import is received whole before anything is applied: the batches wait in memory (as the
// client sent them, at most Limits::max_bytes) until the client's ImportEnd says the
// stream is complete, and a stream that ends any other way applies nothing (INTERRUPTED). So a
// broken stream can never count as a complete one, a FULL_SYNC withdraws only after a complete
// stream, and a slow client never holds the index writer: imports of different sources are
// received side by side (at most Limits::max_concurrent, one per source) and applied one after
// another. One per source holds across the instances that share the store: the instance that
// receives an import holds the source's lease in the store (import_lease), renewed every
// kImportLeaseTerm / 3 while the import runs, so that another instance refuses a second import of
// the source, GetImport on any instance shows the progress, and the source is free again
// kImportLeaseTerm after the instance that held it died. A stream that sends nothing for
// Limits::idle_timeout is interrupted. The import's position in the index is keyed by source and
// import id, so an apply that broke off (a full disk, a killed server) resumes after its committed
// batches when the import is sent again; a SUCCEEDED import id answers with its stored report
// (replayed).
//
// The service opens the index writer and the identity vault for each apply and closes them
// after, so verkenner-index may run when no apply does (a complete import waits up to
// writer_wait for it). After an import it updates the disclosure allow-list and purges expired
// profiles; on a schedule (Options::upkeep_interval) it does the same without an import, and
// compacts. GetCompletenessStatistics reads the index on
// the search pool's workers, as searches do.
//
// Each ImportProfiles call has a thread of its own from its header on: it waits for the stream to
// complete, applies it and finishes the call, so gRPC's threads never wait on the index or the
// store's writer. Thread-safe. Does not own the environment.
class ProfileImportService final : public v1::ProfileImportService::CallbackService {
 public:
  // What one import may take of the server (verkenner-server's --import_* flags).
  struct Limits {
    // A receiving import that gets no message for this long is interrupted (DEADLINE_EXCEEDED).
    absl::Duration idle_timeout = absl::Seconds(60);
    // The largest import held until its end, counted as the serialized batches (a profile is
    // about half a kilobyte): beyond it the import fails with RESOURCE_EXHAUSTED.
    int64_t max_bytes = int64_t{256} << 20;
    // Imports received at the same time, each of another source; one more is UNAVAILABLE.
    int max_concurrent = 4;
    // How long a complete import waits for verkenner-index to release the index writer before
    // it fails with ABORTED.
    absl::Duration writer_wait = absl::Minutes(2);
  };
  // How long a source's import lease lasts without a renewal.
  static constexpr absl::Duration kImportLeaseTerm = absl::Seconds(30);
  struct Options {
    std::string index_path;
    std::string vault_path;
    // The same key the command-line imports use: a profile id must not depend on the way in.
    std::shared_ptr<const indexer::Pseudonymizer> pseudonymizer;  // null: imports fail
    indexer::RetentionRule retention;
    std::function<int64_t()> today;  // days since 1970-01-01
    int disclosure_k = engine::kDefaultMinimumGroupSize;
    // Where GetCompletenessStatistics reads the index (not owned); null: it is UNAVAILABLE.
    engine::SearcherPool* pool = nullptr;
    // The index writer's lease (not owned): imports run only on the instance that holds it, and
    // each of their commits first checks that it still does. Null: this process writes the
    // index alone (tests of the service by itself).
    const IndexWriterLease* writer_lease = nullptr;
    // Index replication (not owned): each import publishes what it committed for the instances
    // that follow. Null: nothing is published.
    const IndexReplication* replication = nullptr;
    Limits limits;
    // The index's upkeep without an import (verkenner-server --upkeep_interval): every interval,
    // on the index writer only, the purge of profiles whose retention ended, the disclosure
    // groups, compaction when upkeep_compacts, and the publication for followers. Retention is
    // kept although no import comes. Zero: never.
    absl::Duration upkeep_interval = absl::ZeroDuration();
    bool upkeep_compacts = true;
    // Told each scheduled upkeep's outcome: nullopt when this instance is not the index writer
    // (the server logs it and sets its metrics). Called on the upkeep's thread.
    std::function<void(const absl::StatusOr<std::optional<indexer::ImportJob::Upkeep>>&)> on_upkeep;
  };

  ProfileImportService(const ServiceEnvironment* environment, Options options);
  ~ProfileImportService() override;

  // Runs the upkeep of Options::upkeep_interval once, now, after any import being applied:
  // nullopt when this instance is not the index writer (a follower installs what the writer
  // publishes). Errors: Aborted when verkenner-index holds the index beyond Limits::writer_wait;
  // the job's otherwise.
  absl::StatusOr<std::optional<indexer::ImportJob::Upkeep>> RunUpkeep();

  grpc::ServerReadReactor<v1::ImportProfilesRequest>* ImportProfiles(
      grpc::CallbackServerContext* context, v1::ImportProfilesResponse* response) override;
  grpc::ServerUnaryReactor* GetImport(grpc::CallbackServerContext* context,
                                      const v1::GetImportRequest* request,
                                      v1::GetImportResponse* response) override;
  grpc::ServerUnaryReactor* ExportRejectedRows(grpc::CallbackServerContext* context,
                                               const v1::ExportRejectedRowsRequest* request,
                                               v1::ExportRejectedRowsResponse* response) override;
  grpc::ServerUnaryReactor* GetCompletenessStatistics(
      grpc::CallbackServerContext* context, const v1::GetCompletenessStatisticsRequest* request,
      v1::GetCompletenessStatisticsResponse* response) override;
  grpc::ServerUnaryReactor* ListWorklist(grpc::CallbackServerContext* context,
                                         const v1::ListWorklistRequest* request,
                                         v1::ListWorklistResponse* response) override;
  grpc::ServerUnaryReactor* ExportWorklist(grpc::CallbackServerContext* context,
                                           const v1::ExportWorklistRequest* request,
                                           v1::ExportWorklistResponse* response) override;

 private:
  class ImportReactor;
  friend class ImportReactor;

  // An import being received or applied, by source.
  struct RunningImport {
    std::string import_id;
    std::shared_ptr<const std::atomic<int64_t>> received_rows;  // for GetImport's progress
  };

  // Claims the source's import slot here and its lease in the store (one write: blocks). Errors:
  // IndexWriterLease::CheckHeld's when this instance is not the index writer, Aborted when the
  // source has an import running on any instance, Unavailable when Limits::max_concurrent run
  // here or the store cannot take the lease.
  absl::Status StartImport(const std::string& source, RunningImport running);
  // Frees the slot and the lease.
  void EndImport(const std::string& source);
  // The lease keeper's thread: renews the leases of the imports running here.
  void KeepLeases();
  // The upkeep's thread: RunUpkeep every Options::upkeep_interval until the service stops.
  void KeepUp();
  // Where and how an import job runs: this server's index and vault, waiting for verkenner-index
  // (the only other writer) to let go of the index, fenced by the writer's lease.
  indexer::ImportJob::Options ImportJobOptions() const;
  // GetCompletenessStatistics' counts of `source`, on the engine pool; finishes the call.
  void CountCompleteness(UnaryCall call, const std::string& source,
                         v1::GetCompletenessStatisticsResponse* response);
  // The caller's source's worklist, on the engine pool with the client numbers of the vault;
  // `fill` gets its entries and the source's active profiles and answers. Then the audit row
  // `action` commits, and the call finishes.
  using WorklistFill =
      std::function<absl::Status(std::vector<v1::WorklistEntry> entries, int64_t active)>;
  // Unavailable or FailedPrecondition at once when the server has no index or no vault.
  Answer AnswerWorklist(UnaryCall call, const Caller& caller, const char* action,
                        WorklistFill fill);
  // The report of the caller's source's import `import_id`, with the counts of the import
  // running now. Errors: InvalidArgument naming import_id, NotFound, the store's.
  absl::StatusOr<v1::ImportReport> ReportOf(const Caller& caller, const std::string& import_id);
  // The report the store holds, if any.
  absl::StatusOr<std::optional<v1::ImportReport>> StoredReport(const std::string& source,
                                                               const std::string& import_id);

  const ServiceEnvironment& environment_;
  const Options options_;
  std::mutex mutex_;
  std::map<std::string, RunningImport> running_;  // guarded by mutex_
  // Names this instance as a lease holder: unique per process, so that a restarted instance
  // never takes an earlier one's lease for its own.
  const std::string lease_holder_;
  std::condition_variable stopping_or_renewal_due_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread lease_keeper_;
  // Held by the import that applies its rows, and by the upkeep: the index has one writer.
  std::mutex writer_mutex_;
  std::thread upkeep_keeper_;  // when Options::upkeep_interval is set
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_PROFILE_IMPORT_SERVICE_H_
