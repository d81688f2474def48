// A rate-limited, de-duplicating work queue of keys ("namespace/name"), with client-go's
// guarantees: a key is queued at most once however often it is added; a key being processed is
// never handed to a second worker, and if it was added meanwhile it is queued again at Done().
// Delayed adds (AddAfter, AddRateLimited) wait in a timer heap. Metrics use the standard
// `workqueue_*` names with label `name`.
//
// Worker loop:
//   while (auto key = q.Get()) {
//     Status s = Reconcile(*key);
//     if (s.ok()) q.Forget(*key); else q.AddRateLimited(*key);
//     q.Done(*key);
//   }
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "operator/kube/rate_limiter.h"

namespace edgerepl::kube {

class WorkQueue {
 public:
  // `clock` must outlive the queue; `registry` may be null; `limiter` null means
  // DefaultControllerRateLimiter.
  WorkQueue(std::string name, const Clock& clock, prometheus::Registry* registry = nullptr,
            RateLimiterPtr limiter = nullptr);
  ~WorkQueue();  // ShutDown()
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  // Adds after `delay` (now when <= 0). Pending delayed adds of one key keep the earliest.
  void AddAfter(const std::string& key, std::chrono::nanoseconds delay);
  // AddAfter(key, limiter.When(key)); counts a retry.
  void AddRateLimited(const std::string& key);
  // Resets the key's backoff (call after a successful reconcile).
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key);

  // Blocks until a key is ready or the queue shuts down (nullopt). The caller owns the key until
  // Done(key).
  std::optional<std::string> Get();
  void Done(const std::string& key);

  // Wakes every Get(); keys still queued are dropped, delayed adds discarded.
  void ShutDown();
  bool ShuttingDown() const;
  // Keys ready to be handed out (not those being processed or delayed).
  size_t Len() const;

 private:
  struct Delayed {
    std::chrono::steady_clock::time_point ready_at;
    std::string key;
    bool operator>(const Delayed& o) const { return ready_at > o.ready_at; }
  };
  void AddLocked(const std::string& key);
  void DelayLoop();

  const std::string name_;
  const Clock& clock_;
  RateLimiterPtr limiter_;

  mutable std::mutex mu_;
  std::condition_variable cv_;        // Get() waiters
  std::condition_variable delay_cv_;  // the delay thread
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;  // queued or to be re-queued at Done
  std::set<std::string> processing_;
  std::map<std::string, std::chrono::steady_clock::time_point> added_at_;
  std::map<std::string, std::chrono::steady_clock::time_point> started_at_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  std::map<std::string, std::chrono::steady_clock::time_point> delayed_at_;
  bool shutting_down_ = false;
  std::thread delay_thread_;

  prometheus::Gauge* depth_ = nullptr;
  prometheus::Counter* adds_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
  prometheus::Histogram* queue_duration_ = nullptr;
  prometheus::Histogram* work_duration_ = nullptr;
};

}  // namespace edgerepl::kube
