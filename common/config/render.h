// Config to YAML text that ParseConfig reads back to an equal Config. The output is
// deterministic (fixed field order, every field written, lists in the order given), so the
// operator can compare rendered text to decide whether the agents' Secret changed; sort
// replications and remotes before rendering if their source order is not stable.
//
// The text holds the tokens (the file is a Secret). A remote loaded from a tokenFile is rendered
// with its tokenFile, not the token read from it.
#pragma once

#include <string>

#include "common/config/config.h"

namespace edgerepl::config {

std::string Render(const Config& config);

// A stable SHA-256 (64 lowercase hex digits) of the effective config, for the admin API's
// `configHash` and for reload change detection. Covers every field, including the tokens in
// effect (so a rotated tokenFile counts as a change); a one-way hash does not reveal them.
std::string ConfigHash(const Config& config);

}  // namespace edgerepl::config
