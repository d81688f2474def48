// At most one live-status patch per object per statusInterval (DESIGN.md §9), so a queue size
// that moves every second does not turn into a write per second. A change users must see at
// once (a new generation, a condition's status or reason) passes the gate.
//
// With a budget (live patches per second over all objects), the interval stretches to
// demand / budget once more objects want a live patch than one interval's budget covers: a
// thousand busy Replications then cost the API server `budget` writes a second instead of a
// thousand per interval, each one's numbers still refreshed in turn (every object waits the same
// stretched interval after its own last write). Demand counts only the objects whose numbers
// moved lately, so idle Replications do not slow the busy ones' refresh. A token bucket holding
// one interval's budget caps the bursts the interval alone lets through: the objects the gate
// has not seen written (all of them after a restart or a failover) go at `budget` a second
// after the first interval's worth, not all in the first cycle.
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
  using Duration = std::chrono::steady_clock::duration;
  // `budget_per_second` <= 0: no budget, the interval is fixed.
  explicit PatchGate(Duration interval, double budget_per_second = 0);

  // Whether a patch for `key` may go out at `now`; an urgent one always may. A call for a
  // live-number change counts `key` in the demand and, when it is allowed under a budget, takes
  // a token: call it only when the patch would be sent.
  bool Allow(const std::string& key, TimePoint now, bool urgent);
  // Records a patch that went out.
  void Record(const std::string& key, TimePoint now);
  void Forget(const std::string& key);
  // The interval in force at `now`: the fixed one, or demand / budget when that is longer.
  Duration Interval(TimePoint now);

 private:
  void RecountLocked(TimePoint now);

  const Duration interval_;
  const double budget_;
  std::mutex mu_;
  std::map<std::string, TimePoint> last_;    // last patch per key
  std::map<std::string, TimePoint> wanted_;  // last live-number change seen per key
  Duration stretched_;
  TimePoint counted_{};
  bool counted_once_ = false;
  const double burst_;
  double tokens_;
  TimePoint refilled_{};
  bool refilled_once_ = false;
};

}  // namespace edgerepl::op
