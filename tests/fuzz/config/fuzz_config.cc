// libFuzzer entry point for the config parser (see config_fuzz_target.h for the property).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/config/config_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string violation =
      edgerepl::fuzz::CheckConfigInput({reinterpret_cast<const char*>(data), size});
  if (!violation.empty()) {
    std::fprintf(stderr, "config fuzz property violated: %s\n", violation.c_str());
    std::abort();
  }
  return 0;
}
