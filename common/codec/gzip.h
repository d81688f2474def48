// Gzip for request bodies (libdeflate: one-shot, several times faster than zlib at equal ratio on
// line protocol; see docs/benchmarks.md "Sender").
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace edgerepl::codec {

// Level used for remote-write bodies: line protocol compresses ~8-10x already at low levels, and
// higher levels cost CPU on small edge nodes for a few percent of wire bytes.
inline constexpr int kDefaultGzipLevel = 3;

Result<std::string> GzipCompress(std::string_view input, int level = kDefaultGzipLevel);
// `max_output_bytes` bounds the inflated size so a hostile body cannot exhaust memory.
Result<std::string> GzipDecompress(std::string_view input, size_t max_output_bytes);

}  // namespace edgerepl::codec
