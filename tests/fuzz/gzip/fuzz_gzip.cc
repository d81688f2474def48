// libFuzzer entry point for the gzip body path (see gzip_fuzz_target.h for the property).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/gzip/gzip_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string violation =
      edgerepl::fuzz::CheckGzipInput({reinterpret_cast<const char*>(data), size});
  if (!violation.empty()) {
    std::fprintf(stderr, "gzip fuzz property violated: %s\n", violation.c_str());
    std::abort();
  }
  return 0;
}
