#include "common/codec/rfc3339.h"

#include <cstdio>

namespace edgerepl::codec {

std::string FormatRfc3339(int64_t unix_nanos, Fraction fraction) {
  using namespace std::chrono;
  constexpr int64_t kNanosPerDay = int64_t{86'400} * 1'000'000'000;
  int64_t days = unix_nanos / kNanosPerDay;
  int64_t in_day = unix_nanos % kNanosPerDay;
  if (in_day < 0) {
    in_day += kNanosPerDay;
    --days;
  }
  const year_month_day ymd{sys_days(std::chrono::days(days))};
  const int64_t secs = in_day / 1'000'000'000;
  const int64_t nanos = in_day % 1'000'000'000;

  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(secs / 3600),
                        int(secs / 60 % 60), int(secs % 60));
  std::string out(buf, static_cast<size_t>(n));
  switch (fraction) {
    case Fraction::kNone:
      break;
    case Fraction::kMillis:
      std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(nanos / 1'000'000));
      out += buf;
      break;
    case Fraction::kMicros:
      std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(nanos / 1'000));
      out += buf;
      break;
    case Fraction::kTrimmed:
      if (nanos != 0) {
        n = std::snprintf(buf, sizeof buf, ".%09d", static_cast<int>(nanos));
        while (buf[n - 1] == '0') --n;
        out.append(buf, static_cast<size_t>(n));
      }
      break;
  }
  out += 'Z';
  return out;
}

std::string FormatRfc3339(std::chrono::system_clock::time_point t, Fraction fraction) {
  return FormatRfc3339(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(), fraction);
}

}  // namespace edgerepl::codec
