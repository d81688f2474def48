// Durations in the config file are strings: a sequence of <integer><unit> with units ms, s, m, h
// ("250ms", "30s", "24h", "1h30m"), or "0". Millisecond resolution is all the agent needs.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace edgerepl::config {

// nullopt when the text is not a duration (empty, no unit, unknown unit, overflow, negative).
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The shortest form ParseDuration reads back to the same value: "1h30m", "250ms", "0s".
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace edgerepl::config
