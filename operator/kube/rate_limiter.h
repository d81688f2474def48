// Per-key retry delays for the work queue (client-go's workqueue rate limiters). The controller
// default is the larger of a per-item exponential backoff (5 ms doubling to 1000 s) and an overall
// token bucket (10 qps, burst 100): one failing key backs off alone, and a storm of failures cannot
// exceed the overall rate.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "operator/kube/token_bucket.h"

namespace edgerepl::kube {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // The delay before `key` may be processed again; counts one more requeue of it.
  virtual std::chrono::nanoseconds When(const std::string& key) = 0;
  // The key succeeded: its backoff starts over.
  virtual void Forget(const std::string& key) = 0;
  virtual int NumRequeues(const std::string& key) = 0;
};
using RateLimiterPtr = std::unique_ptr<RateLimiter>;

// base * 2^requeues, capped at max.
class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  ItemExponentialRateLimiter(std::chrono::nanoseconds base, std::chrono::nanoseconds max);
  std::chrono::nanoseconds When(const std::string& key) override;
  void Forget(const std::string& key) override;
  int NumRequeues(const std::string& key) override;

 private:
  const std::chrono::nanoseconds base_;
  const std::chrono::nanoseconds max_;
  std::mutex mu_;
  std::map<std::string, int> failures_;
};

// Every When() takes a token; the delay is the wait for it. Forget is a no-op.
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, const Clock& clock) : bucket_(qps, burst, clock) {}
  std::chrono::nanoseconds When(const std::string&) override { return bucket_.Reserve(); }
  void Forget(const std::string&) override {}
  int NumRequeues(const std::string&) override { return 0; }

 private:
  TokenBucket bucket_;
};

// The largest delay of its members.
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<RateLimiterPtr> limiters);
  std::chrono::nanoseconds When(const std::string& key) override;
  void Forget(const std::string& key) override;
  int NumRequeues(const std::string& key) override;

 private:
  std::vector<RateLimiterPtr> limiters_;
};

// controller-runtime's default: max(exponential 5 ms..1000 s, bucket 10 qps / burst 100).
// `clock` must outlive the limiter.
RateLimiterPtr DefaultControllerRateLimiter(const Clock& clock);

}  // namespace edgerepl::kube
