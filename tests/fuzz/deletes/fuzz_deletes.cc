// libFuzzer entry point for the delete parsers (see deletes_fuzz_target.h for the property).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/deletes/deletes_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string violation =
      edgerepl::fuzz::CheckDeletesInput({reinterpret_cast<const char*>(data), size});
  if (!violation.empty()) {
    std::fprintf(stderr, "deletes fuzz property violated: %s\n", violation.c_str());
    std::abort();
  }
  return 0;
}
