// Decodes one line into the measurement, tags, fields and timestamp InfluxDB would store, with
// all escapes removed. Not on the write path (which never needs values); used to check that a
// normalized point means what the original meant, e.g. against what a real InfluxDB returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/lineprotocol/field_value.h"
#include "agent/lineprotocol/precision.h"
#include "common/status.h"

namespace edgerepl::lp {

struct DecodedField {
  std::string key;
  FieldType type = FieldType::kFloat;
  // Strings: the unescaped content. Numbers: the text without its `i`/`u` suffix. Booleans:
  // "true" or "false".
  std::string value;
};

struct DecodedPoint {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;  // as written, unescaped
  std::vector<DecodedField> fields;                       // as written, duplicates kept
  bool has_timestamp = false;
  int64_t timestamp_ns = 0;
};

// `line` as FindLineEnd delimits it (leading whitespace allowed, no '\n'). Invalid lines give
// InvalidArgument with the scanner's reason.
Result<DecodedPoint> DecodeLine(std::string_view line,
                                Precision precision = Precision::kNanoseconds);

}  // namespace edgerepl::lp
