#ifndef VERKENNER_SERVICE_STORE_STORE_H_
#define VERKENNER_SERVICE_STORE_STORE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/sql/connection.h"

namespace verkenner::service {

// The service's own data in one SQLite file (the embedded default) or one PostgreSQL database
// (shared by several instances): accounts and their tokens, saved profiles, contact
// requests, shortlists, quota counts and the audit log (the schema is in store.cc). Candidate data
// is not here: profiles live in the search index, identities in the identity vault.
//
// Writes are durable when acknowledged: every write runs in a transaction on the one writer
// thread, and its `done` callback runs only after the COMMIT returned (SQLite: WAL with
// synchronous=FULL; PostgreSQL: as the server's synchronous_commit and synchronous_standby_names
// say, and a COMMIT the standby did not confirm fails).
// Writes that arrive while a commit is under way are grouped into the next transaction, each in a
// savepoint of its own, so one fsync acknowledges many requests while a failing write still
// changes nothing. Reads run on the calling thread on a pooled read-only connection, in one
// snapshot; they never wait for the writer.
//
// On PostgreSQL every write transaction first takes one advisory lock, so that the writes of all
// instances on one database run one group at a time, as the one writer thread of SQLite runs them:
// a check and the write it guards (an idempotency key, a status change, a count against a limit)
// stay one step across instances. A lost connection fails its group with Unavailable (the outcome
// of an interrupted COMMIT is unknown: a client retries with its idempotency key) and is replaced
// for the next group.
//
// A full disk fails the writes of that transaction with Unavailable (base::DiskFullError);
// later writes succeed once space is free. On SQLite an I/O error (a failed write or fsync) is
// fail-closed: the writer's connection is no longer trusted (SqliteConnection), so that write and
// every later one answer Unavailable until the server restarts and opens the store again; nothing
// that failed is acknowledged. Error messages never hold the file's path: they reach clients.
//
// Thread-safe. The destructor finishes the writes already accepted, then stops.
class Store {
 public:
  using Work = std::function<absl::Status(sql::Connection&)>;
  class Backend;  // what differs between SQLite and PostgreSQL (store.cc)

  // Opens the store at `target`, a postgresql:// URI (postgres::IsPostgresTarget) or the path of an
  // SQLite file (created with mode 0600), and brings its schema up to date: the numbered
  // migrations run in one transaction, once however many instances start together. Errors: those
  // of opening the connection; FailedPrecondition when the file or database is another
  // application's or has a newer schema.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& target);
  ~Store();

  // Runs `work` in a write transaction on the writer thread; `done` gets work's status once the
  // transaction has committed, or the commit's error. `done` runs on the writer thread: it must
  // not block (finishing a gRPC reactor is fine).
  void Write(Work work, std::function<void(absl::Status)> done);
  // Write() for callers that may block: the admin CLI and tests.
  absl::Status WriteAndWait(Work work);
  // Runs `work` on a read-only connection. Blocks only as long as the reads take.
  absl::Status Read(const Work& work);

  sql::Dialect dialect() const;
  // Whether several instances may share this store: PostgreSQL. An SQLite file belongs to the
  // one process that has it open (WAL on a local disk).
  bool shared() const;
  // For counts that must hold across instances but need not be durable to the last one (search
  // quotas): runs `work` on the calling thread in a short transaction of its own on a pooled
  // connection, outside the write groups and their lock, and commits without waiting for the
  // standby (a crash of the primary may forget the last moments' counts). Commits when `work`
  // succeeds, rolls back otherwise; returns work's status or the commit's error.
  // FailedPrecondition on a store that is not shared(): there the one writer thread would make
  // every search wait for a disk write.
  absl::Status Tally(const Work& work);

  // The schema version this code writes (SQLite: PRAGMA user_version; PostgreSQL: the store_meta
  // table). Open() migrates older ones: version 2 added the reports of API imports, version 3 the
  // server's secrets, version 4 the quota counts, version 5 the hidden profiles, the availability
  // confirmations and the audit log's index by profile, version 6 e-mail addresses unique
  // whatever their case in both dialects, version 7 the state that instances share: change counts,
  // failed logins and import leases.
  static constexpr int kSchemaVersion = 9;

 private:
  struct PendingWrite {
    Work work;
    std::function<void(absl::Status)> done;
  };

  Store(std::unique_ptr<Backend> backend, std::unique_ptr<sql::Connection> writer);
  void RunWriter();
  // Runs one group of writes in one transaction and reports every outcome.
  void CommitGroup(std::vector<PendingWrite>& group);
  // On PostgreSQL, a new writer connection for a lost one. Errors: connecting's.
  absl::Status ReplaceWriterIfBroken();
  // A pooled connection for reading (or, `for_tally`, for Tally), or a new one.
  absl::StatusOr<std::unique_ptr<sql::Connection>> TakeConnection(bool for_tally);
  void ReturnConnection(bool for_tally, std::unique_ptr<sql::Connection> connection);
  // A pooled connection (as TakeConnection) on which `begin` succeeded.
  absl::StatusOr<std::unique_ptr<sql::Connection>> Begin(bool for_tally, const char* begin);

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<sql::Connection> writer_;  // used by the writer thread only

  std::mutex mutex_;
  std::condition_variable pending_or_stopping_;
  std::deque<PendingWrite> pending_;
  bool stopping_ = false;
  std::thread writer_thread_;

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<sql::Connection>> idle_readers_;
  std::vector<std::unique_ptr<sql::Connection>> idle_tally_connections_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_STORE_STORE_H_
