// Gzip for request bodies (libdeflate: one-shot, several times faster than zlib at equal ratio on
// line protocol; see docs/benchmarks.md "Sender").
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace edgerepl::codec {

// Level used for remote-write bodies, chosen by `bench_sender gzip` on line protocol: libdeflate
// level 1 compresses 8.6x at ~680 MB/s, level 3 8.7x at ~410 MB/s, level 6 10.2x at ~120 MB/s;
// zlib level 6 gives 8.7x at ~140 MB/s. Level 1 keeps a small edge node's CPU for the database.
inline constexpr int kDefaultGzipLevel = 1;

Result<std::string> GzipCompress(std::string_view input, int level = kDefaultGzipLevel);
// `max_output_bytes` bounds the inflated size so a hostile body cannot exhaust memory.
Result<std::string> GzipDecompress(std::string_view input, size_t max_output_bytes);

}  // namespace edgerepl::codec
