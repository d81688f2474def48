#include "agent/lineprotocol/line_end.h"

#include <cstring>

namespace edgerepl::lp {
namespace {

// The byte-by-byte rule of models.scanLine: backslash pairs are skipped (only while two more
// bytes follow, an InfluxDB quirk kept for compatibility), and after the first space a '"'
// toggles quoting when more '=' than ',' were seen, i.e. at the start of a field value.
size_t ScanLineSlow(std::string_view buf, size_t i, size_t* inner_newlines) {
  const size_t n = buf.size();
  bool quoted = false;
  bool fields = false;
  size_t equals = 0;
  size_t commas = 0;
  while (i < n) {
    const char c = buf[i];
    if (c == '\\' && i + 2 < n) {
      i += 2;
      continue;
    }
    if (c == ' ') fields = true;
    if (fields) {
      if (!quoted && c == '=') {
        ++i;
        ++equals;
        continue;
      }
      if (!quoted && c == ',') {
        ++i;
        ++commas;
        continue;
      }
      if (c == '"' && equals > commas) {
        ++i;
        quoted = !quoted;
        continue;
      }
    }
    if (c == '\n') {
      if (!quoted) break;
      ++*inner_newlines;
    }
    ++i;
  }
  return i;
}

}  // namespace

size_t FindLineEnd(std::string_view body, size_t pos, size_t* inner_newlines) {
  size_t ignored;
  if (inner_newlines == nullptr) inner_newlines = &ignored;
  *inner_newlines = 0;
  const char* base = body.data();
  const size_t n = body.size();
  const void* nl = pos < n ? std::memchr(base + pos, '\n', n - pos) : nullptr;
  if (nl == nullptr) return n;  // the rest is one line whatever its quoting and has no newline
  const size_t end = static_cast<const char*>(nl) - base;
  // Without a quote in the line and a backslash right before the newline, nothing can make
  // that newline part of the line: the common case costs two memchr scans.
  if ((end == pos || base[end - 1] != '\\') && std::memchr(base + pos, '"', end - pos) == nullptr) {
    return end;
  }
  return ScanLineSlow(body, pos, inner_newlines);
}

}  // namespace edgerepl::lp
