// Pure status computation: a Replication's verdict from rendering plus the latest poll of each
// selected agent to its full status (totals, per-agent entries, Ready and Replicating), and a
// Remote's verdict to its status. Conditions come out without lastTransitionTime; MergeConditions
// adds it against the stored status.
#pragma once

#include <string>
#include <vector>

#include "operator/model/resources.h"
#include "operator/render/namespace_config.h"
#include "operator/status/agent_report.h"
#include "operator/status/replication_status.h"

namespace edgerepl::op {

// The latest poll of one agent pod. An agent that could not be read is reported as such
// (reachable false, error says why), never filled in with guessed values.
struct AgentPoll {
  std::string pod;
  std::string pod_ip;
  bool reachable = false;
  std::string error;
  AgentReport report;
};

// `agents`: the selected agent pods' polls, any order (entries come out sorted by pod).
ReplicationStatus AggregateReplication(const Replication& replication, const Verdict& verdict,
                                       const std::vector<AgentPoll>& agents);

RemoteStatus RemoteStatusFor(const Remote& remote, const Verdict& verdict, int replications);

}  // namespace edgerepl::op
