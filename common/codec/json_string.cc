#include "common/codec/json_string.h"

#include <cstdint>

#include "common/codec/utf8.h"

namespace edgerepl::codec {

void AppendJsonString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t plain = 0;  // s[plain, i) is copied as it is, in one append
  auto flush = [&](size_t i) { out.append(s.data() + plain, i - plain); };
  for (size_t i = 0; i < s.size();) {
    const auto u = static_cast<uint8_t>(s[i]);
    if (u >= 0x80) {
      const size_t len = Utf8SequenceLength(s, i);
      if (len != 0) {
        i += len;
        continue;
      }
      flush(i);
      out.append("\xEF\xBF\xBD");
      plain = ++i;
      continue;
    }
    if (u >= 0x20 && u != '"' && u != '\\') {
      ++i;
      continue;
    }
    flush(i);
    switch (u) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
        out.append(esc, sizeof esc);
      }
    }
    plain = ++i;
  }
  flush(s.size());
  out.push_back('"');
}

std::string JsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonString(s, out);
  return out;
}

}  // namespace edgerepl::codec
