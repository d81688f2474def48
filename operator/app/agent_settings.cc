#include "operator/app/agent_settings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "common/config/parse.h"

namespace edgerepl::op {

const std::vector<std::string>& AgentSettingKeys() {
  static const auto* keys = new std::vector<std::string>{
      "durability",      "syncInterval",      "maxBodyBytes",
      "queueFullPolicy", "orphanGracePeriod", "local.timeout",
  };
  return *keys;
}

Result<std::pair<std::string, std::string>> ParseAgentSetting(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos) {
    return Status::InvalidArgument("--agent-setting: expected KEY=VALUE, got \"" + arg + "\"");
  }
  std::string key = arg.substr(0, eq);
  const auto& keys = AgentSettingKeys();
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
    std::string known;
    for (const std::string& k : keys) known += (known.empty() ? "" : ", ") + k;
    return Status::InvalidArgument("--agent-setting: unknown key \"" + key + "\" (one of " + known +
                                   ")");
  }
  return std::make_pair(key, arg.substr(eq + 1));
}

Status ApplyAgentSettings(const AgentSettings& settings, config::Config* config) {
  if (settings.empty()) return Status::Ok();
  // The settings as the agent's own file would hold them, parsed by the agent's parser.
  YAML::Node doc(YAML::NodeType::Map);
  for (const auto& [key, value] : settings) {
    if (size_t dot = key.find('.'); dot != std::string::npos) {
      doc[key.substr(0, dot)][key.substr(dot + 1)] = value;
    } else {
      doc[key] = value;
    }
  }
  YAML::Emitter e;
  e << doc;
  config::ParseOutput parsed = config::ParseConfigDetailed(e.c_str());
  if (!parsed.ok()) return Status::InvalidArgument("--agent-setting " + parsed.errors.front());
  const config::Config& c = parsed.config;
  for (const auto& [key, value] : settings) {
    if (key == "durability") config->durability = c.durability;
    if (key == "syncInterval") config->sync_interval = c.sync_interval;
    if (key == "maxBodyBytes") config->max_body_bytes = c.max_body_bytes;
    if (key == "queueFullPolicy") config->queue_full_policy = c.queue_full_policy;
    if (key == "orphanGracePeriod") config->orphan_grace_period = c.orphan_grace_period;
    if (key == "local.timeout") config->local.timeout = c.local.timeout;
  }
  return Status::Ok();
}

}  // namespace edgerepl::op
