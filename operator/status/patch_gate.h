// At most one live-status patch per object per statusInterval (DESIGN.md §9), so a queue size
// that moves every second does not turn into a write per second. A change users must see at
// once (a new generation, a condition's status or reason) passes the gate.
//
// With a budget (live patches per second over all objects), the interval stretches to
// population / budget once there are more objects than one interval's budget: a thousand busy
// Replications then cost the API server `budget` writes a second instead of a thousand per
// interval, each object's numbers still refreshed in turn (the longest-waiting first, since
// every object waits the same stretched interval after its own last write).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "operator/status/replication_status.h"

namespace edgerepl::op {

// True when before and after differ in observedGeneration or in a condition's type, status or
// reason: what `kubectl get` shows as Ready and what alerts key on.
bool UrgentChange(const ReplicationStatus& before, const ReplicationStatus& after);

class PatchGate {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // `budget_per_second` <= 0: no budget, the interval is fixed.
  explicit PatchGate(std::chrono::steady_clock::duration interval, double budget_per_second = 0)
      : interval_(interval), budget_(budget_per_second) {}

  // Whether a patch for `key` may go out at `now`; an urgent one always may.
  bool Allow(const std::string& key, TimePoint now, bool urgent) const;
  // Records a patch that went out.
  void Record(const std::string& key, TimePoint now);
  void Forget(const std::string& key);
  // How many objects share the budget (all the Replications the caller knows of).
  void SetPopulation(size_t n);
  // The interval in force: the fixed one, or population / budget when that is longer.
  std::chrono::steady_clock::duration Interval() const;

 private:
  std::chrono::steady_clock::duration IntervalLocked() const;

  const std::chrono::steady_clock::duration interval_;
  const double budget_;
  mutable std::mutex mu_;
  size_t population_ = 0;
  std::map<std::string, TimePoint> last_;
};

}  // namespace edgerepl::op
