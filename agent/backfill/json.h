// A small JSON reader for what the backfill reads: influxd's /query answers and the admin call's
// body. Numbers keep their text: a float field's value is written back to line protocol exactly as
// influxd printed it (Go's shortest round-trip form), and an int64 or uint64 never passes through
// a double.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgerepl::backfill {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // kNumber: as written; kString: unescaped
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;  // in document order

  // The member `key` of an object; nullptr when absent or this is not an object.
  const JsonValue* Find(std::string_view key) const;
  bool IsNull() const { return kind == Kind::kNull; }
};

// InvalidArgument naming the byte offset when `text` is not one JSON value.
Result<JsonValue> ParseJson(std::string_view text);

}  // namespace edgerepl::backfill
