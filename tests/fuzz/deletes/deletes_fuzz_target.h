// The delete parsers' fuzz property, shared by the libFuzzer binary (fuzz_deletes) and its short
// form in ctest (deletes_fuzz_test). A query string, a v2 delete body and a queued record are
// untrusted bytes: every entry point returns (no crash, no exception), and whatever one accepts
// is a well-formed spec that renders to a statement, body and record which parse back to it.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::fuzz {

// Empty when the property holds for `data`; otherwise a description of the violation.
// `accepted` (optional) counts the entry points that accepted `data`.
std::string CheckDeletesInput(std::string_view data, int* accepted = nullptr);

}  // namespace edgerepl::fuzz
