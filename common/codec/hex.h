// Hexadecimal digits: read in percent-escapes and selector values, written for tokens and hashes.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::codec {

// 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other byte.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Two lowercase digits per byte.
std::string HexEncode(std::string_view bytes);

}  // namespace edgerepl::codec
