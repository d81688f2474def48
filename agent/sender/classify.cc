#include "agent/sender/classify.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace edgerepl::sender {

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now,
                                                         std::chrono::milliseconds cap) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    // Long digit strings would overflow; anything past the cap is the cap.
    if (value.size() > 9) return cap;
    int64_t seconds = std::stoll(std::string(value));
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), cap);
  }
  // The three date forms RFC 9110 §5.6.7 requires recipients to accept, always in GMT.
  static constexpr const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT",
                                             "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"};
  std::string text(value);
  for (const char* format : kFormats) {
    struct tm tm = {};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    time_t when = timegm(&tm);
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::from_time_t(when) - now);
    if (delay.count() < 0) delay = std::chrono::milliseconds(0);
    return std::min(delay, cap);
  }
  return std::nullopt;
}

Decision Classify(int status, const http::Headers& headers,
                  std::chrono::system_clock::time_point now, std::chrono::milliseconds cap) {
  if (status >= 200 && status < 300) return {Action::kSuccess, std::nullopt};
  switch (status) {
    case 400:
    case 422:
      return {Action::kNonRetryable, std::nullopt};
    case 413:
      return {Action::kTooLarge, std::nullopt};
    case 401:
    case 403:
      return {Action::kUnauthorized, std::nullopt};
    case 404:
      return {Action::kNotFound, std::nullopt};
    case 429:
    case 503: {
      const std::string* value = http::FindHeader(headers, "Retry-After");
      if (value == nullptr) return {Action::kThrottled, std::nullopt};
      return {Action::kThrottled, ParseRetryAfter(*value, now, cap)};
    }
    default:
      return {Action::kRetry, std::nullopt};
  }
}

std::chrono::milliseconds RetryDelay(std::optional<std::chrono::milliseconds> retry_after,
                                     std::chrono::milliseconds backoff_step) {
  if (!retry_after.has_value()) return backoff_step;
  return std::max(*retry_after, backoff_step);
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kSuccess:
      return "success";
    case Action::kNonRetryable:
      return "non_retryable";
    case Action::kTooLarge:
      return "too_large";
    case Action::kUnauthorized:
      return "unauthorized";
    case Action::kNotFound:
      return "not_found";
    case Action::kThrottled:
      return "throttled";
    case Action::kRetry:
      return "retry";
  }
  return "unknown";
}

}  // namespace edgerepl::sender
