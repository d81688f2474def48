// One budget for the request bodies held in memory across all connections of a server. A body
// is read whole before its handler runs, so without it the memory a server may hold is
// connections × the body limit (1024 × 32 MiB); with it, about the budget.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace edgerepl::httpserver {

class BodyBudget {
 public:
  // `limit` 0: no budget (every Acquire succeeds at once).
  explicit BodyBudget(uint64_t limit) : limit_(limit) {}

  void SetLimit(uint64_t limit);
  // Takes `bytes` more for a request that holds `own` already, waiting up to `wait` for other
  // requests to give theirs back; false when they did not. What does not fit under the limit is
  // granted while no other request holds any, so one body over the whole budget (maxBodyBytes
  // above it) still gets through, alone.
  bool Acquire(uint64_t bytes, uint64_t own, std::chrono::milliseconds wait);
  void Release(uint64_t bytes);
  uint64_t held() const;
  uint64_t limit() const;

 private:
  bool FitsLocked(uint64_t bytes, uint64_t own) const;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t limit_;     // GUARDED_BY(mu_)
  uint64_t held_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace edgerepl::httpserver
