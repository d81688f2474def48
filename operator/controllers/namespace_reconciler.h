// The operator's one reconciler, level-triggered per namespace (work queue key
// "<namespace>/edgerepl-agent-config"): it reads the namespace's Remotes, Replications, Secrets
// and agent pods from the cache, writes the agents' config Secret when its content changed, and
// patches each Remote's and Replication's status where it changed (a Replication's live numbers
// at most once per statusInterval), with Events on transitions.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "common/clock.h"
#include "operator/controllers/agent_polls.h"
#include "operator/controllers/cluster.h"
#include "operator/controllers/event_recorder.h"
#include "operator/render/namespace_config.h"
#include "operator/status/patch_gate.h"
#include "operator/status/replication_status.h"

namespace edgerepl::op {

class RemoteProber;

struct ReconcilerOptions {
  RenderSettings render;
  std::chrono::milliseconds status_interval{15000};
  // Live-number status patches per second over all Replications (PatchGate's budget); <= 0:
  // none, every busy Replication's numbers are written once per status_interval however many.
  double status_qps = 5;
  // When set, a resolved Remote's Ready is the prober's last answer (Unknown before it); the
  // agents' config does not depend on it. Must outlive the reconciler.
  RemoteProber* prober = nullptr;
  // Annotate agent pods with the config Secret's version when it changes, so the kubelet
  // delivers the new config at once (config_nudge.h); needs `patch` on pods.
  bool nudge_agent_pods = true;
};

struct ReconcileStats {
  bool secret_written = false;
  int status_patches = 0;
  int events = 0;
  int pods_nudged = 0;
};

class NamespaceReconciler {
 public:
  // All references must outlive the reconciler.
  NamespaceReconciler(const ClusterCache& cache, ClusterWriter& writer, const AgentPolls& polls,
                      EventRecorder& events, const Clock& clock, ReconcilerOptions options);

  // Not thread-safe for one namespace; the work queue never runs one key twice at once.
  Result<ReconcileStats> Reconcile(const std::string& ns);

 private:
  const ClusterCache& cache_;
  ClusterWriter& writer_;
  const AgentPolls& polls_;
  EventRecorder& events_;
  const Clock& clock_;
  ReconcilerOptions options_;
  PatchGate gate_;
  // The status last written per object UID, with the resourceVersion the cache showed when it
  // was written. While the cache still shows that version it has not seen our write yet, and
  // comparing with what we wrote keeps a status from being written (and its Events sent) twice.
  // Once the cache shows any other version, the object's own status is the truth: it holds our
  // write, or another writer's, which must not be trusted away.
  // Keyed by namespace, then UID; a namespace's entries for deleted objects go at its next
  // reconcile.
  template <typename S>
  struct Written {
    S status;
    std::string base_version;
  };
  std::map<std::string, std::map<std::string, Written<ReplicationStatus>>> written_replications_;
  std::map<std::string, std::map<std::string, Written<RemoteStatus>>> written_remotes_;
  // Namespaces whose pod annotation failed, warned about once until it works again.
  std::set<std::string> nudge_failing_;
};

}  // namespace edgerepl::op
