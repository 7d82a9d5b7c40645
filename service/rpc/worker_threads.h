#ifndef VERKENNER_SERVICE_RPC_WORKER_THREADS_H_
#define VERKENNER_SERVICE_RPC_WORKER_THREADS_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace verkenner::service {

// A few threads for work that must not run on a gRPC thread because it takes long on purpose
// (password hashing). Few on purpose too: each argon2id hash holds 64 MiB, and the thread count
// bounds how many run at once.
//
// Thread-safe. The destructor runs what is queued, then joins the threads.
class WorkerThreads {
 public:
  explicit WorkerThreads(int threads);
  ~WorkerThreads();
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;

  void Submit(std::function<void()> work);

 private:
  std::mutex mutex_;
  std::condition_variable work_or_stopping_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_WORKER_THREADS_H_
