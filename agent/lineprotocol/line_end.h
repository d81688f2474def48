// Where a line of a line-protocol body ends. InfluxDB does not simply split at '\n': a newline
// inside a quoted string field value, or one preceded by an escaping backslash, belongs to the
// line (models.scanLine). Every consumer of a body (normalize, filter, split) uses this one rule
// so they agree on line boundaries.
#pragma once

#include <cstddef>
#include <string_view>

namespace edgerepl::lp {

// Returns the index of the '\n' ending the line that starts at `pos`, or body.size() when the
// line runs to the end of the body. If `inner_newlines` is given, it receives the number of
// newlines inside the line (for counting physical lines). REQUIRES: pos <= body.size().
size_t FindLineEnd(std::string_view body, size_t pos, size_t* inner_newlines = nullptr);

}  // namespace edgerepl::lp
