#include "operator/controllers/config_nudge.h"

namespace edgerepl::op {

NudgeResult NudgeAgentPods(ClusterWriter& writer, const std::string& ns,
                           const std::string& config_version, const std::vector<AgentPod>& pods) {
  NudgeResult result;
  if (config_version.empty()) return result;
  for (const AgentPod& pod : pods) {
    if (pod.meta.deleting || pod.config_version == config_version) continue;
    web::json::value patch = web::json::value::object();
    patch["metadata"]["annotations"][kConfigVersionAnnotation] =
        web::json::value::string(config_version);
    Status s = writer.PatchPod(ns, pod.meta.name, patch);
    if (s.ok()) {
      ++result.patched;
    } else if (s.code() != StatusCode::kNotFound && result.first_error.ok()) {
      // A pod deleted meanwhile needs no nudge: its successor mounts the Secret as it is.
      result.first_error = s;
    }
  }
  return result;
}

}  // namespace edgerepl::op
