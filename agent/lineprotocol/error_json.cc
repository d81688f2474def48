#include "agent/lineprotocol/error_json.h"

#include <cstdint>

#include "common/codec/utf8.h"

namespace edgerepl::lp {
namespace {

void AppendJsonString(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto u = static_cast<uint8_t>(c);
    if (u >= 0x80) {
      const size_t len = codec::Utf8SequenceLength(s, i);
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
