// Condition types and reasons (DESIGN.md §8), one constant each so code, tests and docs agree.
#pragma once

namespace edgerepl::op::reason {

// Condition types.
inline constexpr char kReady[] = "Ready";
inline constexpr char kReplicating[] = "Replicating";

// Remote Ready.
inline constexpr char kSecretNotFound[] = "SecretNotFound";
inline constexpr char kInvalidURL[] = "InvalidURL";
inline constexpr char kResolved[] = "Resolved";
// Remote Ready from the probe (remote_prober.h): the remote answered well, or why not.
inline constexpr char kReachable[] = "Reachable";
inline constexpr char kUnreachable[] = "Unreachable";
inline constexpr char kBucketNotFound[] = "BucketNotFound";
inline constexpr char kProbing[] = "Probing";  // Ready=Unknown until the first answer
// kUnauthorized (below) is shared with Replicating.

// Either kind: a rule of the schema is violated (checked by the operator as well as by CEL).
inline constexpr char kInvalidSpec[] = "InvalidSpec";

// Replication Ready.
inline constexpr char kRemoteNotFound[] = "RemoteNotFound";
inline constexpr char kRemoteNotReady[] = "RemoteNotReady";
inline constexpr char kDelivered[] = "Delivered";
inline constexpr char kAccepted[] = "Accepted";            // valid and in the config file
inline constexpr char kConfigPending[] = "ConfigPending";  // agents have not loaded it yet
inline constexpr char kNotAccepted[] = "NotAccepted";      // Replicating while Ready is False

// Replicating (and Ready when no agent is selected or none answers).
inline constexpr char kRemoteUnreachable[] = "RemoteUnreachable";
inline constexpr char kUnauthorized[] = "Unauthorized";
inline constexpr char kRemoteBucketNotFound[] = "RemoteBucketNotFound";
inline constexpr char kStalled[] = "Stalled";
inline constexpr char kQueueFull[] = "QueueFull";
inline constexpr char kSuspended[] = "Suspended";
inline constexpr char kNoAgents[] = "NoAgents";
inline constexpr char kAgentUnreachable[] = "AgentUnreachable";
inline constexpr char kSending[] = "Sending";  // Replicating=True

// Event reasons besides the condition reasons above.
inline constexpr char kReplicationResumed[] = "ReplicationResumed";
inline constexpr char kPointsDropped[] = "PointsDropped";
inline constexpr char kInvalidSpecEvent[] = "InvalidSpec";

}  // namespace edgerepl::op::reason
