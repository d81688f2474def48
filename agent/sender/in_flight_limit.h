// How many requests the pipelined sender keeps out at once, adapted to the backlog and the remote
// (as Prometheus's queue manager adapts its shard count). It starts at one request, grows by one
// for each batch the remote took quickly while more batches were waiting for a slot, and falls
// back when the remote struggles:
// - a failed request (any refusal or transport error): back to one;
// - a slow answer (kSlowAnswer or more): one fewer; more requests would only queue at the remote;
// - nothing left waiting to be sent (the backlog is drained): back to one, so a steady stream of
//   writes goes out one request at a time, strictly in order.
// Only the sender thread uses it.
#pragma once

#include <algorithm>
#include <chrono>

namespace edgerepl::sender {

// An answer this slow means the remote is saturated (a 500 kB write takes milliseconds at a
// healthy one; a request times out after 30 s by default).
inline constexpr std::chrono::milliseconds kSlowAnswer{5000};

class InFlightLimit {
 public:
  // `max` is the ceiling (maxInFlight); `adaptive` false keeps the limit at `max` (fixed window).
  InFlightLimit(int max, bool adaptive) : max_(std::max(max, 1)), adaptive_(adaptive) {
    current_ = adaptive_ ? 1 : max_;
  }

  int current() const { return current_; }

  // The oldest request in flight was answered with success after `took`; `backlog`: batches were
  // waiting for a free slot when it was.
  void Succeeded(std::chrono::nanoseconds took, bool backlog) {
    if (!adaptive_) return;
    if (took >= kSlowAnswer) {
      current_ = std::max(current_ - 1, 1);
    } else if (backlog) {
      current_ = std::min(current_ + 1, max_);
    }
  }
  void Failed() {
    if (adaptive_) current_ = 1;
  }
  void Drained() {
    if (adaptive_) current_ = 1;
  }

 private:
  const int max_;
  const bool adaptive_;
  int current_;
};

}  // namespace edgerepl::sender
