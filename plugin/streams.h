// What `kubectl edgerepl status` shows: one row per stream (replication) per agent pod, read from
// the agent's GET /api/v1/replications (docs/agent-api.md), with the columns of
// `influx replication list` plus state and lag.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgerepl::plugin {

struct StreamRow {
  std::string namespace_;
  std::string pod;
  std::string id;
  std::string name;
  std::string org;     // the replication's localOrg ("" when it matches any org)
  std::string remote;  // the Remote's name
  std::string local_bucket;
  std::string remote_bucket;
  uint64_t current_queue_bytes = 0;
  uint64_t max_queue_bytes = 0;
  int latest_status_code = 0;
  std::string state;
  double lag_seconds = 0;  // oldestPendingAgeSeconds: how old the oldest unsent point is
  // The agent's "backfill" object as it sent it (JSON text), passed on by -o json; empty when the
  // stream has had none.
  std::string backfill_json;
};

// A pod whose streams could not be read, and why.
struct PodError {
  std::string namespace_;
  std::string pod;
  std::string message;
};

// The rows of one agent's status document; kInvalidArgument naming the field when it is not one.
Result<std::vector<StreamRow>> ParseAgentStatus(std::string_view body, const std::string& ns,
                                                const std::string& pod);

// "0s", "45s", "3m20s", "5h2m", "3d4h": the lag as kubectl prints ages.
std::string FormatLag(double seconds);

// The table (kubectl's style: upper-case headers, columns two spaces apart); with NAMESPACE first
// when `all_namespaces`. "No agent pods found" style lines are the caller's.
std::string FormatTable(const std::vector<StreamRow>& rows, bool all_namespaces);

// {"streams":[...], "errors":[...]} with the agent's own field names where it has them.
std::string FormatJson(const std::vector<StreamRow>& rows, const std::vector<PodError>& errors);

}  // namespace edgerepl::plugin
