// Writes the agents' config Secret with optimistic concurrency: read, compare, update with the
// read resourceVersion, and on 409 read again and retry. Nothing is written when the data is
// already what it should be, so agents see a file change only when the config changed.
#pragma once

#include <map>
#include <string>

#include "operator/controllers/cluster.h"

namespace edgerepl::op {

enum class SecretWrite { kUnchanged, kCreated, kUpdated };

// `data`: key -> bytes. Retries a conflict up to `attempts` times (client-go's DefaultRetry: 5).
Result<SecretWrite> ApplyConfigSecret(ClusterWriter& writer, const std::string& ns,
                                      const std::string& name,
                                      const std::map<std::string, std::string>& data,
                                      int attempts = 5);

}  // namespace edgerepl::op
