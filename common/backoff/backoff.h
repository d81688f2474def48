// Exponential backoff with full jitter: the n-th consecutive failure waits a uniform random time in
// [0, min(max, min * 2^n)]. Full jitter spreads a fleet of edges that
// lost the same remote at once. Reset() after a success starts over at `min`.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace edgerepl {

class Backoff {
 public:
  // `random` must outlive this object.
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, Random& random);

  // The delay before the next attempt; each call doubles the ceiling up to `max`.
  std::chrono::milliseconds NextBackOff();
  void Reset() { ceiling_ms_ = min_ms_; }

  std::chrono::milliseconds max() const { return std::chrono::milliseconds(max_ms_); }

 private:
  const uint64_t min_ms_;
  const uint64_t max_ms_;
  uint64_t ceiling_ms_;
  Random& random_;
};

}  // namespace edgerepl
