// What the sender does with one remote answer: DESIGN.md §4's table as a pure function, so the
// table is tested row by row (tests/unit/sender/classify_test.cc) without a network.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/http/client.h"

namespace edgerepl::sender {

enum class Action {
  kSuccess,       // 2xx: advance the cursor
  kNonRetryable,  // 400, 422: bisect-and-drop or stall, per dropNonRetryableData
  kTooLarge,      // 413: halve and resend; one line too big is non-retryable
  kUnauthorized,  // 401, 403: back off; state Unauthorized
  kNotFound,      // 404: back off; state NotFound
  kThrottled,     // 429, 503: Retry-After when given, else back off
  kRetry,         // other statuses (5xx, 3xx, 1xx), timeouts, connection errors: back off
};

struct Decision {
  Action action;
  // Only for kThrottled with a usable Retry-After header: the server's wait, already capped.
  std::optional<std::chrono::milliseconds> retry_after;
};

// `status` 0 means a transport error (no HTTP answer). `now` resolves a Retry-After HTTP date;
// `cap` bounds any Retry-After (backoff.max × 10) so a broken server cannot park us for days.
Decision Classify(int status, const http::Headers& headers,
                  std::chrono::system_clock::time_point now, std::chrono::milliseconds cap);

// Parses a Retry-After value: delay-seconds or an IMF-fixdate / RFC 850 / asctime HTTP date
// (a date in the past is zero). nullopt when unparsable. The result is capped at `cap`.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now,
                                                         std::chrono::milliseconds cap);

// How long to wait after a throttled or failed answer: the backoff step, or the server's
// Retry-After when that is longer. A Retry-After of 0, a negative one (unparsable: no value) or a
// date already past (a skewed clock at either end) would otherwise let every answer be retried
// at once, about 20 requests a second; the floor keeps the retry rate at the backoff's.
// `retry_after` is already capped (Classify), and `backoff_step` never exceeds backoff.max.
std::chrono::milliseconds RetryDelay(std::optional<std::chrono::milliseconds> retry_after,
                                     std::chrono::milliseconds backoff_step);

std::string_view ActionName(Action action);

}  // namespace edgerepl::sender
