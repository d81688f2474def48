// One agent's answer to GET /api/v1/replications (DESIGN.md §6, docs/agent-api.md), decoded
// leniently: unknown fields are ignored and a missing field keeps its zero value, so an agent one
// version ahead or behind still reports.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "operator/status/replication_status.h"

namespace edgerepl::op {

struct AgentReplication {
  std::string id;
  std::string name;
  std::string
      state;  // Replicating, Idle, Backoff, Unauthorized, NotFound, Stalled, QueueFull, Suspended
  uint64_t max_queue_size_bytes = 0;
  uint64_t current_queue_size_bytes = 0;
  uint64_t pending_points = 0;
  int latest_response_code = 0;
  std::string latest_error_message;
  std::string last_success_time;  // RFC 3339; empty when never
  uint64_t consecutive_failures = 0;
  int64_t oldest_pending_age_seconds = 0;
  std::map<std::string, uint64_t> dropped;  // reason -> points
  std::optional<BackfillReport> backfill;
  bool operator==(const AgentReplication&) const = default;
};

struct AgentReport {
  std::string version;
  std::string config_hash;
  std::vector<AgentReplication> replications;

  const AgentReplication* Find(const std::string& id) const;
};

// kInvalidArgument when the body is not the expected JSON object.
Result<AgentReport> ParseAgentReport(const std::string& body);

}  // namespace edgerepl::op
