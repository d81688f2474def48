// Backslash escaping of line-protocol names and values, with InfluxDB's exact sets: a
// measurement or field key unescapes `\,` `\ ` `\=` `\"` (pkg/escape), a tag key or value `\,`
// `\ ` `\=`, a string field value `\\` and `\"`. Any other backslash stays as it is.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::lp {

// Appends the unescaped measurement or field key.
void AppendUnescapedName(std::string_view s, std::string* out);
// Appends the unescaped tag key or tag value.
void AppendUnescapedTag(std::string_view s, std::string* out);
// Appends the unescaped content of a string field value (without its quotes).
void AppendUnescapedString(std::string_view s, std::string* out);
// Appends `s` with ',', ' ' and '=' escaped, usable as a tag key or value.
void AppendEscapedTag(std::string_view s, std::string* out);

}  // namespace edgerepl::lp
