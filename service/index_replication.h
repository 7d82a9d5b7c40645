#ifndef VERKENNER_SERVICE_INDEX_REPLICATION_H_
#define VERKENNER_SERVICE_INDEX_REPLICATION_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "engine/refdata/reference_data.h"
#include "indexer/index_publication.h"
#include "service/observability/access_log.h"
#include "service/observability/metrics.h"
#include "service/store/index_writer_lease.h"

namespace verkenner::service {

// An instance's part in index replication (issue 17; docs/ARCHITECTURE.md, "The index on
// disk"): while it holds the index writer's lease its imports publish (ImportJob::Options::
// publish) and its metrics listener serves the publication (PublishedFile); a thread here
// publishes the index's state as soon as it takes the lease, so that the others need not wait
// for an import. While another instance holds it, the thread follows that writer's publication
// every Options::interval (IndexFollower). The gauge verkenner_index_publication_sequence says
// which sequence this instance's index holds; Lag() how far it is behind.
//
// Thread-safe; the destructor stops the thread (a round under way finishes first).
class IndexReplication {
 public:
  struct Options {
    std::string index_path;
    std::shared_ptr<const engine::ReferenceData> reference_data;
    IndexWriterLease* lease = nullptr;   // not owned
    MetricsRegistry* metrics = nullptr;  // not owned
    // Reads a file of the publication at a writer's address ("host:port" of its metrics
    // listener): HTTP in the server (service/http/http_fetch.h), a directory in tests.
    std::function<absl::StatusOr<std::string>(const std::string& address, const std::string& name)>
        fetch;
    absl::Duration interval = absl::Seconds(1);
  };

  explicit IndexReplication(Options options);
  // Announces `publication_address` (this instance's metrics listener) in the lease and starts
  // following; failed rounds go to `log` (not owned; null: nowhere). Once.
  void Start(const std::string& publication_address, StructuredLog* log);
  ~IndexReplication();
  IndexReplication(const IndexReplication&) = delete;
  IndexReplication& operator=(const IndexReplication&) = delete;

  // The publication options of an import here: the lease's epoch.
  indexer::PublishOptions PublishOptions() const;
  // A file of this instance's publication, for GET /index/published/NAME. Only while it holds
  // the lease, and a MANIFEST only of its lease's epoch: a follower's directory, or what this
  // instance published under an earlier lease, is no source to follow. Errors: Unavailable for
  // those, NotFound for a file that is not there.
  absl::StatusOr<std::string> PublishedFile(const std::string& name) const;
  // How long the oldest publication this instance has seen but does not hold yet has waited
  // (since the writer published it); zero while it holds the newest it saw, and on the writer.
  absl::Duration Lag() const;

 private:
  void Follow();
  // One round: publishes when this process has just taken the lease, else follows the writer
  // the lease names.
  void FollowOnce();
  // Publishes the index's state unless this process published in its lease's epoch already.
  absl::Status PublishOnTakeover();
  // The gauge verkenner_index_publication_sequence.
  void ReportSequence(int64_t sequence);
  // Logs a failed round once, and its end once: `what`_failed and `what`_recovered.
  void Report(const absl::Status& status, const std::string& what);

  const Options options_;
  std::string writer_address_;  // the follower thread's own: the writer it fetches from
  indexer::IndexFollower follower_;
  const indexer::FetchPublished published_;  // this instance's publication directory
  int64_t published_epoch_ = 0;              // the follower thread's own
  mutable std::mutex mutex_;
  std::condition_variable stopping_or_due_;
  bool stopping_ = false;      // guarded by mutex_
  int64_t held_sequence_ = 0;  // guarded by mutex_: after the last round that succeeded
  // Guarded by mutex_: when the oldest publication it lacks was published; none: it lacks none.
  std::optional<absl::Time> behind_since_;
  StructuredLog* log_ = nullptr;
  std::string last_error_;  // the follower thread's own: logged once per change
  std::thread thread_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_INDEX_REPLICATION_H_
