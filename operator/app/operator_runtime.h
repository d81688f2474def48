// The operator's loops, wired: a cache refresh loop (every second) that enqueues changed
// namespaces, Lease leader election (when asked), one reconcile worker over the work queue, and
// the agent status poller (every statusInterval). Only the leader reconciles, polls and writes;
// a follower keeps its cache warm so it can take over at once.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/clock.h"
#include "operator/app/flags.h"
#include "operator/app/metrics.h"
#include "operator/cluster/api_client.h"

namespace edgerepl::op {

class OperatorRuntime {
 public:
  // `api`, `registry` and `clock` must outlive the runtime.
  OperatorRuntime(Flags flags, ApiClient& api, prometheus::Registry& registry, const Clock& clock);
  ~OperatorRuntime();

  // Runs until `stop` turns true (then releases the Lease) or leadership is lost (then returns
  // an error at once, before anything else is written, so the process can exit and restart).
  Status Run(const std::atomic<bool>& stop);

  bool ready() const { return ready_.load(); }
  bool leader() const { return leader_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> leader_{false};
};

}  // namespace edgerepl::op
