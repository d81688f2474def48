// Query strings as HTML forms and Go's net/url encode them (what InfluxDB's clients send): pairs
// split on '&', "%XX" escapes, '+' for a space.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgerepl::codec {

// A query parameter's decoded value, or nullopt when absent. The first occurrence wins, as in Go's
// url.Values.Get (what InfluxDB uses); "flag" with no '=' has the value "".
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

// "%XX" decoded and '+' as a space. A '%' not followed by two hex digits is kept as it is, where
// Go would refuse the whole query: a name that cannot match anything is answer enough.
std::string QueryUnescape(std::string_view s);

}  // namespace edgerepl::codec
