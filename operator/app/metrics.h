// The operator's own metrics (DESIGN.md §7), named as controller-runtime names them so existing
// dashboards work; the Kubernetes client library adds workqueue_*, rest_client_requests_total
// and leader_election_master_status to the same registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <string>

namespace edgerepl::op {

class OperatorMetrics {
 public:
  OperatorMetrics(prometheus::Registry& registry, std::string controller);

  // result: "success", "error" or "requeue_after".
  void ObserveReconcile(const std::string& result, std::chrono::duration<double> took);
  void SetAgents(int agents, int reachable);

 private:
  std::string controller_;
  prometheus::Family<prometheus::Counter>& reconcile_total_;
  prometheus::Family<prometheus::Counter>& reconcile_errors_;
  prometheus::Family<prometheus::Histogram>& reconcile_time_;
  prometheus::Gauge& agents_;
  prometheus::Gauge& agents_reachable_;
};

}  // namespace edgerepl::op
