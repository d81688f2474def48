// Cuts a body into chunks at line boundaries, for remote batches of bounded size.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace edgerepl::lp {

// Splits at line boundaries (FindLineEnd, so a quoted newline never splits a point) into chunks
// of at most max_bytes bytes and max_points lines; a single longer line becomes a chunk of its
// own. Each line keeps its '\n'; the chunks are views into `body` and concatenate back to it.
// A limit of 0 means no limit.
std::vector<std::string_view> SplitLines(std::string_view body, size_t max_bytes,
                                         size_t max_points);

}  // namespace edgerepl::lp
