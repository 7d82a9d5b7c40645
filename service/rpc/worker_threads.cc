#include "service/rpc/worker_threads.h"

namespace verkenner::service {

WorkerThreads::WorkerThreads(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([this] {
      while (true) {
        std::function<void()> work;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          work_or_stopping_.wait(lock, [&] { return !queue_.empty() || stopping_; });
          if (queue_.empty()) return;
          work = std::move(queue_.front());
          queue_.pop_front();
        }
        work();
      }
    });
  }
}

WorkerThreads::~WorkerThreads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_or_stopping_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void WorkerThreads::Submit(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(work));
  }
  work_or_stopping_.notify_one();
}

}  // namespace verkenner::service
