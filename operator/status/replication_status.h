// Replication.status as a value: computed from the render verdict and the agents' reports
// (aggregate.h), decoded from and encoded to the API's JSON (status_json.h), compared to decide
// whether a patch is needed at all.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/status/conditions.h"

namespace edgerepl::op {

// An agent's backfill of the replication (docs/backfill.md), as the agent reports it.
struct BackfillReport {
  std::string from;        // RFC 3339
  std::string to;          // RFC 3339
  std::string done_until;  // RFC 3339: every point before it is read and queued
  uint64_t points = 0;     // read from the local database and queued
  uint64_t pending_points = 0;
  std::string state;  // Reading, Draining, Complete, Cancelled
  std::string last_error;
  bool operator==(const BackfillReport&) const = default;
};

struct AgentStatusEntry {
  std::string pod;
  std::string pod_ip;
  bool reachable = false;
  std::string error;  // why it was not read, or why it does not run the replication
  std::string state = "Unknown";
  uint64_t current_queue_size_bytes = 0;
  uint64_t pending_points = 0;
  int latest_response_code = 0;
  std::string latest_error_message;
  std::string last_success_time;
  uint64_t consecutive_failures = 0;
  int64_t oldest_pending_age_seconds = 0;
  std::map<std::string, uint64_t> dropped;
  std::optional<BackfillReport> backfill;  // none asked for on this agent
  bool operator==(const AgentStatusEntry&) const = default;
};

struct ReplicationStatus {
  int64_t observed_generation = 0;
  std::string remote_bucket;
  uint64_t current_queue_size_bytes = 0;
  int latest_response_code = 0;
  int64_t oldest_pending_age_seconds = 0;
  int agents = 0;
  int ready_agents = 0;
  std::string agents_summary;  // "ready/total"
  std::vector<AgentStatusEntry> agent_statuses;
  std::vector<Condition> conditions;
  bool operator==(const ReplicationStatus&) const = default;
};

struct RemoteStatus {
  int64_t observed_generation = 0;
  int replications = 0;
  std::vector<Condition> conditions;
  bool operator==(const RemoteStatus&) const = default;
};

}  // namespace edgerepl::op
