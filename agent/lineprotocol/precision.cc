#include "agent/lineprotocol/precision.h"

namespace edgerepl::lp {

std::optional<Precision> ParsePrecisionV2(std::string_view s) {
  if (s.empty() || s == "ns") return Precision::kNanoseconds;
  if (s == "us") return Precision::kMicroseconds;
  if (s == "ms") return Precision::kMilliseconds;
  if (s == "s") return Precision::kSeconds;
  return std::nullopt;
}

std::optional<Precision> ParsePrecisionV1(std::string_view s) {
  if (s.empty() || s == "n" || s == "ns") return Precision::kNanoseconds;
  if (s == "u" || s == "us") return Precision::kMicroseconds;
  if (s == "ms") return Precision::kMilliseconds;
  if (s == "s") return Precision::kSeconds;
  if (s == "m") return Precision::kMinutes;
  if (s == "h") return Precision::kHours;
  return std::nullopt;
}

int64_t NanosPerUnit(Precision p) {
  switch (p) {
    case Precision::kNanoseconds:
      return 1;
    case Precision::kMicroseconds:
      return 1'000;
    case Precision::kMilliseconds:
      return 1'000'000;
    case Precision::kSeconds:
      return 1'000'000'000;
    case Precision::kMinutes:
      return 60LL * 1'000'000'000;
    case Precision::kHours:
      return 3600LL * 1'000'000'000;
  }
  return 1;
}

std::optional<int64_t> ToNanos(int64_t value, Precision p) {
  int64_t ns;
  if (__builtin_mul_overflow(value, NanosPerUnit(p), &ns)) return std::nullopt;
  if (ns < kMinNanoTime || ns > kMaxNanoTime) return std::nullopt;
  return ns;
}

int64_t TruncateToPrecision(int64_t ns, Precision p) {
  const int64_t unit = NanosPerUnit(p);
  int64_t r = ns % unit;
  if (r < 0) r += unit;
  return ns - r;
}

}  // namespace edgerepl::lp
