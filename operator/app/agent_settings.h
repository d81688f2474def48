// The operator's --agent-setting KEY=VALUE flags: agent-wide settings of docs/config.md that the
// chart sets and the operator writes into every rendered agent.yaml. Values are checked by the
// agent's own parser, so the operator refuses at start what every agent would refuse on load.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/config/config.h"
#include "common/status.h"

namespace edgerepl::op {

using AgentSettings = std::vector<std::pair<std::string, std::string>>;  // key, value

// The keys --agent-setting takes, as docs/config.md names them. The others are either set by a
// flag of their own (listen, adminListen, local.url, dataDir, maxBodyMemoryBytes,
// podLabelsFile), per pod (instanceID: the agent's --instance-id), or by the operator (adminToken,
// remotes, replications).
const std::vector<std::string>& AgentSettingKeys();

// Splits "KEY=VALUE"; kInvalidArgument naming the flag for an unknown key or a missing "=".
Result<std::pair<std::string, std::string>> ParseAgentSetting(const std::string& arg);

// Writes the settings into `config` (later ones win). kInvalidArgument with the agent parser's
// message, prefixed "--agent-setting ", for a bad value.
Status ApplyAgentSettings(const AgentSettings& settings, config::Config* config);

}  // namespace edgerepl::op
