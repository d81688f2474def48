#include "agent/lineprotocol/escape.h"

namespace edgerepl::lp {
namespace {

template <typename IsEscapable>
void AppendUnescaped(std::string_view s, std::string* out, IsEscapable escapable) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && escapable(s[i + 1])) ++i;
    out->push_back(s[i]);
  }
}

}  // namespace

void AppendUnescapedName(std::string_view s, std::string* out) {
  AppendUnescaped(s, out, [](char c) { return c == ',' || c == ' ' || c == '=' || c == '"'; });
}

void AppendUnescapedTag(std::string_view s, std::string* out) {
  AppendUnescaped(s, out, [](char c) { return c == ',' || c == ' ' || c == '='; });
}

void AppendUnescapedString(std::string_view s, std::string* out) {
  AppendUnescaped(s, out, [](char c) { return c == '\\' || c == '"'; });
}

void AppendEscapedTag(std::string_view s, std::string* out) {
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '=') out->push_back('\\');
    out->push_back(c);
  }
}

}  // namespace edgerepl::lp
