#include "operator/status/patch_gate.h"

#include <algorithm>

namespace edgerepl::op {
namespace {

// A busy object wants a patch at every poll; two intervals cover a poll that runs late.
constexpr int kDemandWindowIntervals = 2;
// Demand changes slowly: counting it once a second keeps Allow cheap with thousands of objects.
constexpr std::chrono::seconds kRecountEvery{1};

}  // namespace

bool UrgentChange(const ReplicationStatus& before, const ReplicationStatus& after) {
  if (before.observed_generation != after.observed_generation) return true;
  if (before.conditions.size() != after.conditions.size()) return true;
  for (const Condition& a : after.conditions) {
    const Condition* b = FindCondition(before.conditions, a.type);
    if (b == nullptr || b->status != a.status || b->reason != a.reason) return true;
  }
  return false;
}

PatchGate::PatchGate(Duration interval, double budget_per_second)
    : interval_(interval),
      budget_(budget_per_second),
      stretched_(interval),
      burst_(std::max(1.0, budget_per_second * std::chrono::duration<double>(interval).count())),
      tokens_(burst_) {}

bool PatchGate::Allow(const std::string& key, TimePoint now, bool urgent) {
  if (urgent) return true;
  std::lock_guard<std::mutex> lock(mu_);
  wanted_[key] = now;
  if (!counted_once_ || now - counted_ >= kRecountEvery) RecountLocked(now);
  if (auto it = last_.find(key); it != last_.end() && now - it->second < stretched_) {
    return false;
  }
  if (budget_ <= 0) return true;
  if (!refilled_once_) {
    refilled_ = now;
    refilled_once_ = true;
  } else if (now > refilled_) {
    tokens_ = std::min(burst_,
                       tokens_ + std::chrono::duration<double>(now - refilled_).count() * budget_);
    refilled_ = now;
  }
  // Out of tokens the object stays due: its namespace's next reconcile asks again.
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void PatchGate::RecountLocked(TimePoint now) {
  counted_ = now;
  counted_once_ = true;
  std::erase_if(wanted_,
                [&](const auto& e) { return now - e.second > interval_ * kDemandWindowIntervals; });
  stretched_ = interval_;
  if (budget_ > 0) {
    stretched_ =
        std::max(interval_, std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
                                static_cast<double>(wanted_.size()) / budget_)));
  }
  // An entry older than the interval allows a patch either way; dropping it also drops the
  // objects that were deleted.
  std::erase_if(last_, [&](const auto& e) { return now - e.second >= stretched_; });
}

PatchGate::Duration PatchGate::Interval(TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  RecountLocked(now);
  return stretched_;
}

void PatchGate::Record(const std::string& key, TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  last_[key] = now;
}

void PatchGate::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  last_.erase(key);
  wanted_.erase(key);
}

}  // namespace edgerepl::op
