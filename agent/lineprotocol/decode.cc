#include "agent/lineprotocol/decode.h"

#include "agent/lineprotocol/escape.h"
#include "agent/lineprotocol/scanner.h"

namespace edgerepl::lp {
namespace {

FieldType TypeOf(std::string_view value) {
  switch (value[0]) {
    case '"':
      return FieldType::kString;
    case 't':
    case 'T':
    case 'f':
    case 'F':
      return FieldType::kBoolean;
    default:
      break;
  }
  if (value.back() == 'i') return FieldType::kInteger;
  if (value.back() == 'u') return FieldType::kUnsigned;
  return FieldType::kFloat;
}

}  // namespace

Result<DecodedPoint> DecodeLine(std::string_view line, Precision precision) {
  line = line.substr(SkipWhitespace(line, 0));
  Scanner scanner;
  ScannedPoint p;
  std::string error;
  if (!scanner.Scan(line, precision, &p, &error)) return Status::InvalidArgument(error);

  DecodedPoint out;
  AppendUnescapedName(line.substr(0, p.measurement_end), &out.measurement);
  for (const TagSpan& t : scanner.tags()) {
    std::pair<std::string, std::string> tag;
    AppendUnescapedTag(line.substr(t.key_begin, t.key_end - t.key_begin), &tag.first);
    AppendUnescapedTag(line.substr(t.key_end + 1, t.value_end - t.key_end - 1), &tag.second);
    out.tags.push_back(std::move(tag));
  }
  // The fields split as InfluxDB's field iterator splits them (scanTo '=', scanFieldValue).
  std::string_view fields = line.substr(p.fields_begin, p.fields_end - p.fields_begin);
  while (!fields.empty()) {
    size_t i = 0;
    while (i < fields.size() && !(fields[i] == '=' && (i == 0 || fields[i - 1] != '\\'))) ++i;
    DecodedField f;
    AppendUnescapedName(fields.substr(0, i), &f.key);
    fields.remove_prefix(std::min(i + 1, fields.size()));
    bool quoted = false;
    i = 0;
    while (i < fields.size()) {
      if (fields[i] == '\\' && i + 1 < fields.size() &&
          (fields[i + 1] == '"' || fields[i + 1] == '\\')) {
        i += 2;
        continue;
      }
      if (fields[i] == '"') quoted = !quoted;
      if (fields[i] == ',' && !quoted) break;
      ++i;
    }
    const std::string_view value = fields.substr(0, i);
    fields.remove_prefix(std::min(i + 1, fields.size()));
    if (value.empty()) continue;
    f.type = TypeOf(value);
    switch (f.type) {
      case FieldType::kString:
        AppendUnescapedString(value.substr(1, value.size() >= 2 ? value.size() - 2 : 0), &f.value);
        break;
      case FieldType::kBoolean:
        f.value = (value[0] == 't' || value[0] == 'T') ? "true" : "false";
        break;
      case FieldType::kInteger:
      case FieldType::kUnsigned:
        f.value = value.substr(0, value.size() - 1);
        break;
      case FieldType::kFloat:
        f.value = value;
        break;
    }
    out.fields.push_back(std::move(f));
  }
  out.has_timestamp = p.has_timestamp;
  out.timestamp_ns = p.timestamp_ns;
  return out;
}

}  // namespace edgerepl::lp
