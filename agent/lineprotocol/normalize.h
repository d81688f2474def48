// Validates a whole write body and rewrites it into the form queued for replication: one point
// per line, every timestamp in nanoseconds, '\n' line ends, no comments or blank lines, and
// optionally one extra tag. Everything else keeps its bytes (leading whitespace included, which
// InfluxDB's line splitting can depend on), so the local and the remote copy of a point are
// identical, and normalizing the output again changes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/lineprotocol/precision.h"
#include "common/status.h"

namespace edgerepl::lp {

struct NormalizeOptions {
  Precision precision = Precision::kNanoseconds;
  int64_t now_ns = 0;  // timestamp for lines without one (already in ns)
  // e.g. "_instance_id"; empty = none. Inserted before the first tag whose key sorts after it
  // (so in sorted position when the tags are sorted); a line that already has the key is
  // invalid. Key and value are given unescaped and are escaped here.
  std::string_view extra_tag_key;
  std::string_view extra_tag_value;
};

struct NormalizeStats {
  uint64_t points = 0;  // lines holding a point
  uint64_t lines = 0;   // all lines of the body, blank lines and comments included
};

// Validates every line; on success appends the normalized body to *out. On the first invalid
// line returns InvalidArgument "unable to parse '<line>': line <n>: <reason>" (n counts physical
// lines from 1; the line is cut at 1 KiB); *out is unspecified then.
// Lines without a timestamp get now_ns truncated to `precision`, as InfluxDB does.
// Allocation: one reserve of *out sized for the worst case; nothing per line.
Result<NormalizeStats> Normalize(std::string_view body, const NormalizeOptions& options,
                                 std::string* out);

}  // namespace edgerepl::lp
