// Which Kubernetes Events a status change deserves (DESIGN.md §9: Replicating lost or regained,
// queue full, drops). Pure: compares the stored status with the new one.
#pragma once

#include <string>
#include <vector>

#include "operator/status/replication_status.h"

namespace edgerepl::op {

struct EventSpec {
  std::string type;  // "Normal" | "Warning"
  std::string reason;
  std::string message;
  bool operator==(const EventSpec&) const = default;
};

// Replicating turning False (or changing its False reason: the reason is the event's reason,
// e.g. RemoteUnreachable, QueueFull), turning True again (ReplicationResumed), and points newly
// dropped per agent and reason (PointsDropped).
std::vector<EventSpec> ReplicationEvents(const ReplicationStatus& before,
                                         const ReplicationStatus& after);

// Ready turning False (reason SecretNotFound, InvalidURL, InvalidSpec) or True again (Resolved).
std::vector<EventSpec> RemoteEvents(const RemoteStatus& before, const RemoteStatus& after);

}  // namespace edgerepl::op
