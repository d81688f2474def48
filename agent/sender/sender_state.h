// A replication's delivery state as the admin API (DESIGN.md §6) and the state gauge name it.
#pragma once

#include <array>
#include <string_view>

namespace edgerepl::sender {

enum class State {
  kReplicating,   // sending, last attempt succeeded
  kIdle,          // nothing pending
  kBackoff,       // waiting after a retryable failure (5xx, 429, transport error)
  kUnauthorized,  // remote answered 401 or 403
  kNotFound,      // remote answered 404 (bucket or org missing)
  kStalled,       // remote refuses the head batch (400/422) and dropping is not allowed
  kQueueFull,     // the local queue is at its limit: new writes are dropped or rejected
  kSuspended,     // suspend: true, queueing continues, nothing is sent
};

inline constexpr std::array<State, 8> kAllStates = {
    State::kReplicating, State::kIdle,    State::kBackoff,   State::kUnauthorized,
    State::kNotFound,    State::kStalled, State::kQueueFull, State::kSuspended};

inline std::string_view StateName(State s) {
  switch (s) {
    case State::kReplicating:
      return "Replicating";
    case State::kIdle:
      return "Idle";
    case State::kBackoff:
      return "Backoff";
    case State::kUnauthorized:
      return "Unauthorized";
    case State::kNotFound:
      return "NotFound";
    case State::kStalled:
      return "Stalled";
    case State::kQueueFull:
      return "QueueFull";
    case State::kSuspended:
      return "Suspended";
  }
  return "Unknown";
}

// Drop reasons the sender reports; the queue's own reasons (queue_full, expired, corrupt) live
// with the queue.
inline constexpr std::string_view kDropNonRetryable = "non_retryable";
inline constexpr std::string_view kDropSkipped = "skipped";

}  // namespace edgerepl::sender
