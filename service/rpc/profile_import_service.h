#ifndef VERKENNER_SERVICE_RPC_PROFILE_IMPORT_SERVICE_H_
#define VERKENNER_SERVICE_RPC_PROFILE_IMPORT_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/searcher_pool.h"
#include "indexer/profile_anonymizer.h"
#include "indexer/pseudonymizer.h"
#include "service/rpc/environment.h"
#include "verkenner/v1/profile_import.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.ProfileImportService: municipalities and UWV stream their profiles in, through the
// importer library the command line uses (indexer::Importer::ImportRecords), so validation,
// anonymisation, the identity vault, batching and resumption are the same. The import's position
// in the index is keyed by source and import id, so a broken call sent again resumes where the
// committed batches end; a SUCCEEDED import id answers with its stored report (replayed).
//
// One import at a time per server: the index has one writer. The service opens the index writer
// and the identity vault for the import and closes them after, so verkenner-index may run when
// no API import does (while one does, the other gets ABORTED). After an import it updates the
// disclosure allow-list and purges expired profiles; compaction stays with verkenner-index.
// GetCompletenessStatistics reads the index on the search pool's workers, as searches do.
//
// Thread-safe. Does not own the environment.
class ProfileImportService final : public v1::ProfileImportService::CallbackService {
 public:
  struct Options {
    std::string index_path;
    std::string vault_path;
    // The same key the command-line imports use: a profile id must not depend on the way in.
    std::shared_ptr<const indexer::Pseudonymizer> pseudonymizer;  // null: imports fail
    indexer::RetentionRule retention;
    std::function<int64_t()> today;  // days since 1970-01-01
    int disclosure_k = 5;
    // Where GetCompletenessStatistics reads the index (not owned); null: it is UNAVAILABLE.
    engine::SearcherPool* pool = nullptr;
  };

  ProfileImportService(const ServiceEnvironment* environment, Options options);
  ~ProfileImportService() override;

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

 private:
  class ImportReactor;
  friend class ImportReactor;

  // Claims the one import slot; false when an import runs.
  bool TryStartImport(const std::string& source, const std::string& import_id,
                      std::atomic<int64_t>* received_rows);
  void EndImport();
  // The report of the caller's source's import `import_id`, with the counts of the import
  // running now. Errors: InvalidArgument naming import_id, NotFound, the store's.
  absl::StatusOr<v1::ImportReport> ReportOf(const Caller& caller, const std::string& import_id);

  const ServiceEnvironment& environment_;
  const Options options_;
  std::mutex mutex_;
  bool running_ = false;                              // guarded by mutex_
  std::string running_source_;                        // guarded by mutex_
  std::string running_import_id_;                     // guarded by mutex_
  std::atomic<int64_t>* running_received_ = nullptr;  // guarded by mutex_: for GetImport
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_PROFILE_IMPORT_SERVICE_H_
