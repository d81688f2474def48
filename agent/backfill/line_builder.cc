#include "agent/backfill/line_builder.h"

namespace edgerepl::backfill {
namespace {

template <typename Escaped>
void AppendEscaped(std::string_view s, std::string* out, Escaped escaped) {
  for (char c : s) {
    if (escaped(c)) out->push_back('\\');
    out->push_back(c);
  }
}

// What InfluxDB's writers escape: models.EscapeMeasurement (comma, space), escapeTag (comma,
// equals, space), and pkg/escape for field keys (those and the double quote).
void AppendMeasurement(std::string_view s, std::string* out) {
  AppendEscaped(s, out, [](char c) { return c == ',' || c == ' '; });
}
void AppendTag(std::string_view s, std::string* out) {
  AppendEscaped(s, out, [](char c) { return c == ',' || c == ' ' || c == '='; });
}
void AppendFieldKey(std::string_view s, std::string* out) {
  AppendEscaped(s, out, [](char c) { return c == ',' || c == ' ' || c == '=' || c == '"'; });
}
void AppendStringValue(std::string_view s, std::string* out) {
  out->push_back('"');
  AppendEscaped(s, out, [](char c) { return c == '"' || c == '\\'; });
  out->push_back('"');
}

}  // namespace

std::optional<FieldType> ParseFieldType(std::string_view name) {
  if (name == "float") return FieldType::kFloat;
  if (name == "integer") return FieldType::kInteger;
  if (name == "unsigned") return FieldType::kUnsigned;
  if (name == "string") return FieldType::kString;
  if (name == "boolean") return FieldType::kBoolean;
  return std::nullopt;
}

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kFloat:
      return "float";
    case FieldType::kInteger:
      return "integer";
    case FieldType::kUnsigned:
      return "unsigned";
    case FieldType::kString:
      return "string";
    case FieldType::kBoolean:
      return "boolean";
  }
  return "float";
}

void AppendLine(std::string_view measurement,
                const std::vector<std::pair<std::string, std::string>>& tags,
                const std::vector<FieldValue>& fields, std::string_view time_ns, std::string* out) {
  if (fields.empty()) return;
  AppendMeasurement(measurement, out);
  for (const auto& [key, value] : tags) {
    if (value.empty()) continue;
    out->push_back(',');
    AppendTag(key, out);
    out->push_back('=');
    AppendTag(value, out);
  }
  char sep = ' ';
  for (const FieldValue& f : fields) {
    out->push_back(sep);
    sep = ',';
    AppendFieldKey(f.key, out);
    out->push_back('=');
    switch (f.type) {
      case FieldType::kFloat:
        out->append(f.value);
        break;
      case FieldType::kInteger:
        out->append(f.value);
        out->push_back('i');
        break;
      case FieldType::kUnsigned:
        out->append(f.value);
        out->push_back('u');
        break;
      case FieldType::kString:
        AppendStringValue(f.value, out);
        break;
      case FieldType::kBoolean:
        out->append(f.value);
        break;
    }
  }
  out->push_back(' ');
  out->append(time_ns);
  out->push_back('\n');
}

}  // namespace edgerepl::backfill
