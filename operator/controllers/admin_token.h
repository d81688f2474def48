// The per-namespace admin token (the Secret edgerepl-agent-admin, key token): the operator
// creates it, renders it into the agents' config as adminToken, and so the agents' mutating admin
// calls (skip-head, retry-now) need it. Status reads stay open (Prometheus, probes). Rotation:
// delete the Secret; the next reconcile creates a fresh token and re-renders the config, and the
// agents reload it (docs/security.md).
#pragma once

#include <string>

#include "operator/controllers/cluster.h"
#include "operator/model/resources.h"

namespace edgerepl::op {

// A fresh token: 32 bytes from the OS's CSPRNG, hex. kInternal when the generator fails.
Result<std::string> NewAdminToken();

// The namespace's admin token. `cached` is the Secret as the cache holds it (null when absent):
// its token is used when set. Otherwise the Secret is read through `writer` (the cache may lag
// behind a create) and created, or its empty token key replaced, with a fresh token.
Result<std::string> EnsureAdminToken(ClusterWriter& writer, const std::string& ns,
                                     const Secret* cached);

}  // namespace edgerepl::op
