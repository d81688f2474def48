#include "operator/status/events.h"

#include "operator/model/reasons.h"

namespace edgerepl::op {
namespace {

// A condition moving into False (or to a new False reason) warns; back to True is news.
void ConditionEvents(const Condition* before, const Condition* after, const char* recovered_reason,
                     const std::string& recovered_message, std::vector<EventSpec>* out) {
  if (after == nullptr) return;
  if (after->status == "False") {
    if (before == nullptr || before->status != "False" || before->reason != after->reason) {
      out->push_back({"Warning", after->reason, after->message});
    }
  } else if (after->status == "True" && before != nullptr && before->status != "True") {
    out->push_back({"Normal", recovered_reason, recovered_message + after->message});
  }
}

}  // namespace

std::vector<EventSpec> ReplicationEvents(const ReplicationStatus& before,
                                         const ReplicationStatus& after) {
  std::vector<EventSpec> out;
  ConditionEvents(FindCondition(before.conditions, reason::kReplicating),
                  FindCondition(after.conditions, reason::kReplicating),
                  reason::kReplicationResumed, "replicating again: ", &out);
  for (const AgentStatusEntry& a : after.agent_statuses) {
    const AgentStatusEntry* b = nullptr;
    for (const AgentStatusEntry& e : before.agent_statuses) {
      if (e.pod == a.pod) b = &e;
    }
    for (const auto& [why, points] : a.dropped) {
      uint64_t old = 0;
      if (b != nullptr) {
        auto it = b->dropped.find(why);
        if (it != b->dropped.end()) old = it->second;
      }
      // A restarted agent starts its counters again; only growth is news.
      if (points > old) {
        out.push_back(
            {"Warning", reason::kPointsDropped,
             std::to_string(points - old) + " points dropped (reason " + why + ") on " + a.pod});
      }
    }
  }
  return out;
}

std::vector<EventSpec> RemoteEvents(const RemoteStatus& before, const RemoteStatus& after) {
  std::vector<EventSpec> out;
  ConditionEvents(FindCondition(before.conditions, reason::kReady),
                  FindCondition(after.conditions, reason::kReady), reason::kResolved, "", &out);
  return out;
}

}  // namespace edgerepl::op
