// The mutation itself, as pure functions from an object to a JSONPatch (RFC 6902), so every case
// is a unit test without an API server. docs/sidecar.md describes the labels and annotations.
//
// A pod is injected when it carries `edgerepl.io/inject: "true"` as a label or an annotation, and
// left alone when it already has a container named edgerepl-agent (a second call, the other
// webhook entry, or a sidecar added by hand). The queue volume is, in this order: the pod volume
// named by `edgerepl.io/queue-volume` (a StatefulSet volumeClaimTemplate's volume is in the pod by
// the time it is admitted), the claim named by `edgerepl.io/queue-claim`, else an emptyDir, which
// loses unsent data with the pod and so comes with a warning.
#pragma once

#include <cpprest/json.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "operator/webhook/sidecar_template.h"

namespace edgerepl::webhook {

inline constexpr char kInjectKey[] = "edgerepl.io/inject";
inline constexpr char kInjectedAnnotation[] = "edgerepl.io/injected";
inline constexpr char kQueueVolumeAnnotation[] = "edgerepl.io/queue-volume";
inline constexpr char kQueueClaimAnnotation[] = "edgerepl.io/queue-claim";
inline constexpr char kQueueSubPathAnnotation[] = "edgerepl.io/queue-subpath";
// On a Service: the targetPort (number or name) moved to the agent; default 8086.
inline constexpr char kTargetPortAnnotation[] = "edgerepl.io/target-port";
inline constexpr char kComponentLabel[] = "app.kubernetes.io/component";

struct Mutation {
  web::json::value patch = web::json::value::array();  // JSONPatch operations; empty: no change
  std::vector<std::string> warnings;  // for the AdmissionResponse (kubectl prints them)
  bool ephemeral_queue = false;       // the queue went to an emptyDir
  std::string skipped;                // why nothing was done, for the log ("" when mutated)
};

// True when the object asks for the sidecar (label or annotation edgerepl.io/inject="true").
bool WantsInjection(const web::json::value& object);

// The patch for a pod being created. kInvalidArgument (the pod is refused, with this message)
// when an annotation names a volume the pod does not have or a name is already taken.
Result<Mutation> InjectPod(const web::json::value& pod, const SidecarTemplate& sidecar);

// The patch for a Service labelled for injection: every port whose targetPort is 8086 (or the
// edgerepl.io/target-port annotation) targets the agent's port edgerepl-write instead.
Result<Mutation> RetargetService(const web::json::value& service);

// "/" and "~" escaped for a JSON pointer segment (RFC 6901).
std::string PointerSegment(const std::string& key);

}  // namespace edgerepl::webhook
