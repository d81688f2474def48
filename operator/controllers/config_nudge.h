// Makes the kubelet deliver a rewritten config Secret now rather than on its next periodic pod
// sync. The kubelet refreshes a mounted Secret only when it syncs the pod; without a change to the
// pod that is its resync period (a minute by default, jittered), so `kubectl apply` of a
// Replication took one to two minutes to reach the agents. A changed annotation is a pod update:
// the kubelet syncs the pod, and remounts its Secret volumes, at once.
#pragma once

#include <string>
#include <vector>

#include "operator/controllers/cluster.h"
#include "operator/model/resources.h"

namespace edgerepl::op {

struct NudgeResult {
  int patched = 0;
  Status first_error;  // Ok when every patch that was due went through
};

// Patches kConfigVersionAnnotation to `config_version` on every pod of `pods` that is not being
// deleted and does not carry it yet. Nothing is patched when `config_version` is empty.
NudgeResult NudgeAgentPods(ClusterWriter& writer, const std::string& ns,
                           const std::string& config_version, const std::vector<AgentPod>& pods);

}  // namespace edgerepl::op
