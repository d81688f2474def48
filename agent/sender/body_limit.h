// What a remote's 413 taught the sender: the largest request body it took since it refused a
// bigger one. Batches are built at that size instead of the configured batch.maxBytes, so an
// oversized batch size costs one split, not a 413 and a split on every batch. The limit grows back
// by doubling once every kBodyLimitGrowAfter without a 413, up to batch.maxBytes (a remote's limit
// may have been raised), so a remote whose limit stays costs at most one 413 per that interval.
// In memory only: a restart starts from batch.maxBytes again. Thread-safe (pipelined requests).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>

#include "common/clock.h"

namespace edgerepl::sender {

inline constexpr std::chrono::minutes kBodyLimitGrowAfter{10};

class BodyLimit {
 public:
  // `clock` is borrowed and must outlive this object.
  explicit BodyLimit(const Clock& clock, std::chrono::nanoseconds grow_after = kBodyLimitGrowAfter)
      : clock_(clock), grow_after_(grow_after) {}

  // The byte limit for the next batch: `configured`, or less after a 413.
  size_t Limit(size_t configured);
  // A 413 for a body of `bytes`; returns the limit batches are built at from now on.
  size_t Refused(size_t bytes);
  // A 2xx for a body of `bytes`.
  void Accepted(size_t bytes);

 private:
  const Clock& clock_;
  const std::chrono::nanoseconds grow_after_;
  std::mutex mu_;
  size_t limit_ = 0;    // GUARDED_BY(mu_); 0: none learned, batch.maxBytes applies
  size_t refused_ = 0;  // GUARDED_BY(mu_); smallest body refused since the limit last grew
  std::chrono::steady_clock::time_point since_;  // GUARDED_BY(mu_); last 413 or growth
};

}  // namespace edgerepl::sender
