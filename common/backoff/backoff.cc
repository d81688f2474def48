#include "common/backoff/backoff.h"

#include <algorithm>

namespace edgerepl {

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, Random& random)
    : min_ms_(std::max<int64_t>(1, min.count())),
      max_ms_(std::max<uint64_t>(min_ms_, std::max<int64_t>(1, max.count()))),
      ceiling_ms_(min_ms_),
      random_(random) {}

std::chrono::milliseconds Backoff::NextBackOff() {
  uint64_t ceiling = ceiling_ms_;
  ceiling_ms_ = std::min(max_ms_, ceiling_ms_ * 2);
  // Full jitter: uniform in [0, ceiling], so the expected wait is half the ceiling.
  return std::chrono::milliseconds(random_.Uniform(ceiling + 1));
}

}  // namespace edgerepl
