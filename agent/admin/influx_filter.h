// The filters `influx replication list` sends with GET /api/v2/replications (orgID, name,
// remoteID, localBucketID), applied as InfluxDB applies them: each one given must match exactly.
// edgerepl's remotes and buckets are named, not 16-digit IDs, so values are compared as text and
// never refused for their form, and a request without orgID lists every org's replications
// (InfluxDB answers 400 there). docs/agent-api.md describes both.
#pragma once

#include <string_view>
#include <vector>

#include "agent/admin/backend.h"

namespace edgerepl::admin {

// The replications of `all` that `query` (the raw query string) selects:
// - orgID: a replication with localOrg set matches only that org; one without matches any;
// - name: the replication's name;
// - remoteID: its remote's name (what the list reports as remoteID);
// - localBucketID: its localBucketID, or localBucket (what the list reports when no ID is set).
std::vector<ReplicationStatus> FilterInfluxReplications(std::vector<ReplicationStatus> all,
                                                        std::string_view query);

}  // namespace edgerepl::admin
