#include "agent/lineprotocol/measurement.h"

#include <algorithm>

#include "agent/lineprotocol/escape.h"
#include "agent/lineprotocol/line_end.h"
#include "agent/lineprotocol/scanner.h"

namespace edgerepl::lp {
namespace {

// The escaped measurement: after leading whitespace, up to the first ',' or ' ' not preceded by
// a backslash (models.scanMeasurement).
std::string_view RawMeasurement(std::string_view line) {
  line = line.substr(SkipWhitespace(line, 0));
  size_t i = 1;
  while (i < line.size() && !((line[i] == ',' || line[i] == ' ') && line[i - 1] != '\\')) ++i;
  return line.substr(0, std::min(i, line.size()));
}

}  // namespace

std::string Measurement(std::string_view line) {
  std::string out;
  AppendUnescapedName(RawMeasurement(line), &out);
  return out;
}

uint64_t FilterByMeasurement(std::string_view normalized, const std::vector<std::string>& allowed,
                             std::string* out) {
  out->reserve(out->size() + normalized.size());
  std::string unescaped;  // reused: only measurements with a backslash need it
  uint64_t kept = 0;
  size_t pos = 0;
  while (pos < normalized.size()) {
    const size_t end = FindLineEnd(normalized, pos);
    const size_t next = std::min(end + 1, normalized.size());
    const std::string_view line = normalized.substr(pos, end - pos);
    std::string_view name = RawMeasurement(line);
    if (name.find('\\') != std::string_view::npos) {
      unescaped.clear();
      AppendUnescapedName(name, &unescaped);
      name = unescaped;
    }
    if (!line.empty() && std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      out->append(normalized.substr(pos, next - pos));
      ++kept;
    }
    pos = next;
  }
  return kept;
}

}  // namespace edgerepl::lp
