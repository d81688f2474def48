// Config model (common/config) to the sender's options, so wiring code stays a few lines.
#pragma once

#include "agent/sender/sender.h"
#include "common/config/config.h"
#include "common/http/client.h"

namespace edgerepl::sender {

SenderOptions SenderOptionsFromConfig(const config::RemoteConfig& remote,
                                      const config::ReplicationConfig& replication);
// One client per remote: every replication to that remote may share it (it is thread-safe and
// pools connections).
http::HttpClientOptions HttpOptionsFromConfig(const config::RemoteConfig& remote);

}  // namespace edgerepl::sender
