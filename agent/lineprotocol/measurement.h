// The measurement of a line, for per-replication measurement filters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgerepl::lp {

// Measurement of one normalized line, unescaped as InfluxDB stores it ("a\ b,t=1 f=1" -> "a b").
std::string Measurement(std::string_view line);

// Appends to *out the lines of `normalized` (Normalize's output) whose measurement is in
// `allowed`, each with its '\n'. Returns the number of lines (points) kept.
uint64_t FilterByMeasurement(std::string_view normalized, const std::vector<std::string>& allowed,
                             std::string* out);

}  // namespace edgerepl::lp
