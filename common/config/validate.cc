#include "common/config/validate.h"

#include "common/config/parse.h"
#include "common/config/render.h"

namespace edgerepl::config {

std::vector<std::string> ValidateConfig(const Config& config) {
  ParseOptions options;
  // Rendering writes tokenFile (passwordFile), not the token (password); hand the parser the token
  // the Config holds.
  options.read_file = [&config](const std::string& path) -> Result<std::string> {
    if (!config.local.token_file.empty() && config.local.token_file == path) {
      return config.local.token;
    }
    for (const RemoteConfig& r : config.remotes) {
      if (r.token_file == path) return r.token;
      if (r.password_file == path) return r.password;
    }
    return Status::NotFound("cannot read \"" + path + "\"");
  };
  return ParseConfigDetailed(Render(config), options).errors;
}

}  // namespace edgerepl::config
