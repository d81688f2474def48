// The operator's loops, wired on the Kubernetes client library: list-then-watch informers per
// kind feed the cache and enqueue changed namespaces, one reconcile worker drains the work queue,
// the agent status poller runs every statusInterval, and (when asked) a Lease elects the leader.
// Only the leader reconciles, polls and writes — the REST client refuses writes otherwise — and a
// follower keeps its cache warm so it can take over at once.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/clock.h"
#include "operator/app/flags.h"
#include "operator/kube/rest_client.h"
#include "operator/render/namespace_config.h"

namespace edgerepl::op {

// Shared by the REST client's write gate and the runtime: true while this process may write.
struct LeaderFlag {
  std::atomic<bool> value{false};
};

// The agent-wide part of every rendered agent.yaml, from the --agent-* flags.
RenderSettings AgentRenderSettings(const Flags& flags);

class OperatorRuntime {
 public:
  // All references must outlive the runtime. `client` should consult `leader` before every
  // write (RestClientOptions::write_allowed); `election_client` writes only the Lease and must
  // not be gated so.
  OperatorRuntime(Flags flags, kube::RestClient& client, kube::RestClient& election_client,
                  prometheus::Registry& registry, Clock& clock, LeaderFlag& leader);
  ~OperatorRuntime();

  // Runs until `stop` turns true (then releases the Lease) or leadership is lost (then returns
  // kAborted at once; the process should exit and restart).
  Status Run(const std::atomic<bool>& stop);

  bool ready() const { return ready_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> ready_{false};
};

}  // namespace edgerepl::op
