#include "agent/lineprotocol/normalize.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "agent/lineprotocol/escape.h"
#include "agent/lineprotocol/line_end.h"
#include "agent/lineprotocol/scanner.h"

namespace edgerepl::lp {
namespace {

// Longest echo of an invalid line in an error message: enough to recognise it, without turning
// one bad multi-megabyte line into a multi-megabyte response.
constexpr size_t kMaxEchoedLineBytes = 1024;
// " " plus the longest int64 ("-9223372036854775808").
constexpr size_t kTimestampBytes = 1 + 20;

Status LineError(std::string_view line, uint64_t line_number, std::string_view reason) {
  std::string m = "unable to parse '";
  if (line.size() > kMaxEchoedLineBytes) {
    m.append(line.substr(0, kMaxEchoedLineBytes));
    m.append("...");
  } else {
    m.append(line);
  }
  m.append("': line ");
  m.append(std::to_string(line_number));
  m.append(": ");
  m.append(reason);
  if (!line.empty() && line.back() == '\r') {
    m.append(" (the line ends with \\r: CRLF line ends are not accepted, as in InfluxDB)");
  }
  return Status::InvalidArgument(std::move(m));
}

// True when `s` ends with an odd run of backslashes, i.e. its last backslash escapes nothing yet.
bool EndsWithLoneBackslash(std::string_view s) {
  size_t run = 0;
  while (run < s.size() && s[s.size() - 1 - run] == '\\') ++run;
  return run % 2 == 1;
}

// memchr finds newlines several times faster than a counting loop compiles to.
size_t CountNewlines(std::string_view s) {
  size_t count = 0;
  const char* p = s.data();
  const char* const end = p + s.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr) {
    ++count;
    ++p;
  }
  return count;
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

}  // namespace

Result<NormalizeStats> Normalize(std::string_view body, const NormalizeOptions& options,
                                 std::string* out) {
  // The extra tag is escaped once for the whole body; its key is compared with each line's keys
  // in escaped form, as InfluxDB compares tag keys.
  std::string escaped_key;
  std::string extra_tag;  // ",key=value"
  if (!options.extra_tag_key.empty()) {
    AppendEscapedTag(options.extra_tag_key, &escaped_key);
    extra_tag.push_back(',');
    extra_tag.append(escaped_key);
    extra_tag.push_back('=');
    AppendEscapedTag(options.extra_tag_value, &extra_tag);
  }

  const size_t newlines = CountNewlines(body);
  out->reserve(out->size() + body.size() + (newlines + 1) * (kTimestampBytes + extra_tag.size()));

  const int64_t default_ns = TruncateToPrecision(options.now_ns, options.precision);
  Scanner scanner;
  ScannedPoint point;
  std::string error;
  NormalizeStats stats;
  uint64_t line_number = 1;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t inner_newlines;
    const size_t end = FindLineEnd(body, pos, &inner_newlines);
    const std::string_view raw = body.substr(pos, end - pos);
    const uint64_t this_line = line_number;
    ++stats.lines;
    line_number += 1 + inner_newlines;
    pos = end + 1;

    const size_t start = SkipWhitespace(raw, 0);
    if (start == raw.size() || raw[start] == '#') continue;
    std::string_view line = raw.substr(start);
    // A newline that scanLine kept in the line (escaped or quoted) at its very end is dropped
    // as InfluxDB does.
    if (line.back() == '\n') line.remove_suffix(1);
    if (!scanner.Scan(line, options.precision, &point, &error)) {
      return LineError(line, this_line, error);
    }
    if (!point.has_timestamp && point.timestamp_begin < line.size()) {
      // The scan stopped at a newline that InfluxDB's line splitting took as quoted; InfluxDB
      // drops what follows without a word. Refused rather than lose it or change its meaning.
      return LineError(line, this_line,
                       "newline inside the line after the field set (an unclosed quote in the "
                       "key makes InfluxDB ignore the rest)");
    }
    if (!point.has_timestamp && EndsWithLoneBackslash(line.substr(0, point.fields_end))) {
      // InfluxDB accepts this (the backslash ends up in a string value), but the space before
      // an inserted timestamp would be escaped by it: the line would mean something else.
      return LineError(line, this_line,
                       "the field set ends with a backslash, so no timestamp can follow it");
    }
    ++stats.points;

    // Leading whitespace is kept: InfluxDB's line splitting treats a space there as the start
    // of the field set, so dropping it could join this line with the next on a second parse.
    out->append(raw.substr(0, start));
    size_t insert_at = point.key_end;
    if (!escaped_key.empty()) {
      for (const TagSpan& t : scanner.tags()) {
        const int cmp = line.substr(t.key_begin, t.key_end - t.key_begin).compare(escaped_key);
        if (cmp == 0) {
          return LineError(
              line, this_line,
              "tag key " + escaped_key + " is reserved: the agent sets it on every point");
        }
        if (cmp > 0 && insert_at == point.key_end) insert_at = t.key_begin - 1;
      }
      out->append(line.substr(0, insert_at));
      out->append(extra_tag);
      out->append(line.substr(insert_at, point.fields_end - insert_at));
    } else {
      out->append(line.substr(0, point.fields_end));
    }
    out->push_back(' ');
    if (!point.has_timestamp) {
      AppendInt(default_ns, out);
    } else if (options.precision == Precision::kNanoseconds) {
      out->append(line.substr(point.timestamp_begin, point.timestamp_end - point.timestamp_begin));
    } else {
      AppendInt(point.timestamp_ns, out);
    }
    out->push_back('\n');
  }
  return stats;
}

}  // namespace edgerepl::lp
