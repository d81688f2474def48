// InfluxDB's error bodies for the write path: 2.x's shape for /api/v2/write, 1.x's for /write.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::lp {

// {"code":"<code>","message":"<message>"} with JSON string escaping. Bytes that are not valid
// UTF-8 (a line echoed in a message may hold anything) become U+FFFD, as Go's encoder does, so
// the body is always valid JSON.
std::string ErrorJson(std::string_view code, std::string_view message);

// {"error":"<message>"} and a newline: InfluxDB 1.x's error body (the v1 /write endpoint),
// byte for byte as influxd writes it; same escaping.
std::string ErrorJsonV1(std::string_view message);

}  // namespace edgerepl::lp
