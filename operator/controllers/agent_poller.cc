#include "operator/controllers/agent_poller.h"

#include <set>

#include "operator/model/decode.h"

namespace edgerepl::op {

PollSummary AgentPoller::PollOnce() {
  PollSummary summary;
  for (const std::string& ns : cache_.Namespaces()) {
    std::set<std::string> live;
    std::string admin_token;
    for (const web::json::value& object : cache_.List(Kind::kSecret, ns)) {
      // Only the admin Secret is decoded: the others' data need not be base64-decoded every poll.
      const web::json::value& meta = object.has_field("metadata") ? object.at("metadata") : object;
      if (!meta.has_string_field("name") || meta.at("name").as_string() != kAgentAdminSecretName) {
        continue;
      }
      Secret secret = DecodeSecret(object);
      if (auto it = secret.data.find(kAgentAdminTokenKey); it != secret.data.end()) {
        admin_token = it->second;
      }
    }
    for (const web::json::value& object : cache_.List(Kind::kPod, ns)) {
      AgentPod pod = DecodeAgentPod(object);
      if (!IsAgentPod(pod.meta)) continue;
      live.insert(pod.meta.name);
      ++summary.agents;
      AgentPoll poll;
      poll.pod = pod.meta.name;
      poll.pod_ip = pod.pod_ip;
      if (pod.pod_ip.empty()) {
        poll.error = "pod has no IP yet";
      } else if (pod.admin_port == 0) {
        poll.error = "pod has no container port named edgerepl-admin";
      } else {
        Result<std::string> body = client_.GetReplications(pod.pod_ip, pod.admin_port, admin_token);
        if (!body.ok()) {
          poll.error = body.status().message();
        } else if (Result<AgentReport> report = ParseAgentReport(*body); !report.ok()) {
          poll.error = report.status().message();
        } else {
          poll.reachable = true;
          poll.report = std::move(*report);
          ++summary.reachable;
        }
      }
      polls_.Set(ns, std::move(poll));
    }
    polls_.Retain(ns, live);
    if (polled_) polled_(ns);
  }
  return summary;
}

}  // namespace edgerepl::op
