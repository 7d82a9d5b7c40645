#ifndef VERKENNER_SERVICE_STORE_INDEX_WRITER_LEASE_H_
#define VERKENNER_SERVICE_STORE_INDEX_WRITER_LEASE_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/store/records.h"
#include "service/store/store.h"

namespace verkenner::service {

// This process among the instances and tools: host, process id and a random part, so that a
// restarted process never takes a lease for the one it replaced.
std::string NewLeaseHolderName();

// The lease of the index writer, kept in the store: at most one process at a time commits to
// the index the instances serve. Every verkenner-server claims it; the one that holds it takes
// the imports, the others refuse them naming it (CheckHeld). verkenner-index claims it too, and
// may also write while a server writing the same directory holds it (MayWrite): the index's own
// write lock then keeps them apart, and the server follows what it commits.
//
// Start() claims once, then a thread renews the claim every term / 3 (or claims again, if
// another holder had it). The lease counts as held until its term runs out counted from the
// moment before the last successful claim was sent, less a margin (term / 6), by this process's
// monotonic clock: a writer cut off from the store stops writing before another can take over.
// The expiry in the store is wall-clock time, compared by the next claimant: the clocks of the
// machines must agree to well within the margin (NTP).
//
// Thread-safe. The destructor stops the thread and releases the lease if held, so that another
// process takes over at once rather than after the term.
class IndexWriterLease {
 public:
  struct Options {
    // The index directory this process writes, made absolute and prefixed with the host.
    std::string index_directory;
    absl::Duration term = absl::Seconds(15);
    std::function<absl::Time()> now = [] { return absl::Now(); };  // wall clock, for the store
    // Whether this process may take the lease now; while it may not, its claims only read who
    // holds it. An instance that awaits its first index must not become the writer: it would
    // publish an empty index for all to follow. Null: always.
    std::function<bool()> may_claim;
  };

  IndexWriterLease(Store* store, Options options);
  ~IndexWriterLease();
  IndexWriterLease(const IndexWriterLease&) = delete;
  IndexWriterLease& operator=(const IndexWriterLease&) = delete;

  // Claims once (blocking; reads only while Options::may_claim says no) and starts the renewing
  // thread; `address` is where imports go while
  // this process writes (its gRPC address; empty for a tool). Returns the lease valid after the
  // claim, this process's or another's. Errors: the store's (the thread keeps trying);
  // FailedPrecondition after Start() or Stop().
  absl::StatusOr<IndexWriterClaim> Start(std::string address);
  // Where followers fetch this process's index publication while it writes (its metrics
  // address), from its next claim on, which it makes at once; empty (the default): it publishes
  // none.
  void SetPublication(std::string publication);
  // Stops renewing and releases the lease if held: Held() is false from here on. Idempotent;
  // the destructor calls it.
  void Stop();

  // Whether this process holds the lease now.
  bool Held() const;
  // Held(), or the holder writes the same directory as this process (read from the store, and
  // until the holder's expiry less the margin). Blocks on the store in that second case only.
  bool MayWrite() const;
  // The commit guard (indexer::IndexWriter::Options::commit_guard): OK while MayWrite(), else
  // Aborted saying so, with CheckHeld's reason.
  absl::Status CheckMayWrite() const;
  // OK while held. Otherwise FailedPrecondition naming the instance that holds it ("imports go
  // to the index writer at ..."), or Unavailable when none does or a tool does.
  absl::Status CheckHeld() const;
  // The epoch of this process's lease; 0 when it never held it.
  int64_t epoch() const;
  // The lease as last seen; empty when none was valid.
  std::optional<IndexWriterClaim> writer() const;
  const std::string& holder() const { return holder_; }
  const std::string& location() const { return location_; }

 private:
  // One claim; updates what Held() and writer() say.
  absl::StatusOr<IndexWriterClaim> Claim();
  // Instead of a claim while this process may not claim: reads who holds the lease at
  // `now_micros`. Unavailable when no one does.
  absl::StatusOr<IndexWriterClaim> Watch(int64_t now_micros);
  void Renew();
  // Whether `writer` is another process writing this process's directory.
  bool CoWrites(const std::optional<IndexWriterClaim>& writer) const;

  Store* const store_;
  const Options options_;
  std::string address_;      // set by Start() before the renewing thread exists
  std::string publication_;  // guarded by mutex_
  const std::string holder_;
  const std::string location_;
  mutable std::mutex mutex_;
  std::condition_variable stopping_or_due_;
  bool stopping_ = false;   // guarded by mutex_
  bool claim_now_ = false;  // guarded by mutex_: SetPublication() asks for a claim before its time
  // Until when this process holds the lease by its own clock; guarded by mutex_.
  std::chrono::steady_clock::time_point held_until_{};
  int64_t epoch_ = 0;                       // guarded by mutex_
  std::optional<IndexWriterClaim> writer_;  // guarded by mutex_
  std::thread renewer_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_STORE_INDEX_WRITER_LEASE_H_
