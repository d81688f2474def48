#include "agent/backfill/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace edgerepl::backfill {

TokenBucket::TokenBucket(const Clock& clock, uint64_t per_second, uint64_t burst)
    : clock_(clock),
      per_second_(static_cast<double>(std::max<uint64_t>(per_second, 1))),
      burst_(static_cast<double>(burst)),
      tokens_(static_cast<double>(burst)),
      last_(clock.Now()) {}

void TokenBucket::SetRate(uint64_t per_second, uint64_t burst) {
  Refill();
  per_second_ = static_cast<double>(std::max<uint64_t>(per_second, 1));
  burst_ = static_cast<double>(burst);
  tokens_ = std::min(tokens_, burst_);
}

void TokenBucket::Refill() {
  auto now = clock_.Now();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  if (elapsed > 0) tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
}

void TokenBucket::Take(uint64_t n) {
  Refill();
  tokens_ -= static_cast<double>(n);
}

std::chrono::nanoseconds TokenBucket::Wait() {
  Refill();
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(std::ceil(-tokens_ / per_second_ * 1e9)));
}

}  // namespace edgerepl::backfill
