// Agent report parsing, status JSON round trips, condition transition times, events, the
// patch gate and base64.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "agent/admin/status_json.h"
#include "common/codec/base64.h"
#include "operator/model/reasons.h"
#include "operator/status/agent_report.h"
#include "operator/status/events.h"
#include "operator/status/patch_gate.h"
#include "operator/status/status_json.h"

namespace edgerepl::op {
namespace {

TEST(AgentReport, ParsesTheAdminApiShape) {
  Result<AgentReport> r = ParseAgentReport(R"({
    "version": "0.1.0", "configHash": "abc",
    "replications": [{
      "id": "uid-1", "name": "r", "remote": "cloud", "localBucket": "t", "remoteBucket": "e",
      "maxQueueSizeBytes": 67108860, "currentQueueSizeBytes": 1234, "pendingPoints": 12,
      "latestResponseCode": 503, "latestErrorMessage": "unavailable",
      "lastSuccessTime": "2026-11-25T10:00:00Z", "consecutiveFailures": 3,
      "oldestPendingAgeSeconds": 42, "state": "Backoff",
      "dropped": {"queue_full": 5, "expired": 0}, "somethingNew": true}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, "0.1.0");
  EXPECT_EQ(r->config_hash, "abc");
  const AgentReplication* a = r->Find("uid-1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->current_queue_size_bytes, 1234u);
  EXPECT_EQ(a->pending_points, 12u);
  EXPECT_EQ(a->latest_response_code, 503);
  EXPECT_EQ(a->latest_error_message, "unavailable");
  EXPECT_EQ(a->last_success_time, "2026-11-25T10:00:00Z");
  EXPECT_EQ(a->consecutive_failures, 3u);
  EXPECT_EQ(a->oldest_pending_age_seconds, 42);
  EXPECT_EQ(a->state, "Backoff");
  EXPECT_EQ(a->dropped.at("queue_full"), 5u);
  EXPECT_EQ(r->Find("other"), nullptr);
}

// The agent's own status document (its serializer, not a copy of its shape) with a backfill.
TEST(AgentReport, ReadsTheAgentsBackfill) {
  admin::ReplicationStatus with;
  with.id = "uid-1";
  with.backfill = admin::BackfillStatus{1767225600000000000,
                                        1767312000000000000,
                                        1767268800500000000,
                                        1200,
                                        30,
                                        50000,
                                        "Reading",
                                        "config",
                                        "local query: 500 Internal Server Error"};
  admin::ReplicationStatus without;
  without.id = "uid-2";
  Result<AgentReport> r =
      ParseAgentReport(admin::ReplicationsJson("0.1.0", "hash", {with, without}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->Find("uid-1")->backfill.has_value());
  EXPECT_EQ(
      *r->Find("uid-1")->backfill,
      (BackfillReport{"2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-01T12:00:00.5Z",
                      1200, 30, "Reading", "local query: 500 Internal Server Error"}));
  EXPECT_FALSE(r->Find("uid-2")->backfill.has_value());
}

TEST(AgentReport, UnixSecondsTimeBecomesRfc3339) {
  Result<AgentReport> r =
      ParseAgentReport(R"({"replications":[{"id":"x","lastSuccessTime":1764064800}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replications[0].last_success_time, "2025-11-25T10:00:00Z");
}

// A number no agent can have written shows as no time at all, never as an overflowed one.
TEST(AgentReport, UnixSecondsOutsideTheNanosecondRangeShowNoTime) {
  for (const char* seconds : {"0", "-5", "9223372037", "253402300799", "1e300"}) {
    Result<AgentReport> r = ParseAgentReport(
        std::string(R"({"replications":[{"id":"x","lastSuccessTime":)") + seconds + "}]}");
    ASSERT_TRUE(r.ok()) << seconds;
    EXPECT_EQ(r->replications[0].last_success_time, "") << seconds;
  }
  Result<AgentReport> last =
      ParseAgentReport(R"({"replications":[{"id":"x","lastSuccessTime":9223372035}]})");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->replications[0].last_success_time, "2262-04-11T23:47:15Z");
}

TEST(AgentReport, RefusesWhatIsNotAReport) {
  EXPECT_FALSE(ParseAgentReport("<html>").ok());
  EXPECT_FALSE(ParseAgentReport("[]").ok());
  EXPECT_FALSE(ParseAgentReport(R"({"version":"1"})").ok());
}

ReplicationStatus Sample() {
  ReplicationStatus s;
  s.observed_generation = 2;
  s.remote_bucket = "edge";
  s.current_queue_size_bytes = 77;
  s.latest_response_code = 204;
  s.oldest_pending_age_seconds = 3;
  s.agents = 2;
  s.ready_agents = 1;
  s.agents_summary = "1/2";
  AgentStatusEntry a;
  a.pod = "a";
  a.pod_ip = "10.0.0.1";
  a.reachable = true;
  a.state = "Replicating";
  a.current_queue_size_bytes = 77;
  a.latest_response_code = 204;
  a.dropped = {{"expired", 4}};
  a.backfill = BackfillReport{"2026-01-01T00:00:00Z",
                              "2026-01-02T00:00:00Z",
                              "2026-01-01T06:00:00Z",
                              900,
                              0,
                              "Reading",
                              ""};
  AgentStatusEntry b;
  b.pod = "b";
  b.error = "connection refused";
  s.agent_statuses = {a, b};
  s.conditions = {{"Ready", "True", "Delivered", "ok", 2, "2026-11-25T10:00:00Z"},
                  {"Replicating", "True", "Sending", "ok", 2, "2026-11-25T10:00:00Z"}};
  return s;
}

TEST(StatusJson, ReplicationRoundTrip) {
  ReplicationStatus s = Sample();
  web::json::value object = StatusPatch(ToJson(s));
  // Through text, as the API would store and return it.
  web::json::value back = web::json::value::parse(object.serialize());
  EXPECT_EQ(ReplicationStatusFromObject(back), s);
}

TEST(StatusJson, RemoteRoundTrip) {
  RemoteStatus s{3, 2, {{"Ready", "False", "SecretNotFound", "m", 3, "2026-11-25T10:00:00Z"}}};
  web::json::value back = web::json::value::parse(StatusPatch(ToJson(s)).serialize());
  EXPECT_EQ(RemoteStatusFromObject(back), s);
  EXPECT_EQ(RemoteStatusFromObject(web::json::value::object()), RemoteStatus{});
}

TEST(Conditions, TransitionTimeMovesOnlyWhenStatusFlips) {
  std::vector<Condition> current = {{"Ready", "True", "A", "m", 1, "T0"},
                                    {"Replicating", "True", "Sending", "m", 1, "T0"}};
  std::vector<Condition> desired = {{"Ready", "True", "B", "other", 2, ""},
                                    {"Replicating", "False", "Stalled", "m", 2, ""}};
  std::vector<Condition> merged = MergeConditions(current, desired, "T1");
  EXPECT_EQ(merged[0].last_transition_time, "T0");
  EXPECT_EQ(merged[0].reason, "B");
  EXPECT_EQ(merged[1].last_transition_time, "T1");
  EXPECT_EQ(MergeConditions({}, desired, "T2")[0].last_transition_time, "T2");
}

ReplicationStatus WithReplicating(const char* status, const char* why) {
  ReplicationStatus s;
  s.conditions = {{"Replicating", status, why, std::string("because ") + why, 1, "T"}};
  return s;
}

struct EventCase {
  const char* name;
  ReplicationStatus before;
  ReplicationStatus after;
  std::vector<EventSpec> expected;
};

TEST(Events, Transitions) {
  const EventCase cases[] = {
      {"lost",
       WithReplicating("True", reason::kSending),
       WithReplicating("False", reason::kRemoteUnreachable),
       {{"Warning", reason::kRemoteUnreachable, "because RemoteUnreachable"}}},
      {"reason_changed",
       WithReplicating("False", reason::kRemoteUnreachable),
       WithReplicating("False", reason::kQueueFull),
       {{"Warning", reason::kQueueFull, "because QueueFull"}}},
      {"still_failing",
       WithReplicating("False", reason::kQueueFull),
       WithReplicating("False", reason::kQueueFull),
       {}},
      {"regained",
       WithReplicating("False", reason::kRemoteUnreachable),
       WithReplicating("True", reason::kSending),
       {{"Normal", reason::kReplicationResumed, "replicating again: because Sending"}}},
      {"first_healthy", ReplicationStatus{}, WithReplicating("True", reason::kSending), {}},
      {"first_failing",
       ReplicationStatus{},
       WithReplicating("False", reason::kNoAgents),
       {{"Warning", reason::kNoAgents, "because NoAgents"}}},
      {"unknown_is_quiet",
       WithReplicating("True", reason::kSending),
       WithReplicating("Unknown", reason::kAgentUnreachable),
       {}},
  };
  for (const EventCase& c : cases) {
    EXPECT_EQ(ReplicationEvents(c.before, c.after), c.expected) << c.name;
  }
}

TEST(Events, DropsAreReportedOncePerIncrease) {
  ReplicationStatus before = Sample();
  ReplicationStatus after = Sample();
  EXPECT_TRUE(ReplicationEvents(before, after).empty());
  after.agent_statuses[0].dropped["expired"] = 10;
  after.agent_statuses[0].dropped["queue_full"] = 2;
  std::vector<EventSpec> events = ReplicationEvents(before, after);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], (EventSpec{"Warning", reason::kPointsDropped,
                                  "6 points dropped (reason expired) on a"}));
  EXPECT_EQ(events[1].message, "2 points dropped (reason queue_full) on a");
}

TEST(Events, RemoteReadyTransitions) {
  RemoteStatus ok{1, 0, {{"Ready", "True", reason::kResolved, "fine", 1, "T"}}};
  RemoteStatus bad{1, 0, {{"Ready", "False", reason::kSecretNotFound, "gone", 1, "T"}}};
  EXPECT_EQ(RemoteEvents(ok, bad),
            (std::vector<EventSpec>{{"Warning", reason::kSecretNotFound, "gone"}}));
  EXPECT_EQ(RemoteEvents(bad, ok), (std::vector<EventSpec>{{"Normal", reason::kResolved, "fine"}}));
  EXPECT_TRUE(RemoteEvents(ok, ok).empty());
}

TEST(PatchGate, OncePerIntervalUnlessUrgent) {
  using namespace std::chrono_literals;
  PatchGate gate(15s);
  auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  EXPECT_TRUE(gate.Allow("ns/r", t0, false));
  gate.Record("ns/r", t0);
  EXPECT_FALSE(gate.Allow("ns/r", t0 + 14s, false));
  EXPECT_TRUE(gate.Allow("ns/r", t0 + 14s, true));
  EXPECT_TRUE(gate.Allow("ns/other", t0 + 1s, false));
  EXPECT_TRUE(gate.Allow("ns/r", t0 + 15s, false));
  gate.Forget("ns/r");
  EXPECT_TRUE(gate.Allow("ns/r", t0 + 1s, false));
}

// Replications `busy` of `total` polled every cycle (15 s), their namespaces reconciled one
// after another over the cycle; how many live patches went out and the longest any busy one
// waited between two of them, over cycles [from, to).
struct GateRun {
  int patches = 0;
  std::chrono::steady_clock::duration longest_wait{};
};

GateRun RunCycles(PatchGate& gate, int busy, int from, int to) {
  using namespace std::chrono_literals;
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  std::map<int, std::chrono::steady_clock::time_point> written;
  GateRun run;
  for (int cycle = 0; cycle < to; ++cycle) {
    for (int i = 0; i < busy; ++i) {
      auto now = t0 + cycle * 15s + i * (15000ms / busy);
      if (!gate.Allow("ns/r" + std::to_string(i), now, false)) continue;
      gate.Record("ns/r" + std::to_string(i), now);
      if (cycle >= from) {
        ++run.patches;
        if (written.count(i)) run.longest_wait = std::max(run.longest_wait, now - written[i]);
      }
      written[i] = now;
    }
  }
  return run;
}

// A thousand busy Replications at 5 live patches a second: each one's numbers every 200 s, not
// a thousand writes every interval, and none left behind.
TEST(PatchGate, BudgetStretchesTheIntervalByDemand) {
  using namespace std::chrono_literals;
  PatchGate gate(15s, 5);
  // Past the start (the first 75 at once, then 5 a second), 20 cycles = 300 s.
  GateRun run = RunCycles(gate, 1000, 20, 40);
  EXPECT_NEAR(run.patches / 300.0, 5.0, 0.5);
  EXPECT_LE(run.longest_wait, 215s);
  EXPECT_EQ(gate.Interval(std::chrono::steady_clock::time_point{} + 700s), 200s);

  // Without a budget every one is written every cycle.
  PatchGate unbudgeted(15s, 0);
  EXPECT_EQ(RunCycles(unbudgeted, 1000, 2, 4).patches, 2000);
}

// Idle Replications (numbers unchanged: the gate is not asked) do not slow the busy ones.
TEST(PatchGate, OnlyBusyObjectsShareTheBudget) {
  using namespace std::chrono_literals;
  PatchGate gate(15s * 9 / 10, 5);
  GateRun run = RunCycles(gate, 40, 2, 10);
  EXPECT_EQ(run.patches, 40 * 8);
  EXPECT_LE(run.longest_wait, 15s);
}

// After a restart every object is new to the gate: one interval's budget goes at once, the rest
// at the budget's pace, so the API server does not take a thousand patches in one cycle.
TEST(PatchGate, NewObjectsAreCappedByTheBudget) {
  using namespace std::chrono_literals;
  PatchGate gate(15s, 5);
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) {
    if (gate.Allow("ns/r" + std::to_string(i), t0, false)) ++allowed;
  }
  EXPECT_EQ(allowed, 75);
  EXPECT_FALSE(gate.Allow("ns/r999", t0 + 100ms, false));
  EXPECT_TRUE(gate.Allow("ns/r999", t0 + 200ms, false));
  EXPECT_TRUE(gate.Allow("ns/r998", t0 + 200ms, true));  // urgent: no token needed
}

TEST(PatchGate, UrgentChanges) {
  ReplicationStatus a = Sample();
  ReplicationStatus b = Sample();
  b.current_queue_size_bytes = 999;  // live numbers wait for the interval
  b.conditions[1].message = "other";
  EXPECT_FALSE(UrgentChange(a, b));
  b.conditions[1].reason = "Stalled";
  EXPECT_TRUE(UrgentChange(a, b));
  b = Sample();
  b.observed_generation = 3;
  EXPECT_TRUE(UrgentChange(a, b));
}

TEST(Base64, RoundTripAndRefusal) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(codec::Base64Decode(codec::Base64Encode(s)), s);
  }
  EXPECT_EQ(codec::Base64Encode("token"), "dG9rZW4=");
  EXPECT_EQ(codec::Base64Decode("dG9rZW4="), "token");
  EXPECT_FALSE(codec::Base64Decode("dG9rZW4").has_value());
  EXPECT_FALSE(codec::Base64Decode("dG9r*W4=").has_value());
  EXPECT_FALSE(codec::Base64Decode("d=9rZW4=").has_value());
}

}  // namespace
}  // namespace edgerepl::op
