#ifndef VERKENNER_ENGINE_SEARCHER_POOL_H_
#define VERKENNER_ENGINE_SEARCHER_POOL_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/searcher.h"

namespace verkenner::engine {

// A fixed set of worker threads, each owning its own Searcher (and so its own Xapian::Database),
// running work submitted from any thread. gRPC reactions hand searches to the pool and return at
// once; the work calls back on a worker thread when done. The searchers share one in-memory
// image of the index (CandidateIndexCache), which a background thread keeps current.
//
// Thread-safe. Destruction stops accepting work, finishes what is queued and joins the workers.
class SearcherPool {
 public:
  struct Options {
    std::string index_path;
    std::shared_ptr<const ReferenceData> reference_data;
    // Worker threads; 0 means one per hardware thread.
    int threads = 0;
    // How often a background thread looks for a newly committed index state and loads its
    // in-memory image; a commit becomes searchable within this plus the load time.
    std::chrono::milliseconds refresh_interval{50};
    // Searcher::set_unknown_travel_km of every searcher.
    int unknown_travel_km = kDefaultUnknownTravelKm;
    // Searcher::set_availability_confirmation_months of every searcher.
    int availability_confirmation_months = kDefaultAvailabilityConfirmationMonths;
    // Searcher::set_profile_annotations of every searcher; empty: none.
    ProfileAnnotationsSource profile_annotations;
    // When the shared image holds this many changes since its last full load, a background
    // thread loads it in full (Searcher::MergeImage); 0: never (only Get() then, at
    // CandidateIndexCache::kMaxChangedDocuments).
    int64_t merge_after_changed = CandidateIndexCache::kMergeAfterChangedDocuments;
    // Called each time the searchers start using another image: the first one (in Start()), and
    // after each commit and merge (on the refresher's thread). What a server reports about the
    // index it serves (health, metrics). Null: nothing is called.
    std::function<void(const CandidateIndex& image)> on_image;
    // Whether an index that is not there yet is awaited rather than an error (a replica that
    // fetches the writer's first publication): the directory is made, so that the follower and
    // the searchers share its switch lock, and until the index appears every search answers
    // Unavailable (Searcher::OpenAwaiting) and on_image is not called.
    bool await_index = false;
    // With await_index: whether this process may serve a first state that nobody published
    // (Searcher::OpenAwaiting); null: any state is served.
    std::function<bool()> may_serve_unpublished;
  };

  // Opens one Searcher per thread. Errors: those of Searcher::Open, and Internal when an awaited
  // index's directory cannot be made.
  static absl::StatusOr<std::unique_ptr<SearcherPool>> Start(const Options& options);
  ~SearcherPool();

  SearcherPool(const SearcherPool&) = delete;
  SearcherPool& operator=(const SearcherPool&) = delete;

  // Runs `work` on a worker thread with that thread's Searcher. Never blocks on the work.
  void Submit(std::function<void(Searcher&)> work);

  int thread_count() const { return static_cast<int>(workers_.size()); }

 private:
  SearcherPool() = default;
  void RunWorker(std::unique_ptr<Searcher> searcher);
  // Keeps the shared image current; reports to `on_image` each image after `reported`.
  void RunRefresher(std::unique_ptr<Searcher> watcher, std::shared_ptr<CandidateIndexCache> cache,
                    std::shared_ptr<const CandidateIndex> reported,
                    std::chrono::milliseconds interval,
                    std::function<void(const CandidateIndex&)> on_image);
  void RunMerger(std::unique_ptr<Searcher> merger, std::shared_ptr<CandidateIndexCache> cache,
                 int64_t after_changed, std::chrono::milliseconds interval);

  std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable stop_refreshing_;  // its own, so that Submit() never wakes the refresher
  std::deque<std::function<void(Searcher&)>> queue_;  // guarded by mutex_
  bool stopping_ = false;                             // guarded by mutex_
  std::vector<std::thread> workers_;
  std::thread refresher_;
  std::thread merger_;
};

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_SEARCHER_POOL_H_
