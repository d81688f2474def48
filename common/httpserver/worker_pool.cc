#include "common/httpserver/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <system_error>

namespace edgerepl::httpserver {

Result<std::shared_ptr<WorkerPool>> WorkerPool::Start(int threads) {
  std::shared_ptr<WorkerPool> pool(new WorkerPool());
  const size_t n = static_cast<size_t>(std::max(1, threads));
  pool->busy_.assign(n, false);
  pool->threads_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    try {
      // Each thread keeps the pool alive: one left running a handler after Stop outlives the
      // server that started it.
      pool->threads_.emplace_back([pool, i] { pool->Run(i); });
    } catch (const std::system_error& e) {
      pool->Stop();
      return Status::Unavailable(std::string("cannot start handler threads: ") + e.what());
    }
  }
  return pool;
}

WorkerPool::~WorkerPool() {
  // Only reached once every thread has left Run (each holds a reference), so none is joinable
  // unless Stop was never called, which would be a bug in the owner.
  for (std::thread& t : threads_) {
    if (t.joinable()) t.detach();
  }
}

bool WorkerPool::Submit(std::function<void()> task, bool first) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    if (first) {
      queue_.push_front(std::move(task));
    } else {
      queue_.push_back(std::move(task));
    }
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::Stop() {
  std::deque<std::function<void()>> dropped;
  std::vector<std::thread> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    dropped.swap(queue_);
    for (size_t i = 0; i < threads_.size(); ++i) {
      if (!threads_[i].joinable()) continue;
      // A busy thread (or this one, when a task stops its own pool) cannot be waited for.
      if (busy_[i] || threads_[i].get_id() == std::this_thread::get_id()) {
        threads_[i].detach();
      } else {
        idle.push_back(std::move(threads_[i]));
      }
    }
  }
  cv_.notify_all();
  dropped.clear();  // outside the lock: a task's captures may do anything when destroyed
  for (std::thread& t : idle) t.join();
}

void WorkerPool::Run(size_t index) {
  // Named so that top -H, perf and the benchmarks can tell handler time from the io threads' and
  // the rest of the process's.
  pthread_setname_np(pthread_self(), "http-handler");
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    busy_[index] = true;
    lock.unlock();
    try {
      task();
    } catch (...) {
      // A task's failure (out of memory) costs its request, not a thread of the pool.
    }
    task = nullptr;  // its captures go before the lock is taken again
    lock.lock();
    busy_[index] = false;
  }
}

}  // namespace edgerepl::httpserver
