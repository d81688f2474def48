// Validates one line of InfluxDB line protocol without copying it, with the acceptance rules of
// InfluxDB 2.x's models package (scanKey, scanFields, scanTime, walkFields), and records where
// the measurement, tags, fields and timestamp are so the normalizer can rewrite the line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/lineprotocol/precision.h"

namespace edgerepl::lp {

// Longest measurement+tags key InfluxDB stores (models.MaxKeyLength).
inline constexpr size_t kMaxKeyLength = 65535;
// InfluxDB 2.x stores each field as its own series key: 16 bytes of org and bucket ID, two
// 3-byte separators, the measurement+tags key and the field key (pointsParser.newV2Key).
inline constexpr size_t kV2SeriesKeyOverhead = 16 + 3 + 3;

// Offsets into the scanned line. A tag key is [key_begin, key_end) (escaped, key_end is its '='),
// its value (key_end, value_end).
struct TagSpan {
  uint32_t key_begin;
  uint32_t key_end;
  uint32_t value_end;
};

struct ScannedPoint {
  size_t measurement_end = 0;  // the ',' or ' ' after the (escaped) measurement
  size_t key_end = 0;          // the ' ' after measurement and tags
  size_t fields_begin = 0;
  size_t fields_end = 0;  // one past the last byte of the field set
  size_t field_count = 0;
  bool has_timestamp = false;
  int64_t timestamp_ns = 0;  // valid when has_timestamp
  size_t timestamp_begin = 0;
  size_t timestamp_end = 0;
};

class Scanner {
 public:
  // Scans `line`: one line as FindLineEnd delimits it, without its '\n', with leading
  // whitespace removed; not empty and not a comment. Returns true when InfluxDB would accept
  // it; otherwise false with InfluxDB's reason in *error (e.g. "missing fields").
  // The timestamp, if any, is read in `precision` and checked against the representable range.
  bool Scan(std::string_view line, Precision precision, ScannedPoint* point, std::string* error);

  // The tags of the last successful Scan, in the order written. Reused between calls so a
  // long-lived Scanner does not allocate per line.
  const std::vector<TagSpan>& tags() const { return tags_; }

 private:
  bool CheckDuplicateTags(std::string_view line, std::string* error);

  std::vector<TagSpan> tags_;
  std::vector<uint32_t> order_;
};

// Index of the first byte at or after i that is not a space, tab or NUL (the whitespace InfluxDB
// skips before a line, its fields and its timestamp).
size_t SkipWhitespace(std::string_view s, size_t i);

}  // namespace edgerepl::lp
