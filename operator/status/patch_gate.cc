#include "operator/status/patch_gate.h"

#include <algorithm>

namespace edgerepl::op {

bool UrgentChange(const ReplicationStatus& before, const ReplicationStatus& after) {
  if (before.observed_generation != after.observed_generation) return true;
  if (before.conditions.size() != after.conditions.size()) return true;
  for (const Condition& a : after.conditions) {
    const Condition* b = FindCondition(before.conditions, a.type);
    if (b == nullptr || b->status != a.status || b->reason != a.reason) return true;
  }
  return false;
}

bool PatchGate::Allow(const std::string& key, TimePoint now, bool urgent) const {
  if (urgent) return true;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_.find(key);
  return it == last_.end() || now - it->second >= IntervalLocked();
}

void PatchGate::SetPopulation(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  population_ = n;
}

std::chrono::steady_clock::duration PatchGate::Interval() const {
  std::lock_guard<std::mutex> lock(mu_);
  return IntervalLocked();
}

std::chrono::steady_clock::duration PatchGate::IntervalLocked() const {
  if (budget_ <= 0) return interval_;
  auto stretched = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(static_cast<double>(population_) / budget_));
  return std::max(interval_, stretched);
}

void PatchGate::Record(const std::string& key, TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  last_[key] = now;
}

void PatchGate::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  last_.erase(key);
}

}  // namespace edgerepl::op
