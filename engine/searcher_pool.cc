#include "engine/searcher_pool.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace verkenner::engine {

absl::StatusOr<std::unique_ptr<SearcherPool>> SearcherPool::Start(const Options& options) {
  int threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  // Open every searcher before starting any thread, so a bad index fails Start() cleanly.
  // The searchers share one in-memory image of the index, one query vocabulary and one
  // occupation suggester.
  auto cache = std::make_shared<CandidateIndexCache>();
  absl::StatusOr<std::shared_ptr<const QueryVocabulary>> vocabulary =
      QueryVocabulary::Create(*options.reference_data);
  if (!vocabulary.ok()) return vocabulary.status();
  auto suggester = std::make_shared<const OccupationSuggester>(*options.reference_data);
  if (options.await_index) {
    std::error_code error;
    std::filesystem::create_directories(options.index_path, error);
    if (error) {
      return absl::InternalError(absl::StrCat("cannot make the index directory ",
                                              options.index_path, ": ", error.message()));
    }
  }
  const auto open = [&]() {
    return options.await_index
               ? Searcher::OpenAwaiting(options.index_path, options.reference_data, cache,
                                        *vocabulary, suggester, options.may_serve_unpublished)
               : Searcher::Open(options.index_path, options.reference_data, cache, *vocabulary,
                                suggester);
  };
  std::vector<std::unique_ptr<Searcher>> searchers;
  for (int i = 0; i < threads; ++i) {
    absl::StatusOr<std::unique_ptr<Searcher>> searcher = open();
    if (!searcher.ok()) return searcher.status();
    (*searcher)->set_loads_images(false);  // the refresher below loads new images
    (*searcher)->set_unknown_travel_km(options.unknown_travel_km);
    (*searcher)->set_availability_confirmation_months(options.availability_confirmation_months);
    (*searcher)->set_profile_annotations(options.profile_annotations);
    searchers.push_back(std::move(*searcher));
  }
  absl::StatusOr<std::unique_ptr<Searcher>> watcher = open();
  if (!watcher.ok()) return watcher.status();
  std::unique_ptr<Searcher> merger;
  if (options.merge_after_changed > 0) {
    absl::StatusOr<std::unique_ptr<Searcher>> opened = open();
    if (!opened.ok()) return opened.status();
    merger = *std::move(opened);
  }
  std::unique_ptr<SearcherPool> pool(new SearcherPool());
  if (merger != nullptr) {
    pool->merger_ = std::thread([raw = pool.get(), m = std::move(merger), cache,
                                 options]() mutable {
      raw->RunMerger(std::move(m), cache, options.merge_after_changed, options.refresh_interval);
    });
  }
  // Opening the searchers loaded the first image: reported before Start() returns, so that a
  // server is never ready without saying what it serves.
  std::shared_ptr<const CandidateIndex> first = cache->Current();
  if (first != nullptr && options.on_image != nullptr) options.on_image(*first);
  pool->refresher_ =
      std::thread([raw = pool.get(), w = std::move(*watcher), cache, first, options]() mutable {
        raw->RunRefresher(std::move(w), cache, std::move(first), options.refresh_interval,
                          options.on_image);
      });
  for (auto& searcher : searchers) {
    pool->workers_.emplace_back(
        [raw = pool.get(), s = std::move(searcher)]() mutable { raw->RunWorker(std::move(s)); });
  }
  return pool;
}

SearcherPool::~SearcherPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  stop_refreshing_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  if (refresher_.joinable()) refresher_.join();
  if (merger_.joinable()) merger_.join();
}

void SearcherPool::RunMerger(std::unique_ptr<Searcher> merger,
                             std::shared_ptr<CandidateIndexCache> cache, int64_t after_changed,
                             std::chrono::milliseconds interval) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    // A full load takes about a second per million profiles; the refresher goes on applying
    // commits to the current image meanwhile, and the merged one catches up before it is used.
    if (cache->WantsMerge(after_changed)) merger->MergeImage();
    lock.lock();
    stop_refreshing_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

void SearcherPool::RunRefresher(std::unique_ptr<Searcher> watcher,
                                std::shared_ptr<CandidateIndexCache> cache,
                                std::shared_ptr<const CandidateIndex> reported,
                                std::chrono::milliseconds interval,
                                std::function<void(const CandidateIndex&)> on_image) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    // Loads the in-memory image of a newly committed state here, off the search threads, so
    // that searches see imports soon after the commit without waiting for the load themselves.
    watcher->Prefetch();
    if (std::shared_ptr<const CandidateIndex> served = cache->Current();
        on_image != nullptr && served != nullptr && served != reported) {
      on_image(*served);
      reported = std::move(served);
    }
    lock.lock();
    stop_refreshing_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

void SearcherPool::Submit(std::function<void(Searcher&)> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(work));
  }
  work_available_.notify_one();
}

void SearcherPool::RunWorker(std::unique_ptr<Searcher> searcher) {
  while (true) {
    std::function<void(Searcher&)> work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_available_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work(*searcher);
  }
}

}  // namespace verkenner::engine
