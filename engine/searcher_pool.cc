#include "engine/searcher_pool.h"

namespace verkenner::engine {

absl::StatusOr<std::unique_ptr<SearcherPool>> SearcherPool::Start(const Options& options) {
  int threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  // Open every searcher before starting any thread, so a bad index fails Start() cleanly.
  std::vector<std::unique_ptr<Searcher>> searchers;
  for (int i = 0; i < threads; ++i) {
    absl::StatusOr<std::unique_ptr<Searcher>> searcher =
        Searcher::Open(options.index_path, options.reference_data);
    if (!searcher.ok()) return searcher.status();
    searchers.push_back(std::move(*searcher));
  }
  std::unique_ptr<SearcherPool> pool(new SearcherPool());
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
  for (std::thread& worker : workers_) worker.join();
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
