// The backfill's rate limit (maxPointsPerSecond) as a token bucket on the Clock seam: a window of
// n points takes n tokens, and the bucket answers how long to wait before the next window may be
// read. It allows debt, so a window bigger than the burst is not refused but paid for afterwards.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace edgerepl::backfill {

class TokenBucket {
 public:
  // `clock` is borrowed. The bucket starts full: `burst` tokens.
  TokenBucket(const Clock& clock, uint64_t per_second, uint64_t burst);

  void SetRate(uint64_t per_second, uint64_t burst);
  // Takes `n` tokens (possibly into debt).
  void Take(uint64_t n);
  // How long until the bucket is out of debt; zero when it is not in debt.
  std::chrono::nanoseconds Wait();

 private:
  void Refill();

  const Clock& clock_;
  double per_second_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace edgerepl::backfill
