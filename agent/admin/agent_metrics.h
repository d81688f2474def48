// The agent's process-level metrics (DESIGN.md §7): build info and the outcome of the last
// config reload.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

namespace edgerepl::admin {

class AgentMetrics {
 public:
  // `registry` must outlive this object.
  AgentMetrics(prometheus::Registry& registry, const std::string& version);

  // 1 after a valid file was loaded (applied or unchanged), 0 after a refused one.
  void ReloadOutcome(bool ok, double unix_seconds);

 private:
  prometheus::Gauge& reload_ok_;
  prometheus::Gauge& reload_time_;
};

}  // namespace edgerepl::admin
