// A token bucket (client-go's flowcontrol/workqueue BucketRateLimiter): `qps` tokens per second,
// at most `burst` saved up. Reserve() takes a token and says how long to wait before using it, so
// callers may sleep (REST client) or schedule (work queue).
#pragma once

#include <chrono>
#include <mutex>

#include "common/clock.h"

namespace edgerepl::kube {

class TokenBucket {
 public:
  // qps <= 0 disables limiting. `clock` must outlive the bucket.
  TokenBucket(double qps, int burst, const Clock& clock);

  // Takes one token (possibly going into debt) and returns the wait before it may be used.
  std::chrono::nanoseconds Reserve();
  // Reserve() then sleep on `clock`.
  void Wait(Clock& clock);

 private:
  const double qps_;
  const double burst_;
  const Clock& clock_;
  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace edgerepl::kube
