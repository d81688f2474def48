#include "operator/kube/token_bucket.h"

#include <algorithm>

namespace edgerepl::kube {

TokenBucket::TokenBucket(double qps, int burst, const Clock& clock)
    : qps_(qps),
      burst_(std::max(1, burst)),
      clock_(clock),
      tokens_(std::max(1, burst)),
      last_(clock.Now()) {}

std::chrono::nanoseconds TokenBucket::Reserve() {
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard<std::mutex> lock(mu_);
  auto now = clock_.Now();
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  // Taking a token may go negative: the debt is the caller's wait, and later callers queue
  // behind it, so reservations are served in order at exactly `qps`.
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(-tokens_ / qps_ * 1e9));
}

void TokenBucket::Wait(Clock& clock) {
  auto d = Reserve();
  if (d > std::chrono::nanoseconds(0)) clock.SleepFor(d);
}

}  // namespace edgerepl::kube
