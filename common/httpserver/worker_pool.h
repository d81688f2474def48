// A fixed set of threads running the server's handlers, which may block (a local write, a group
// commit's fsync, an upstream query). Tasks beyond the threads wait in one queue in arrival order;
// nothing ever starts another thread, so a thousand clients cost the same threads as ten.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"

namespace edgerepl::httpserver {

class WorkerPool final : public std::enable_shared_from_this<WorkerPool> {
 public:
  // Starts `threads` threads (at least one); kUnavailable when the system has none to give.
  static Result<std::shared_ptr<WorkerPool>> Start(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; `first` puts it ahead of the waiting ones (the next step of a request already
  // being answered, which should not wait behind requests not yet started). False after Stop.
  bool Submit(std::function<void()> task, bool first = false);
  // Drops the queued tasks, joins the idle threads and leaves those still running a task to
  // finish it on their own (a handler cannot be cancelled). Idempotent.
  void Stop();
  size_t threads() const { return threads_.size(); }

 private:
  WorkerPool() = default;
  void Run(size_t index);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  std::vector<bool> busy_;                   // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;         // written only by Start and Stop
};

}  // namespace edgerepl::httpserver
