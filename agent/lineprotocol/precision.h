// Timestamp precisions of the write APIs and their conversion to nanoseconds, with InfluxDB's
// representable range.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace edgerepl::lp {

enum class Precision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// InfluxDB keeps the two lowest int64 values and the highest as sentinels, so a point may carry
// neither (models.MinNanoTime / MaxNanoTime).
inline constexpr int64_t kMinNanoTime = std::numeric_limits<int64_t>::min() + 2;
inline constexpr int64_t kMaxNanoTime = std::numeric_limits<int64_t>::max() - 1;

// /api/v2/write: "" -> ns; ns|us|ms|s. Anything else is nullopt.
std::optional<Precision> ParsePrecisionV2(std::string_view s);
// /write (1.x): "" -> ns; n|ns|u|us|ms|s|m|h. Anything else is nullopt.
std::optional<Precision> ParsePrecisionV1(std::string_view s);

// Nanoseconds in one unit of `p`.
int64_t NanosPerUnit(Precision p);

// `value` units of `p` as nanoseconds; nullopt when the product overflows int64 or falls outside
// [kMinNanoTime, kMaxNanoTime].
std::optional<int64_t> ToNanos(int64_t value, Precision p);

// Rounds a nanosecond time down to a multiple of the unit, as InfluxDB does with the server time
// it gives points written without a timestamp.
int64_t TruncateToPrecision(int64_t ns, Precision p);

}  // namespace edgerepl::lp
