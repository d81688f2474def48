// What the webhook injects: the agent container exactly as the chart renders it for its bundled
// StatefulSet (image, args, env, ports, probes, resources, securityContext, volume mounts), read
// from a JSON file the chart mounts from a ConfigMap (`--webhook-sidecar-file`). The chart stays
// the one place where the sidecar is described; the operator only places it into pods.
#pragma once

#include <cpprest/json.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace edgerepl::webhook {

// Names the injected container and volumes use. Prefixed, so they never meet the pod's own.
inline constexpr char kContainerName[] = "edgerepl-agent";
inline constexpr char kQueueVolume[] = "edgerepl-queue";
inline constexpr char kConfigVolume[] = "edgerepl-agent-config";
inline constexpr char kPodInfoVolume[] = "edgerepl-podinfo";
inline constexpr char kWritePortName[] = "edgerepl-write";

struct SidecarTemplate {
  web::json::value container;  // a core/v1 Container named edgerepl-agent
  // The operator's per-namespace config Secret (DESIGN §9), mounted optional.
  std::string config_secret = "edgerepl-agent-config";
};

// Parses the file's text: {"container": {...}, "configSecret": "..."}. The container must be
// named edgerepl-agent, have an image, a port named edgerepl-write and mounts of the three volumes
// above; every error names the field.
Result<SidecarTemplate> ParseSidecarTemplate(std::string_view text);
Result<SidecarTemplate> LoadSidecarTemplate(const std::string& path);

}  // namespace edgerepl::webhook
