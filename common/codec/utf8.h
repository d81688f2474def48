// UTF-8 as RFC 3629 defines it: no overlong forms, no UTF-16 surrogates, nothing past U+10FFFF.
// Config text, InfluxQL statements, delete bodies and the JSON the agent writes all hold to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgerepl::codec {

// The length (1 to 4) of the well-formed sequence starting at s[i], or 0 when the bytes there are
// not one (i < s.size()).
size_t Utf8SequenceLength(std::string_view s, size_t i);

bool IsValidUtf8(std::string_view s);

// Appends code point `cp` (at most U+10FFFF; the caller rejects surrogates where its input may
// hold them) as one to four bytes.
void AppendUtf8(uint32_t cp, std::string& out);

}  // namespace edgerepl::codec
