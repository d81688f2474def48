#include "operator/status/aggregate.h"

#include <algorithm>

#include "operator/model/reasons.h"

namespace edgerepl::op {
namespace {

Condition Make(const char* type, const char* status, std::string reason, std::string message,
               int64_t generation) {
  return Condition{type, status, std::move(reason), std::move(message), generation, ""};
}

// Agent states that make Replicating False, worst first, with the condition reason each maps to.
struct Failure {
  const char* state;
  const char* reason;
};
constexpr Failure kFailures[] = {
    {"Unauthorized", reason::kUnauthorized}, {"NotFound", reason::kRemoteBucketNotFound},
    {"Stalled", reason::kStalled},           {"QueueFull", reason::kQueueFull},
    {"Backoff", reason::kRemoteUnreachable}, {"Suspended", reason::kSuspended},
};

int Severity(const std::string& state) {
  for (size_t i = 0; i < std::size(kFailures); ++i) {
    if (state == kFailures[i].state) return static_cast<int>(std::size(kFailures) - i);
  }
  return 0;
}

const char* FailureReason(const std::string& state) {
  for (const Failure& f : kFailures) {
    if (state == f.state) return f.reason;
  }
  return reason::kSending;
}

std::string Describe(const AgentStatusEntry& e) {
  std::string m = e.pod + ": " + e.state;
  if (e.latest_response_code != 0 || e.state == "Backoff") {
    m += " (latest code " + std::to_string(e.latest_response_code) + ")";
  }
  if (!e.latest_error_message.empty()) m += ": " + e.latest_error_message;
  return m;
}

}  // namespace

ReplicationStatus AggregateReplication(const Replication& replication, const Verdict& verdict,
                                       const std::vector<AgentPoll>& agents) {
  const int64_t gen = replication.meta.generation;
  ReplicationStatus st;
  st.observed_generation = gen;
  st.remote_bucket = !replication.spec.remote_bucket.empty() ? replication.spec.remote_bucket
                                                             : replication.spec.remote_bucket_id;
  const std::string& id = replication.meta.uid;

  int unreachable = 0, pending = 0;
  for (const AgentPoll& poll : agents) {
    AgentStatusEntry e;
    e.pod = poll.pod;
    e.pod_ip = poll.pod_ip;
    e.reachable = poll.reachable;
    if (!poll.reachable) {
      e.error = poll.error.empty() ? "not reachable" : poll.error;
      ++unreachable;
    } else if (const AgentReplication* r = poll.report.Find(id); r == nullptr) {
      e.error = "replication not loaded by the agent (config not delivered yet)";
      ++pending;
    } else {
      e.state = r->state.empty() ? "Unknown" : r->state;
      e.current_queue_size_bytes = r->current_queue_size_bytes;
      e.pending_points = r->pending_points;
      e.latest_response_code = r->latest_response_code;
      e.latest_error_message = r->latest_error_message;
      e.last_success_time = r->last_success_time;
      e.consecutive_failures = r->consecutive_failures;
      e.oldest_pending_age_seconds = r->oldest_pending_age_seconds;
      e.dropped = r->dropped;
      e.backfill = r->backfill;
      ++st.ready_agents;
      st.current_queue_size_bytes += e.current_queue_size_bytes;
      st.oldest_pending_age_seconds =
          std::max(st.oldest_pending_age_seconds, e.oldest_pending_age_seconds);
    }
    st.agent_statuses.push_back(std::move(e));
  }
  std::sort(st.agent_statuses.begin(), st.agent_statuses.end(),
            [](const AgentStatusEntry& a, const AgentStatusEntry& b) { return a.pod < b.pod; });
  st.agents = static_cast<int>(agents.size());
  st.agents_summary = std::to_string(st.ready_agents) + "/" + std::to_string(st.agents);

  // The worst loaded agent speaks for the replication; when all are healthy, the latest code of
  // any of them (they all succeed).
  const AgentStatusEntry* worst = nullptr;
  for (const AgentStatusEntry& e : st.agent_statuses) {
    if (!e.reachable || !e.error.empty()) continue;
    if (worst == nullptr || Severity(e.state) > Severity(worst->state) ||
        (Severity(e.state) == Severity(worst->state) &&
         e.latest_response_code > worst->latest_response_code)) {
      worst = &e;
    }
  }
  if (worst != nullptr) st.latest_response_code = worst->latest_response_code;

  if (!verdict.ok) {
    st.conditions.push_back(Make(reason::kReady, "False", verdict.reason, verdict.message, gen));
    st.conditions.push_back(Make(reason::kReplicating, "False", verdict.reason,
                                 "not in the agents' config: " + verdict.message, gen));
    return st;
  }
  if (agents.empty()) {
    std::string m =
        "no agent pod (label app.kubernetes.io/component=edgerepl-agent) in the "
        "namespace matches spec.agentSelector";
    st.conditions.push_back(Make(reason::kReady, "False", reason::kNoAgents, m, gen));
    st.conditions.push_back(Make(reason::kReplicating, "False", reason::kNoAgents, m, gen));
    return st;
  }

  std::string unreachable_note;
  if (unreachable > 0) {
    unreachable_note = "; " + std::to_string(unreachable) + " of " + std::to_string(st.agents) +
                       " agents unreachable";
  }
  if (st.ready_agents == 0) {
    if (pending > 0) {
      std::string m = "no agent has loaded the replication yet (" + std::to_string(pending) +
                      " of " + std::to_string(st.agents) + " answered without it)";
      st.conditions.push_back(Make(reason::kReady, "False", reason::kConfigPending, m, gen));
      st.conditions.push_back(
          Make(reason::kReplicating, "Unknown", reason::kConfigPending, m, gen));
    } else {
      std::string m = "no selected agent answered: " + st.agent_statuses.front().pod + ": " +
                      st.agent_statuses.front().error;
      st.conditions.push_back(Make(reason::kReady, "Unknown", reason::kAgentUnreachable, m, gen));
      st.conditions.push_back(
          Make(reason::kReplicating, "Unknown", reason::kAgentUnreachable, m, gen));
    }
    return st;
  }

  if (pending > 0) {
    st.conditions.push_back(Make(reason::kReady, "False", reason::kConfigPending,
                                 "loaded by " + std::to_string(st.ready_agents) + " of " +
                                     std::to_string(st.agents) + " agents" + unreachable_note,
                                 gen));
  } else {
    st.conditions.push_back(Make(reason::kReady, "True", reason::kDelivered,
                                 "running on " + std::to_string(st.ready_agents) + " of " +
                                     std::to_string(st.agents) + " agents" + unreachable_note,
                                 gen));
  }

  if (replication.spec.suspend) {
    st.conditions.push_back(Make(reason::kReplicating, "False", reason::kSuspended,
                                 "spec.suspend is true: queueing, not sending", gen));
  } else if (worst != nullptr && Severity(worst->state) > 0) {
    st.conditions.push_back(
        Make(reason::kReplicating, "False", FailureReason(worst->state), Describe(*worst), gen));
  } else {
    st.conditions.push_back(Make(reason::kReplicating, "True", reason::kSending,
                                 std::to_string(st.ready_agents) + " agents sending, " +
                                     std::to_string(st.current_queue_size_bytes) + " bytes queued" +
                                     unreachable_note,
                                 gen));
  }
  return st;
}

RemoteStatus RemoteStatusFor(const Remote& remote, const Verdict& verdict, int replications) {
  RemoteStatus st;
  st.observed_generation = remote.meta.generation;
  st.replications = replications;
  st.conditions.push_back(Make(reason::kReady, verdict.ok ? "True" : "False", verdict.reason,
                               verdict.message, remote.meta.generation));
  return st;
}

}  // namespace edgerepl::op
