// Points in time in the config file (a backfill's range) are RFC 3339 strings, as InfluxQL and the
// influx CLI write them: "2026-01-01T00:00:00Z", with optional fractional seconds (up to
// nanoseconds) and a "Z" or "+hh:mm" / "-hh:mm" offset. Held as nanoseconds since the Unix epoch,
// the resolution of line-protocol timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgerepl::config {

// nullopt when the text is not an RFC 3339 date-time or lies outside InfluxDB's time range
// (1677-09-21T00:12:43.145224194Z .. 2262-04-11T23:47:16.854775806Z).
std::optional<int64_t> ParseTimestamp(std::string_view text);

// UTC with "Z", fractional seconds only as many digits as needed: ParseTimestamp reads it back to
// the same value.
std::string FormatTimestamp(int64_t unix_nanos);

}  // namespace edgerepl::config
