// The agent pods and their admin API, reached through the API server's pod proxy
// (/api/v1/namespaces/NS/pods/NAME:PORT/proxy/...): the caller's kubeconfig and RBAC decide,
// nothing listens on the caller's machine (no port-forward).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "operator/kube/rest_client.h"

namespace edgerepl::plugin {

inline constexpr char kAgentSelector[] = "app.kubernetes.io/component=edgerepl-agent";
inline constexpr char kAdminTokenSecret[] = "edgerepl-agent-admin";
inline constexpr char kAdminTokenKey[] = "token";
// The admin token travels in this header: the API server authenticates the caller by
// Authorization and drops that header before proxying, so it never reaches the pod.
inline constexpr char kAdminTokenHeader[] = "X-Edgerepl-Admin-Token";

struct AgentPod {
  std::string namespace_;
  std::string name;
  int admin_port = 9186;  // the container port named edgerepl-admin
  bool running = false;   // phase Running: the proxy can reach it
};

// Agent pods (label app.kubernetes.io/component=edgerepl-agent) of `ns` ("" = every namespace),
// sorted by namespace and name.
Result<std::vector<AgentPod>> ListAgentPods(kube::RestClient& client, const std::string& ns);

// GET /api/v1/replications of one agent, the body on 200.
Result<std::string> AgentStatus(kube::RestClient& client, const AgentPod& pod);

// `method` /api/v1/replications/{id}/{action} ("skip-head", "retry-now", "backfill") with the
// admin token and `body`; the agent's answer body on 202, else an error with its status and
// message.
Result<std::string> AgentAction(kube::RestClient& client, const AgentPod& pod,
                                const std::string& id, const std::string& action,
                                const std::string& token, const std::string& method = "POST",
                                const std::string& body = "");

// The admin token of `ns` (Secret edgerepl-agent-admin, key token). kNotFound with a message
// saying what is missing when there is no such Secret or key.
Result<std::string> AdminToken(kube::RestClient& client, const std::string& ns);

}  // namespace edgerepl::plugin
