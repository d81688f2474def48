// The JSON documents of the admin API (documented field by field in docs/agent-api.md; the
// operator parses them): GET /api/v1/replications on the admin port, and GET /api/v2/replications
// on the write port in InfluxDB's own shape, so `influx replication list` shows edgerepl's streams.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/admin/backend.h"

namespace edgerepl::admin {

// {"version":…,"configHash":…,"replications":[{…DESIGN §6 fields…}]}
std::string ReplicationsJson(std::string_view version, std::string_view config_hash,
                             const std::vector<ReplicationStatus>& replications);

// One replication object of ReplicationsJson.
std::string ReplicationJson(const ReplicationStatus& r);

// {"replications":[{id, orgID, name, description, remoteID, localBucketID, remoteBucketID,
// RemoteBucketName, remoteBucketName, maxQueueSizeBytes, currentQueueSizeBytes,
// remainingBytesToBeSynced, latestResponseCode, latestErrorMessage, dropNonRetryableData,
// maxAgeSeconds}]}, as InfluxDB 2.7 answers.
std::string InfluxReplicationsJson(const std::vector<ReplicationStatus>& replications);

}  // namespace edgerepl::admin
