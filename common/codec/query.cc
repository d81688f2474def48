#include "common/codec/query.h"

#include "common/codec/hex.h"

namespace edgerepl::codec {

std::string QueryUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
      continue;
    }
    if (c == '%' && i + 2 < s.size()) {
      const int high = HexDigitValue(s[i + 1]);
      const int low = HexDigitValue(s[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (QueryUnescape(pair.substr(0, eq)) != name) continue;
    return eq == std::string_view::npos ? std::string() : QueryUnescape(pair.substr(eq + 1));
  }
  return std::nullopt;
}

}  // namespace edgerepl::codec
