// JSON string literals (RFC 8259), the one escaper for everything the agent and the operator write
// as JSON by hand: the admin API, InfluxDB's error bodies on the write path and the JSON log.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::codec {

// Appends `s` to `out` as a quoted JSON string: '"' and '\' escaped, newline, carriage return and
// tab in their short forms, every other byte below 0x20 as \u00XX. Bytes that do not form
// well-formed UTF-8 become U+FFFD each, so the text written parses whatever the input held (a
// client's request path, a line of a rejected body).
void AppendJsonString(std::string_view s, std::string& out);

std::string JsonString(std::string_view s);

}  // namespace edgerepl::codec
