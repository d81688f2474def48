// Remote and Replication specs to the agent config model (common/config). The replication's id
// is the Replication's UID, so a Replication deleted and re-created under the same name gets a
// fresh queue, and a rename cannot happen (names are immutable) without one.
#pragma once

#include <string>

#include "common/config/config.h"
#include "operator/model/resources.h"

namespace edgerepl::op {

// `token` is the resolved token; `ca_file` the path where the agent finds the CA (empty: none).
config::RemoteConfig ToRemoteConfig(const Remote& remote, std::string token, std::string ca_file);

// Durations that do not parse keep the config default; validation reports them.
config::ReplicationConfig ToReplicationConfig(const Replication& replication);

}  // namespace edgerepl::op
