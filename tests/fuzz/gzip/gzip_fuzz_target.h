// The gzip body path's fuzz property, shared by the libFuzzer binary (fuzz_gzip) and its short
// form in ctest (gzip_fuzz_test). A request body is untrusted: inflating any bytes under a size
// limit returns (no crash, no exception) and never yields more than the limit, the limit holds
// exactly for a bomb, and compress/decompress round-trips every input.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::fuzz {

// The limit arbitrary input is inflated under: small, so bombs in the corpus hit it.
inline constexpr size_t kFuzzInflateLimit = 1 << 20;

// Empty when the property holds for `data`; otherwise a description of the violation.
// `inflated` (optional) tells whether `data` itself was a gzip stream that inflated in the limit.
std::string CheckGzipInput(std::string_view data, bool* inflated = nullptr);

}  // namespace edgerepl::fuzz
