#include "tests/fuzz/config/config_fuzz_target.h"

#include <exception>

#include "common/config/parse.h"
#include "common/config/render.h"
#include "common/config/validate.h"

namespace edgerepl::fuzz {
namespace {

// A tokenFile in fuzzed input may name any path; the fuzzer must never read the machine's files.
config::ParseOptions Options() {
  config::ParseOptions options;
  options.base_dir = "/nonexistent";
  options.read_file = [](const std::string& path) -> Result<std::string> {
    if (path.find("missing") != std::string::npos) return Status::NotFound(path);
    return std::string("token-from-file");
  };
  return options;
}

std::string Check(std::string_view data, bool* accepted) {
  const config::ParseOptions options = Options();
  config::ParseOutput out = config::ParseConfigDetailed(data, options);
  if (!out.ok()) {
    for (const std::string& e : out.errors) {
      if (e.empty()) return "an error message is empty";
    }
    return "";
  }
  *accepted = true;
  std::vector<std::string> invalid = config::Validate(out.config);
  if (!invalid.empty()) return "Validate refuses a parsed config: " + invalid.front();

  const std::string rendered = config::Render(out.config);
  Result<config::Config> back = config::ParseConfig(rendered, options);
  if (!back.ok()) {
    return "rendered config does not parse: " + back.status().message() + "\n--- rendered:\n" +
           rendered;
  }
  if (!(*back == out.config)) return "render/parse round trip changed the config:\n" + rendered;
  if (config::Render(*back) != rendered) return "render is not deterministic";
  if (config::ConfigHash(*back) != config::ConfigHash(out.config)) {
    return "equal configs hash differently";
  }
  return "";
}

}  // namespace

std::string CheckConfigInput(std::string_view data, bool* accepted) {
  bool ignored = false;
  if (accepted == nullptr) accepted = &ignored;
  *accepted = false;
  try {
    return Check(data, accepted);
  } catch (const std::exception& e) {
    return std::string("exception escaped the config parser: ") + e.what();
  } catch (...) {
    return "a non-standard exception escaped the config parser";
  }
}

}  // namespace edgerepl::fuzz
