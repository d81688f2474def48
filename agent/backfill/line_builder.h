// Rows read back from the local database turned into line protocol, so the remote stores exactly
// what the local holds: the field's stored type (float, integer `i`, unsigned `u`, string,
// boolean), tag and field keys escaped as InfluxDB parses them, nanosecond timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgerepl::backfill {

enum class FieldType { kFloat, kInteger, kUnsigned, kString, kBoolean };

// InfluxQL's names (SHOW FIELD KEYS' fieldType): float, integer, unsigned, string, boolean.
std::optional<FieldType> ParseFieldType(std::string_view name);
std::string_view FieldTypeName(FieldType type);

// One field of a row as the /query answer holds it: a number's text as influxd printed it, a
// string unescaped, a boolean as "true"/"false".
struct FieldValue {
  std::string key;
  FieldType type = FieldType::kFloat;
  std::string value;
};

// Appends `measurement[,tag=value…] field=value[,…] <time_ns>\n`. Tags are written in the order
// given (the caller sorts them as InfluxDB does); empty tag values are left out, as InfluxDB has
// no tag with an empty value. Nothing is appended when `fields` is empty.
void AppendLine(std::string_view measurement,
                const std::vector<std::pair<std::string, std::string>>& tags,
                const std::vector<FieldValue>& fields, std::string_view time_ns, std::string* out);

}  // namespace edgerepl::backfill
