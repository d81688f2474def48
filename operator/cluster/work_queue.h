// A de-duplicating work queue of keys ("namespace/name"): a key added while queued is queued
// once; a key added while being processed runs again after Done (never twice at once). Failed
// keys come back after a per-key exponential delay (5 ms doubling to 1000 s, reset by Forget), as
// client-go's default controller rate limiter. Metrics use the workqueue_* names.
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
#include <set>
#include <string>

namespace edgerepl::op {

class WorkQueue {
 public:
  // `registry` may be null.
  WorkQueue(std::string name, prometheus::Registry* registry);

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Re-adds after the key's next backoff delay.
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  // Blocks for the next key; nullopt after ShutDown.
  std::optional<std::string> Get();
  void Done(const std::string& key);
  void ShutDown();
  size_t Len() const;

 private:
  void AddLocked(const std::string& key);
  void PromoteDueLocked(std::chrono::steady_clock::time_point now);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_, processing_;
  std::multimap<std::chrono::steady_clock::time_point, std::string> delayed_;
  std::map<std::string, int> failures_;
  std::map<std::string, std::chrono::steady_clock::time_point> added_at_, started_at_;
  bool shutdown_ = false;

  prometheus::Gauge* depth_ = nullptr;
  prometheus::Counter* adds_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
  prometheus::Histogram* queue_duration_ = nullptr;
  prometheus::Histogram* work_duration_ = nullptr;
};

}  // namespace edgerepl::op
