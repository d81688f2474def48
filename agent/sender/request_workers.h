// A fixed set of long-lived threads that run the sender's requests. A thread per request
// (std::async) cost a thread start and exit per batch and threw away each thread's gzip compressor
// and malloc arena with it; these threads keep both across batches.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace edgerepl::sender {

class RequestWorkers {
 public:
  // Up to `threads` jobs run at once; threads start on first use.
  explicit RequestWorkers(int threads) : max_threads_(threads < 1 ? 1 : threads) {}
  ~RequestWorkers();  // runs the jobs already submitted, then joins
  RequestWorkers(const RequestWorkers&) = delete;
  RequestWorkers& operator=(const RequestWorkers&) = delete;

  template <typename F>
  std::future<std::invoke_result_t<F>> Submit(F job) {
    auto task = std::make_shared<std::packaged_task<std::invoke_result_t<F>()>>(std::move(job));
    std::future<std::invoke_result_t<F>> result = task->get_future();
    Enqueue([task] { (*task)(); });
    return result;
  }

 private:
  void Enqueue(std::function<void()> job);
  void Loop();

  const int max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // GUARDED_BY(mu_)
  int idle_ = 0;                            // GUARDED_BY(mu_)
  bool stop_ = false;                       // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;        // GUARDED_BY(mu_)
};

}  // namespace edgerepl::sender
