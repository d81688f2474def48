#include "agent/lineprotocol/split.h"

#include <algorithm>

#include "agent/lineprotocol/line_end.h"

namespace edgerepl::lp {

std::vector<std::string_view> SplitLines(std::string_view body, size_t max_bytes,
                                         size_t max_points) {
  std::vector<std::string_view> chunks;
  size_t chunk_begin = 0;
  size_t chunk_points = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t next = std::min(FindLineEnd(body, pos) + 1, body.size());
    const bool too_many = max_points != 0 && chunk_points + 1 > max_points;
    const bool too_big = max_bytes != 0 && next - chunk_begin > max_bytes;
    if (chunk_points > 0 && (too_many || too_big)) {
      chunks.push_back(body.substr(chunk_begin, pos - chunk_begin));
      chunk_begin = pos;
      chunk_points = 0;
    }
    ++chunk_points;
    pos = next;
  }
  if (chunk_points > 0) chunks.push_back(body.substr(chunk_begin));
  return chunks;
}

}  // namespace edgerepl::lp
