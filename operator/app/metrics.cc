#include "operator/app/metrics.h"

namespace edgerepl::op {
namespace {

const prometheus::Histogram::BucketBoundaries& ReconcileBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

}  // namespace

OperatorMetrics::OperatorMetrics(prometheus::Registry& registry, std::string controller)
    : controller_(std::move(controller)),
      reconcile_total_(prometheus::BuildCounter()
                           .Name("controller_runtime_reconcile_total")
                           .Help("Reconciliations finished, per controller and result.")
                           .Register(registry)),
      reconcile_errors_(prometheus::BuildCounter()
                            .Name("controller_runtime_reconcile_errors_total")
                            .Help("Reconciliations that returned an error, per controller.")
                            .Register(registry)),
      reconcile_time_(prometheus::BuildHistogram()
                          .Name("controller_runtime_reconcile_time_seconds")
                          .Help("Time one reconciliation took, per controller.")
                          .Register(registry)),
      agents_(prometheus::BuildGauge()
                  .Name("edgerepl_agents")
                  .Help("Agent pods found at the last status poll.")
                  .Register(registry)
                  .Add({})),
      agents_reachable_(prometheus::BuildGauge()
                            .Name("edgerepl_agents_reachable")
                            .Help("Agent pods whose admin API answered the last status poll.")
                            .Register(registry)
                            .Add({})) {
  // Series exist from the start, so rate() and absent() behave before the first error.
  for (const char* result : {"success", "error", "requeue_after"}) {
    reconcile_total_.Add({{"controller", controller_}, {"result", result}});
  }
  reconcile_errors_.Add({{"controller", controller_}});
  reconcile_time_.Add({{"controller", controller_}}, ReconcileBuckets());
}

void OperatorMetrics::ObserveReconcile(const std::string& result,
                                       std::chrono::duration<double> took) {
  reconcile_total_.Add({{"controller", controller_}, {"result", result}}).Increment();
  if (result == "error") reconcile_errors_.Add({{"controller", controller_}}).Increment();
  reconcile_time_.Add({{"controller", controller_}}, ReconcileBuckets()).Observe(took.count());
}

void OperatorMetrics::SetAgents(int agents, int reachable) {
  agents_.Set(agents);
  agents_reachable_.Set(reachable);
}

}  // namespace edgerepl::op
