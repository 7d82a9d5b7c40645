// SearcherPool: searches run on worker threads, each with its own Searcher, while imports commit;
// a bad index fails Start(); a commit becomes searchable without a restart.
#include "engine/searcher_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "engine/index_layout.h"
#include "tests/engine/test_index.h"

namespace verkenner::engine {
namespace {

class SearcherPoolTest : public fixtures::SearchFixture {
 protected:
  SearcherPool::Options PoolOptions(int threads) const {
    SearcherPool::Options options;
    options.index_path = index_->path();
    options.reference_data = reference_;
    options.threads = threads;
    return options;
  }

  // Waits up to 30 s until `images` is no longer 0, then expects that one image came and that a
  // search on the pool finds the 3 profiles of the index.
  static void ExpectOneImageServingThree(std::atomic<int>& images, SearcherPool& pool) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (images == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(images, 1);
    absl::StatusOr<SearchResult> after = SearchOn(pool);
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(after->total, 3);
  }

  // A search for "orderpicker" on one of the pool's workers, waited for.
  static absl::StatusOr<SearchResult> SearchOn(SearcherPool& pool) {
    std::promise<absl::StatusOr<SearchResult>> promise;
    auto future = promise.get_future();
    pool.Submit(
        [&](Searcher& searcher) { promise.set_value(searcher.Search(Vacancy("orderpicker"))); });
    return future.get();
  }
};

TEST_F(SearcherPoolTest, ConcurrentSearchesWhileImportsCommit) {
  Commit(Profiles("a", 50));
  SearcherPool::Options options;
  options.index_path = index_->path();
  options.reference_data = reference_;
  options.threads = 3;
  auto pool = SearcherPool::Start(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::atomic<int> done = 0;
  std::atomic<int> failed = 0;
  std::atomic<int> out_of_range = 0;
  constexpr int kSearches = 300;
  for (int i = 0; i < kSearches; ++i) {
    (*pool)->Submit([&](Searcher& searcher) {
      absl::StatusOr<SearchResult> result = searcher.Search(Vacancy("orderpicker"));
      if (!result.ok()) {
        ++failed;
      } else if (result->total < 50 || result->total > 100) {
        ++out_of_range;
      }
      ++done;
    });
  }
  for (int batch = 0; batch < 5; ++batch) {  // imports land while the searches run
    Commit(Profiles("b", 10, batch * 10));
  }
  pool->reset();  // finishes the queued searches
  EXPECT_EQ(done, kSearches);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(out_of_range, 0);
}

TEST_F(SearcherPoolTest, ZeroThreadsMeansOnePerHardwareThread) {
  auto pool = SearcherPool::Start(PoolOptions(0));
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ((*pool)->thread_count(),
            static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  auto three = SearcherPool::Start(PoolOptions(3));
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ((*three)->thread_count(), 3);
}

TEST_F(SearcherPoolTest, StartFailsWhereThereIsNoIndex) {
  SearcherPool::Options options = PoolOptions(2);
  options.index_path = index_->path() + "-missing";
  auto pool = SearcherPool::Start(options);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kNotFound) << pool.status();
}

// A replica that starts before it has an index (it fetches the writer's first publication) runs
// a pool that awaits it: every call answers Unavailable, and no image is reported, until the
// index appears; then it serves it.
TEST_F(SearcherPoolTest, APoolThatAwaitsItsIndexAnswersUnavailableUntilTheIndexArrives) {
  Commit(Profiles("p", 3));
  const std::filesystem::path awaited = index_->path() + "-awaited";
  SearcherPool::Options options = PoolOptions(2);
  options.index_path = awaited.string();
  options.await_index = true;
  options.refresh_interval = std::chrono::milliseconds(5);
  std::atomic<int> images = 0;
  options.on_image = [&](const CandidateIndex&) { ++images; };
  auto pool = SearcherPool::Start(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  absl::StatusOr<SearchResult> before = SearchOn(**pool);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.status().code(), absl::StatusCode::kUnavailable) << before.status();
  EXPECT_NE(before.status().message().find("no search index yet"), std::string::npos)
      << before.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(images, 0);

  // The index arrives as a follower installs one: its shards first, the stub that names them
  // last, beside the switch lock the pool made.
  EXPECT_TRUE(std::filesystem::exists(awaited / kSwitchLockName));
  for (const auto& entry : std::filesystem::directory_iterator(index_->path())) {
    if (entry.path().filename() == kStubFileName) continue;
    std::filesystem::copy(entry.path(), awaited / entry.path().filename(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
  }
  std::filesystem::copy_file(std::filesystem::path(index_->path()) / kStubFileName,
                             awaited / kStubFileName);
  ExpectOneImageServingThree(images, **pool);
  pool->reset();
  std::filesystem::remove_all(awaited);
}

// A replica whose index holds a state nobody published (its writer's import was cut off, or a
// follower's shards stopped at different sequences) serves nothing of it until it may: a server
// only once it holds the writer's lease, and otherwise once it has the writer's state.
TEST_F(SearcherPoolTest, AnAwaitingPoolServesAnUnpublishedStateOnlyWhenItMay) {
  Commit(Profiles("p", 3));  // the test index publishes nothing
  SearcherPool::Options options = PoolOptions(2);
  options.await_index = true;
  options.refresh_interval = std::chrono::milliseconds(5);
  std::atomic<bool> may = false;
  options.may_serve_unpublished = [&] { return may.load(); };
  std::atomic<int> images = 0;
  options.on_image = [&](const CandidateIndex&) { ++images; };
  auto pool = SearcherPool::Start(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  absl::StatusOr<SearchResult> before = SearchOn(**pool);
  EXPECT_EQ(before.status().code(), absl::StatusCode::kUnavailable) << before.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(images, 0);

  may = true;  // it became the writer
  ExpectOneImageServingThree(images, **pool);
}

// Xapian objects must not cross threads: a worker always hands work its own Searcher.
TEST_F(SearcherPoolTest, EachWorkerKeepsItsOwnSearcher) {
  Commit({Profile("p")});
  auto pool = SearcherPool::Start(PoolOptions(3));
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::mutex mutex;
  std::map<std::thread::id, std::set<const Searcher*>> searchers_of_thread;
  std::map<const Searcher*, std::set<std::thread::id>> threads_of_searcher;
  constexpr int kWork = 60;
  for (int i = 0; i < kWork; ++i) {
    (*pool)->Submit([&](Searcher& searcher) {
      std::lock_guard<std::mutex> lock(mutex);
      searchers_of_thread[std::this_thread::get_id()].insert(&searcher);
      threads_of_searcher[&searcher].insert(std::this_thread::get_id());
    });
  }
  pool->reset();
  EXPECT_LE(threads_of_searcher.size(), 3u);
  for (const auto& [thread, searchers] : searchers_of_thread) EXPECT_EQ(searchers.size(), 1u);
  for (const auto& [searcher, threads] : threads_of_searcher) EXPECT_EQ(threads.size(), 1u);
}

TEST_F(SearcherPoolTest, ACommitBecomesSearchableWithoutARestart) {
  Commit({Profile("first")});
  SearcherPool::Options options = PoolOptions(1);
  options.refresh_interval = std::chrono::milliseconds(1);
  auto pool = SearcherPool::Start(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto total = [&]() {
    std::promise<int64_t> promise;
    std::future<int64_t> future = promise.get_future();
    (*pool)->Submit([&](Searcher& searcher) {
      absl::StatusOr<SearchResult> result = searcher.Search(Vacancy("orderpicker"));
      promise.set_value(result.ok() ? result->total : -1);
    });
    return future.get();
  };
  EXPECT_EQ(total(), 1);
  Commit({Profile("second")});
  // The background refresher loads the new image; each search either sees the old one or the
  // new one, never an error, and the new one arrives (bounded by a deadline, not a sleep).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int64_t seen = 1;
  while (seen == 1 && std::chrono::steady_clock::now() < deadline) seen = total();
  EXPECT_EQ(seen, 2);
}

}  // namespace
// What a server reports about the index it serves (health, metrics) comes from on_image: once
// for the first image, then once for each image that replaces it, with its state.
TEST_F(SearcherPoolTest, EachNewImageIsReportedOnceWithItsState) {
  Commit({Profile("first")});
  std::mutex mutex;
  std::vector<std::string> states;
  std::vector<int64_t> documents;
  SearcherPool::Options options = PoolOptions(1);
  options.refresh_interval = std::chrono::milliseconds(1);
  options.on_image = [&](const CandidateIndex& image) {
    std::lock_guard<std::mutex> lock(mutex);
    states.push_back(image.state());
    documents.push_back(image.load_stats().documents);
  };
  auto reported = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return states.size();
  };
  auto pool = SearcherPool::Start(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ(reported(), 1u) << "the first image is reported inside Start()";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // many refresher rounds
  ASSERT_EQ(reported(), 1u) << "the same image was reported again";
  Commit({Profile("second")});
  // The shards commit one by one, so an image of a state between them may come first.
  auto last_documents = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return documents.back();
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (last_documents() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pool->reset();
  ASSERT_GE(states.size(), 2u);
  EXPECT_EQ(documents.front(), 1);
  EXPECT_EQ(documents.back(), 2);
  for (size_t i = 1; i < states.size(); ++i) {
    EXPECT_NE(states[i - 1], states[i]) << "reported twice";
    EXPECT_TRUE(ParseIndexState(states[i]).has_value()) << states[i];
  }
}

// Commits reach the shared image as updates (CandidateIndex::Update); once it holds
// merge_after_changed changes, the pool's background merge loads it in full again, and searches
// see the same profiles before and after.
TEST_F(SearcherPoolTest, ABackgroundMergeFoldsTheChangesIntoAFullLoad) {
  Commit(Profiles("base", 3));
  SearcherPool::Options options = PoolOptions(1);
  options.refresh_interval = std::chrono::milliseconds(1);
  options.merge_after_changed = 5;
  auto pool = SearcherPool::Start(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  struct Seen {
    int64_t total = -1;
    int64_t changed_since_load = -1;
  };
  auto search = [&]() {
    std::promise<Seen> promise;
    std::future<Seen> future = promise.get_future();
    (*pool)->Submit([&](Searcher& searcher) {
      absl::StatusOr<SearchResult> result = searcher.Search(Vacancy("orderpicker"));
      promise.set_value(
          {result.ok() ? result->total : -1, searcher.candidate_index_stats().changed_since_load});
    });
    return future.get();
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto wait_for = [&](auto&& done) {
    Seen seen = search();
    while (!done(seen) && std::chrono::steady_clock::now() < deadline) seen = search();
    return seen;
  };
  Commit(Profiles("new", 2));
  Seen updated = wait_for([](const Seen& seen) { return seen.total == 5; });
  EXPECT_EQ(updated.total, 5);
  EXPECT_EQ(updated.changed_since_load, 2) << "two changes: updated, not merged";

  Commit(Profiles("more", 4));
  Seen merged =
      wait_for([](const Seen& seen) { return seen.total == 9 && seen.changed_since_load == 0; });
  EXPECT_EQ(merged.total, 9);
  EXPECT_EQ(merged.changed_since_load, 0) << "six changes: merged in the background";
}

}  // namespace verkenner::engine
