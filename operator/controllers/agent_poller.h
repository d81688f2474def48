// Reads every agent pod's /api/v1/replications (DESIGN.md §9, every statusInterval) into
// AgentPolls, then tells the caller which namespaces to reconcile so status is written in one
// place. A pod that is not running, has no IP or no port named edgerepl-admin, or does not answer
// is recorded as unreachable with the reason.
#pragma once

#include <functional>
#include <string>

#include "operator/controllers/agent_polls.h"
#include "operator/controllers/cluster.h"

namespace edgerepl::op {

struct PollSummary {
  int agents = 0;
  int reachable = 0;
};

class AgentPoller {
 public:
  // All references must outlive the poller. `polled(ns)` runs after each namespace's agents
  // were read.
  AgentPoller(const ClusterCache& cache, AgentClient& client, AgentPolls& polls,
              std::function<void(const std::string& ns)> polled)
      : cache_(cache), client_(client), polls_(polls), polled_(std::move(polled)) {}

  PollSummary PollOnce();

 private:
  const ClusterCache& cache_;
  AgentClient& client_;
  AgentPolls& polls_;
  std::function<void(const std::string&)> polled_;
};

}  // namespace edgerepl::op
