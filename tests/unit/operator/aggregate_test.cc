#include "operator/status/aggregate.h"

#include <gtest/gtest.h>

#include "operator/model/decode.h"
#include "operator/model/reasons.h"
#include "tests/unit/operator/fixtures.h"

namespace edgerepl::op {
namespace {

using testing::Json;

const Verdict kAccepted{true, reason::kAccepted, "in the agents' config Secret"};

Replication Rep() {
  return DecodeReplication(Json(testing::ReplicationJson("r", testing::kReplicationSpec, 3)));
}

AgentPoll Agent(const std::string& pod, const std::string& state, int code = 204,
                uint64_t queue_bytes = 100, int64_t age = 5) {
  AgentPoll p;
  p.pod = pod;
  p.pod_ip = "10.0.0.1";
  p.reachable = true;
  AgentReplication r;
  r.id = "uid-r";
  r.name = "r";
  r.state = state;
  r.latest_response_code = code;
  r.current_queue_size_bytes = queue_bytes;
  r.oldest_pending_age_seconds = age;
  if (code >= 400) r.latest_error_message = "remote said no";
  p.report.replications.push_back(r);
  return p;
}

AgentPoll Unreachable(const std::string& pod) {
  AgentPoll p;
  p.pod = pod;
  p.pod_ip = "10.0.0.9";
  p.error = "connection refused";
  return p;
}

AgentPoll WithoutReplication(const std::string& pod) {
  AgentPoll p = Agent(pod, "Idle");
  p.report.replications.clear();
  return p;
}

struct Case {
  const char* name;
  std::vector<AgentPoll> agents;
  bool suspend;
  const char* ready_status;
  const char* ready_reason;
  const char* replicating_status;
  const char* replicating_reason;
};

const Case kCases[] = {
    {"sending",
     {Agent("a", "Replicating"), Agent("b", "Idle", 204, 0, 0)},
     false,
     "True",
     reason::kDelivered,
     "True",
     reason::kSending},
    {"remote_unreachable",
     {Agent("a", "Replicating"), Agent("b", "Backoff", 0)},
     false,
     "True",
     reason::kDelivered,
     "False",
     reason::kRemoteUnreachable},
    {"unauthorized",
     {Agent("a", "Unauthorized", 401)},
     false,
     "True",
     reason::kDelivered,
     "False",
     reason::kUnauthorized},
    {"bucket_not_found",
     {Agent("a", "NotFound", 404)},
     false,
     "True",
     reason::kDelivered,
     "False",
     reason::kRemoteBucketNotFound},
    {"stalled",
     {Agent("a", "Stalled", 400)},
     false,
     "True",
     reason::kDelivered,
     "False",
     reason::kStalled},
    {"queue_full",
     {Agent("a", "QueueFull", 503)},
     false,
     "True",
     reason::kDelivered,
     "False",
     reason::kQueueFull},
    {"suspended_by_spec",
     {Agent("a", "Suspended")},
     true,
     "True",
     reason::kDelivered,
     "False",
     reason::kSuspended},
    {"unauthorized_beats_backoff",
     {Agent("a", "Backoff", 0), Agent("b", "Unauthorized", 401)},
     false,
     "True",
     reason::kDelivered,
     "False",
     reason::kUnauthorized},
    {"no_agents", {}, false, "False", reason::kNoAgents, "False", reason::kNoAgents},
    {"all_unreachable",
     {Unreachable("a")},
     false,
     "Unknown",
     reason::kAgentUnreachable,
     "Unknown",
     reason::kAgentUnreachable},
    {"one_unreachable",
     {Agent("a", "Replicating"), Unreachable("b")},
     false,
     "True",
     reason::kDelivered,
     "True",
     reason::kSending},
    {"config_pending",
     {WithoutReplication("a")},
     false,
     "False",
     reason::kConfigPending,
     "Unknown",
     reason::kConfigPending},
    {"partly_loaded",
     {Agent("a", "Replicating"), WithoutReplication("b")},
     false,
     "False",
     reason::kConfigPending,
     "True",
     reason::kSending},
};

class Aggregate : public ::testing::TestWithParam<Case> {};

TEST_P(Aggregate, Conditions) {
  Replication rep = Rep();
  rep.spec.suspend = GetParam().suspend;
  ReplicationStatus st = AggregateReplication(rep, kAccepted, GetParam().agents);
  const Condition* ready = FindCondition(st.conditions, reason::kReady);
  const Condition* replicating = FindCondition(st.conditions, reason::kReplicating);
  ASSERT_NE(ready, nullptr);
  ASSERT_NE(replicating, nullptr);
  EXPECT_EQ(ready->status, GetParam().ready_status) << ready->message;
  EXPECT_EQ(ready->reason, GetParam().ready_reason) << ready->message;
  EXPECT_EQ(replicating->status, GetParam().replicating_status) << replicating->message;
  EXPECT_EQ(replicating->reason, GetParam().replicating_reason) << replicating->message;
  EXPECT_EQ(ready->observed_generation, 3);
  EXPECT_EQ(st.observed_generation, 3);
  EXPECT_EQ(st.agents, static_cast<int>(GetParam().agents.size()));
}

INSTANTIATE_TEST_SUITE_P(Table, Aggregate, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AggregateTotals, SumsQueuesAndTakesTheWorstCodeAndOldestAge) {
  ReplicationStatus st =
      AggregateReplication(Rep(), kAccepted,
                           {Agent("b", "Replicating", 204, 1000, 7),
                            Agent("a", "Backoff", 503, 2000, 90), Unreachable("c")});
  EXPECT_EQ(st.current_queue_size_bytes, 3000u);
  EXPECT_EQ(st.latest_response_code, 503);
  EXPECT_EQ(st.oldest_pending_age_seconds, 90);
  EXPECT_EQ(st.ready_agents, 2);
  EXPECT_EQ(st.agents_summary, "2/3");
  EXPECT_EQ(st.remote_bucket, "edge");
  ASSERT_EQ(st.agent_statuses.size(), 3u);
  EXPECT_EQ(st.agent_statuses[0].pod, "a");  // sorted
  EXPECT_EQ(st.agent_statuses[2].pod, "c");
  // The unreachable agent is reported as such, with no invented numbers.
  EXPECT_FALSE(st.agent_statuses[2].reachable);
  EXPECT_EQ(st.agent_statuses[2].error, "connection refused");
  EXPECT_EQ(st.agent_statuses[2].state, "Unknown");
  EXPECT_EQ(st.agent_statuses[2].current_queue_size_bytes, 0u);
}

TEST(AggregateTotals, EachAgentsBackfillIsShownAsItReportsIt) {
  AgentPoll with = Agent("a", "Replicating");
  with.report.replications[0].backfill = BackfillReport{"2026-01-01T00:00:00Z",
                                                        "2026-01-02T00:00:00Z",
                                                        "2026-01-02T00:00:00Z",
                                                        5000,
                                                        120,
                                                        "Draining",
                                                        ""};
  ReplicationStatus st = AggregateReplication(Rep(), kAccepted, {with, Agent("b", "Idle")});
  ASSERT_EQ(st.agent_statuses.size(), 2u);
  EXPECT_EQ(st.agent_statuses[0].backfill, with.report.replications[0].backfill);
  EXPECT_FALSE(st.agent_statuses[1].backfill.has_value());
}

TEST(AggregateTotals, HealthyAgentsReportTheirCode) {
  ReplicationStatus st = AggregateReplication(Rep(), kAccepted, {Agent("a", "Idle", 204, 0, 0)});
  EXPECT_EQ(st.latest_response_code, 204);
}

TEST(AggregateVerdict, RejectedReplicationSaysWhyOnBothConditions) {
  Verdict v{false, reason::kInvalidSpec, "spec.maxQueueSizeBytes: must be at least 33554430"};
  ReplicationStatus st = AggregateReplication(Rep(), v, {Agent("a", "Idle")});
  const Condition* ready = FindCondition(st.conditions, reason::kReady);
  const Condition* replicating = FindCondition(st.conditions, reason::kReplicating);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, reason::kInvalidSpec);
  EXPECT_EQ(ready->message, v.message);
  EXPECT_EQ(replicating->status, "False");
  EXPECT_EQ(replicating->reason, reason::kInvalidSpec);
}

TEST(AggregateRemote, ReadyFromVerdict) {
  Remote r = DecodeRemote(Json(testing::RemoteJson("cloud", testing::kRemoteSpec)));
  RemoteStatus st = RemoteStatusFor(r, {false, reason::kSecretNotFound, "x"}, 4);
  EXPECT_EQ(st.replications, 4);
  ASSERT_EQ(st.conditions.size(), 1u);
  EXPECT_EQ(st.conditions[0].status, "False");
  EXPECT_EQ(st.conditions[0].reason, reason::kSecretNotFound);
}

}  // namespace
}  // namespace edgerepl::op
