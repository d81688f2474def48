// InfluxDB's error body for the write path.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::lp {

// {"code":"<code>","message":"<message>"} with JSON string escaping. Bytes that are not valid
// UTF-8 (a line echoed in a message may hold anything) become U+FFFD, as Go's encoder does, so
// the body is always valid JSON.
std::string ErrorJson(std::string_view code, std::string_view message);

}  // namespace edgerepl::lp
