// metav1.Condition values and the one rule that makes status stable: lastTransitionTime moves
// only when a condition's status flips, so re-computing the same state writes nothing new.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgerepl::op {

struct Condition {
  std::string type;
  std::string status;  // "True" | "False" | "Unknown"
  std::string reason;
  std::string message;
  int64_t observed_generation = 0;
  std::string last_transition_time;  // RFC 3339, UTC
  bool operator==(const Condition&) const = default;
};

// The desired conditions with lastTransitionTime taken from `current` where the same type has the
// same status, and `now_rfc3339` otherwise.
std::vector<Condition> MergeConditions(const std::vector<Condition>& current,
                                       std::vector<Condition> desired,
                                       const std::string& now_rfc3339);

const Condition* FindCondition(const std::vector<Condition>& conditions, const std::string& type);

}  // namespace edgerepl::op
