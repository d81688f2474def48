// Remote and Replication specs to the agent config model (common/config). The replication's id
// is the Replication's UID, so a Replication deleted and re-created under the same name gets a
// fresh queue, and a rename cannot happen (names are immutable) without one.
#pragma once

#include <string>

#include "common/config/config.h"
#include "operator/model/resources.h"

namespace edgerepl::op {

// What the Remote's Secrets resolved to, and where the agent finds the files (empty: none).
struct ResolvedSecrets {
  std::string token;
  std::string username;
  std::string password;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// A timeout that does not parse keeps the config default; validation reports it.
config::RemoteConfig ToRemoteConfig(const Remote& remote, ResolvedSecrets secrets);

// Durations that do not parse keep the config default; validation reports them.
config::ReplicationConfig ToReplicationConfig(const Replication& replication);

}  // namespace edgerepl::op
