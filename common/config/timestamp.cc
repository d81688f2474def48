#include "common/config/timestamp.h"

#include "common/codec/rfc3339.h"

#include <chrono>
#include <cstdio>
#include <limits>

namespace edgerepl::config {
namespace {

bool Digits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// InfluxDB's bounds (models.MinNanoTime and MaxNanoTime): the extremes of int64 are reserved.
constexpr int64_t kMinNanos = std::numeric_limits<int64_t>::min() + 2;
constexpr int64_t kMaxNanos = std::numeric_limits<int64_t>::max() - 1;

}  // namespace

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  size_t i = 19;
  int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits == 9) return std::nullopt;  // finer than a nanosecond
      frac = frac * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (size_t d = digits; d < 9; ++d) frac *= 10;
  }
  int64_t offset_seconds = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!Digits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !Digits(s, i + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_seconds = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // Far outside the int64 nanosecond range first, so the arithmetic below cannot overflow.
  if (year < 1677 || year > 2262) return std::nullopt;
  int64_t days = sys_days(ymd).time_since_epoch().count();
  __int128 total =
      (static_cast<__int128>(days) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds) *
          1'000'000'000 +
      frac;
  if (total < kMinNanos || total > kMaxNanos) return std::nullopt;
  return static_cast<int64_t>(total);
}

std::string FormatTimestamp(int64_t unix_nanos) {
  return codec::FormatRfc3339(unix_nanos, codec::Fraction::kTrimmed);
}

}  // namespace edgerepl::config
