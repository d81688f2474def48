// Validation of a Config built in code (the operator builds one from Remote and Replication
// resources): exactly the checks ParseConfig applies to a file, with the same field paths.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.h"

namespace edgerepl::config {

// Every error ParseConfig would report for Render(config), in order; empty when valid.
// tokenFile paths are not read: the token already in the Config stands for the file's content.
std::vector<std::string> ValidateConfig(const Config& config);

}  // namespace edgerepl::config
