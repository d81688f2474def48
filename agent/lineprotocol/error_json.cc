#include "agent/lineprotocol/error_json.h"

#include "common/codec/json_string.h"

namespace edgerepl::lp {
std::string ErrorJson(std::string_view code, std::string_view message) {
  std::string out;
  out.reserve(32 + code.size() + message.size());
  out.append("{\"code\":");
  codec::AppendJsonString(code, out);
  out.append(",\"message\":");
  codec::AppendJsonString(message, out);
  out.push_back('}');
  return out;
}

std::string ErrorJsonV1(std::string_view message) {
  std::string out;
  out.reserve(16 + message.size());
  out.append("{\"error\":");
  codec::AppendJsonString(message, out);
  // influxd 1.x writes the body with Go's json.Encoder, which ends it with a newline.
  out.append("}\n");
  return out;
}

}  // namespace edgerepl::lp
