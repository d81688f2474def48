// At most one live-status patch per object per statusInterval (DESIGN.md §9), so a queue size
// that moves every second does not turn into a write per second. A change users must see at
// once (a new generation, a condition's status or reason) passes the gate.
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
  explicit PatchGate(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  // Whether a patch for `key` may go out at `now`; an urgent one always may.
  bool Allow(const std::string& key, TimePoint now, bool urgent) const;
  // Records a patch that went out.
  void Record(const std::string& key, TimePoint now);
  void Forget(const std::string& key);

 private:
  const std::chrono::steady_clock::duration interval_;
  mutable std::mutex mu_;
  std::map<std::string, TimePoint> last_;
};

}  // namespace edgerepl::op
