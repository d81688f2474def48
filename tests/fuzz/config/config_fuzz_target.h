// The config parser's fuzz property, shared by the libFuzzer binary (fuzz_config) and its short
// form in ctest (config_fuzz_test). The config file is untrusted input: whatever the bytes, the
// parser must return, with no exception escaping, and every config it accepts must render to
// text that parses back to an equal config with the same hash.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::fuzz {

// Empty when the property holds for `data`; otherwise a description of the violation.
// `accepted` (optional) tells whether the parser accepted the input.
std::string CheckConfigInput(std::string_view data, bool* accepted = nullptr);

}  // namespace edgerepl::fuzz
