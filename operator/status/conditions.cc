#include "operator/status/conditions.h"

namespace edgerepl::op {

const Condition* FindCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::vector<Condition> MergeConditions(const std::vector<Condition>& current,
                                       std::vector<Condition> desired,
                                       const std::string& now_rfc3339) {
  for (Condition& c : desired) {
    const Condition* old = FindCondition(current, c.type);
    c.last_transition_time =
        old != nullptr && old->status == c.status && !old->last_transition_time.empty()
            ? old->last_transition_time
            : now_rfc3339;
  }
  return desired;
}

}  // namespace edgerepl::op
