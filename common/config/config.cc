#include "common/config/config.h"

namespace edgerepl::config {

const RemoteConfig* Config::FindRemote(std::string_view name) const {
  for (const RemoteConfig& r : remotes) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::string_view DurabilityName(Durability d) {
  return d == Durability::kSync ? "sync" : "interval";
}

std::string_view QueueFullPolicyName(QueueFullPolicy p) {
  return p == QueueFullPolicy::kDrop ? "drop" : "reject";
}

std::string_view ProtocolName(Protocol p) {
  return p == Protocol::kV2 ? "v2" : "v1";
}

std::string_view CredentialsInName(CredentialsIn c) {
  return c == CredentialsIn::kHeader ? "header" : "query";
}

std::vector<const ReplicationConfig*> SelectReplications(const Config& config,
                                                         const Labels* labels) {
  std::vector<const ReplicationConfig*> out;
  for (const ReplicationConfig& rep : config.replications) {
    if (labels == nullptr || Matches(rep.selector, *labels)) out.push_back(&rep);
  }
  return out;
}

std::vector<std::string> Secrets(const Config& config) {
  std::vector<std::string> out;
  if (!config.admin_token.empty()) out.push_back(config.admin_token);
  if (!config.local.token.empty()) out.push_back(config.local.token);
  for (const RemoteConfig& r : config.remotes) {
    if (!r.token.empty()) out.push_back(r.token);
    if (!r.password.empty()) out.push_back(r.password);
  }
  return out;
}

}  // namespace edgerepl::config
