#include "agent/lineprotocol/error_json.h"

#include <cstdint>

namespace edgerepl::lp {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if there is none (overlong forms,
// surrogates and values above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  size_t len;
  uint32_t min;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void AppendJsonString(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto u = static_cast<uint8_t>(c);
    if (u >= 0x80) {
      const size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        out->append("\xEF\xBF\xBD");
        ++i;
      } else {
        out->append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (u < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 15]);
        } else {
          out->push_back(c);
        }
    }
    ++i;
  }
  out->push_back('"');
}

}  // namespace

std::string ErrorJson(std::string_view code, std::string_view message) {
  std::string out;
  out.reserve(32 + code.size() + message.size());
  out.append("{\"code\":");
  AppendJsonString(code, &out);
  out.append(",\"message\":");
  AppendJsonString(message, &out);
  out.push_back('}');
  return out;
}

std::string ErrorJsonV1(std::string_view message) {
  std::string out;
  out.reserve(16 + message.size());
  out.append("{\"error\":");
  AppendJsonString(message, &out);
  // influxd 1.x writes the body with Go's json.Encoder, which ends it with a newline.
  out.append("}\n");
  return out;
}

}  // namespace edgerepl::lp
