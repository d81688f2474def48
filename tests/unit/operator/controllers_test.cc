#include <gtest/gtest.h>

#include "common/codec/base64.h"
#include "common/config/parse.h"
#include "operator/controllers/agent_poller.h"
#include "operator/controllers/config_nudge.h"
#include "operator/controllers/http_agent_client.h"
#include "operator/controllers/namespace_reconciler.h"
#include "operator/controllers/secret_writer.h"
#include "operator/model/reasons.h"
#include "operator/status/status_json.h"
#include "tests/unit/operator/fakes.h"
#include "tests/unit/operator/fixtures.h"

namespace edgerepl::op {
namespace {

using namespace std::chrono_literals;
using testing::Json;

web::json::value TokenSecret(const std::string& token) {
  return Json(
      R"({"metadata":{"name":"cloud-token","namespace":"edge","resourceVersion":"1"},"data":{"token":")" +
      codec::Base64Encode(token) + R"("}})");
}

web::json::value AgentPodJson(const std::string& name, const std::string& ip, int port) {
  return Json(
      R"({"metadata":{"name":")" + name +
      R"(","namespace":"edge","labels":{"app.kubernetes.io/component":"edgerepl-agent"}},"spec":{"containers":[{"name":"agent","ports":[{"name":"http","containerPort":8186},{"name":"edgerepl-admin","containerPort":)" +
      std::to_string(port) + R"(}]}]},"status":{"phase":"Running","podIP":")" + ip + R"("}})");
}

std::string Report(const std::string& state, int code, uint64_t bytes) {
  return R"({"version":"0.1.0","configHash":"h","replications":[{"id":"uid-edge-to-cloud","name":"edge-to-cloud","state":")" +
         state + R"(","latestResponseCode":)" + std::to_string(code) +
         R"(,"currentQueueSizeBytes":)" + std::to_string(bytes) + "}]}";
}

class ControllerTest : public ::testing::Test {
 protected:
  ControllerTest()
      : recorder_(cluster_, clock_, "operator-0"),
        reconciler_(cluster_, cluster_, polls_, recorder_, clock_, Options()),
        poller_(cluster_, agents_, polls_, nullptr) {
    cluster_.Put(Kind::kRemote, Json(testing::RemoteJson("cloud", testing::kRemoteSpec)));
    cluster_.Put(Kind::kReplication,
                 Json(testing::ReplicationJson("edge-to-cloud", testing::kReplicationSpec)));
    cluster_.Put(Kind::kSecret, TokenSecret("t0ken"));
  }

  static ReconcilerOptions Options() {
    ReconcilerOptions o;
    o.status_interval = 15s;
    return o;
  }

  std::string AgentYaml() {
    web::json::value* s = cluster_.Find(Kind::kSecret, "edge", kAgentConfigSecretName);
    if (s == nullptr) return "";
    return *codec::Base64Decode((*s)["data"]["agent.yaml"].as_string());
  }

  ReplicationStatus RepStatus() {
    return ReplicationStatusFromObject(*cluster_.Find(Kind::kReplication, "edge", "edge-to-cloud"));
  }

  std::string Replicating() {
    ReplicationStatus st = RepStatus();
    const Condition* c = FindCondition(st.conditions, reason::kReplicating);
    return c == nullptr ? "" : c->status + "/" + c->reason;
  }

  std::vector<std::string> EventReasons() {
    std::vector<std::string> out;
    for (const auto& e : cluster_.events) out.push_back(e.at("reason").as_string());
    return out;
  }

  ReconcileStats Reconcile() {
    Result<ReconcileStats> r = reconciler_.Reconcile("edge");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ReconcileStats{};
  }

  testing::FakeClock clock_;
  testing::FakeCluster cluster_;
  testing::FakeAgentClient agents_;
  AgentPolls polls_;
  EventRecorder recorder_;
  NamespaceReconciler reconciler_;
  AgentPoller poller_;
};

TEST_F(ControllerTest, WritesTheConfigSecretOnceAndOnlyOnChange) {
  EXPECT_TRUE(Reconcile().secret_written);
  Result<config::Config> c = config::ParseConfig(AgentYaml());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->replications.size(), 1u);
  EXPECT_EQ(c->replications[0].id, "uid-edge-to-cloud");
  EXPECT_EQ(c->remotes[0].token, "t0ken");
  int writes = cluster_.creates + cluster_.updates;
  EXPECT_FALSE(Reconcile().secret_written);
  EXPECT_EQ(cluster_.creates + cluster_.updates, writes);

  cluster_.Put(Kind::kSecret, TokenSecret("r0tated"));
  EXPECT_TRUE(Reconcile().secret_written);
  EXPECT_EQ(config::ParseConfig(AgentYaml())->remotes[0].token, "r0tated");

  cluster_.Remove(Kind::kReplication, "edge", "edge-to-cloud");
  EXPECT_TRUE(Reconcile().secret_written);
  EXPECT_TRUE(config::ParseConfig(AgentYaml())->replications.empty());
  EXPECT_EQ(AgentYaml().find("r0tated"), std::string::npos);
}

// Every namespace is reconciled every statusInterval: with the content already in the cache, a
// reconcile reads nothing from the API server (a thousand namespaces would be a GET each).
TEST_F(ControllerTest, UnchangedConfigIsNotReadFromTheApiServer) {
  EXPECT_TRUE(Reconcile().secret_written);
  int gets = cluster_.gets, writes = cluster_.creates + cluster_.updates;
  EXPECT_FALSE(Reconcile().secret_written);
  EXPECT_FALSE(Reconcile().secret_written);
  EXPECT_EQ(cluster_.gets, gets);
  EXPECT_EQ(cluster_.creates + cluster_.updates, writes);

  // A change is written after a fresh read (for the resourceVersion it updates).
  cluster_.Put(Kind::kSecret, TokenSecret("r0tated"));
  EXPECT_TRUE(Reconcile().secret_written);
  EXPECT_EQ(cluster_.gets, gets + 1);
  EXPECT_EQ(config::ParseConfig(AgentYaml())->remotes[0].token, "r0tated");

  // Someone edits the Secret: the cache shows it, and the content is put back.
  web::json::value* cached = cluster_.Find(Kind::kSecret, "edge", kAgentConfigSecretName);
  (*cached)["data"]["agent.yaml"] = web::json::value::string(codec::Base64Encode("edited"));
  EXPECT_TRUE(Reconcile().secret_written);
  EXPECT_EQ(config::ParseConfig(AgentYaml())->remotes[0].token, "r0tated");
}

TEST_F(ControllerTest, AdminTokenSecretIsCreatedOnceRenderedAndRecreatedWhenDeleted) {
  auto admin_token = [&]() -> std::string {
    web::json::value* s = cluster_.Find(Kind::kSecret, "edge", kAgentAdminSecretName);
    if (s == nullptr) return "";
    return *codec::Base64Decode((*s)["data"][kAgentAdminTokenKey].as_string());
  };
  Reconcile();
  std::string token = admin_token();
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(config::ParseConfig(AgentYaml())->admin_token, token);
  int creates = cluster_.creates;
  Reconcile();
  EXPECT_EQ(admin_token(), token);
  EXPECT_EQ(cluster_.creates, creates);

  // Rotation is a deletion: a fresh token, rendered into the agents' config.
  cluster_.Remove(Kind::kSecret, "edge", kAgentAdminSecretName);
  EXPECT_TRUE(Reconcile().secret_written);
  std::string rotated = admin_token();
  ASSERT_EQ(rotated.size(), 64u);
  EXPECT_NE(rotated, token);
  EXPECT_EQ(config::ParseConfig(AgentYaml())->admin_token, rotated);
  // Never in status or events.
  for (const auto& e : cluster_.events) EXPECT_EQ(e.serialize().find(rotated), std::string::npos);
  EXPECT_EQ(cluster_.Find(Kind::kRemote, "edge", "cloud")->serialize().find(rotated),
            std::string::npos);
  EXPECT_EQ(cluster_.Find(Kind::kReplication, "edge", "edge-to-cloud")->serialize().find(rotated),
            std::string::npos);
}

// A config change reaches the kubelet as a pod update: each agent pod is annotated with the
// config Secret's resourceVersion once per change (after the watch brings the write back), never
// when nothing changed, and a failing patch is no reconcile error (the periodic sync delivers).
TEST_F(ControllerTest, AgentPodsAreAnnotatedOncePerConfigChange) {
  cluster_.Put(Kind::kPod, AgentPodJson("influxdb-0", "10.0.0.5", 9186));
  cluster_.Put(Kind::kPod, AgentPodJson("influxdb-1", "10.0.0.6", 9186));
  auto annotation = [&](const std::string& pod) -> std::string {
    web::json::value* p = cluster_.Find(Kind::kPod, "edge", pod);
    return DecodeAgentPod(*p).config_version;
  };
  auto secret_version = [&] {
    return DecodeMeta(*cluster_.Find(Kind::kSecret, "edge", kAgentConfigSecretName))
        .resource_version;
  };
  ReconcileStats first = Reconcile();
  EXPECT_TRUE(first.secret_written);
  EXPECT_EQ(first.pods_nudged, 0);  // the cache does not show the new version yet
  EXPECT_EQ(Reconcile().pods_nudged, 2);
  EXPECT_EQ(annotation("influxdb-0"), secret_version());
  EXPECT_EQ(annotation("influxdb-1"), secret_version());
  EXPECT_EQ(Reconcile().pods_nudged, 0);
  EXPECT_EQ(cluster_.pod_patches, 2);

  cluster_.Put(Kind::kSecret, TokenSecret("r0tated"));
  EXPECT_TRUE(Reconcile().secret_written);
  std::string before = secret_version();
  EXPECT_EQ(Reconcile().pods_nudged, 2);
  EXPECT_EQ(annotation("influxdb-0"), before);
  EXPECT_EQ(Reconcile().pods_nudged, 0);

  // The annotation holds a version, never the content.
  for (const std::string pod : {"influxdb-0", "influxdb-1"}) {
    EXPECT_EQ(cluster_.Find(Kind::kPod, "edge", pod)->serialize().find("r0tated"),
              std::string::npos);
  }

  // Forbidden (RBAC without patch on pods): the reconcile still succeeds, and the pods are
  // annotated once the patch is allowed again.
  cluster_.Put(Kind::kSecret, TokenSecret("again"));
  EXPECT_TRUE(Reconcile().secret_written);
  cluster_.pod_patch_error = Status::Internal("403: pods is forbidden");
  EXPECT_EQ(Reconcile().pods_nudged, 0);
  EXPECT_EQ(Reconcile().pods_nudged, 0);
  cluster_.pod_patch_error = Status::Ok();
  EXPECT_EQ(Reconcile().pods_nudged, 2);
  EXPECT_EQ(annotation("influxdb-1"), secret_version());
}

TEST(ConfigNudgeTest, SkipsPodsBeingDeletedAndToleratesPodsGone) {
  testing::FakeCluster cluster;
  AgentPod here, leaving, gone;
  here.meta.name = "here";
  leaving.meta.name = "leaving";
  leaving.meta.deleting = true;
  gone.meta.name = "gone";
  cluster.Put(Kind::kPod, Json(R"({"metadata":{"name":"here","namespace":"edge"}})"));
  NudgeResult r = NudgeAgentPods(cluster, "edge", "42", {here, leaving, gone});
  EXPECT_EQ(r.patched, 1);
  EXPECT_TRUE(r.first_error.ok()) << r.first_error.ToString();
  EXPECT_EQ(cluster.pod_patches, 2);
  EXPECT_EQ(NudgeAgentPods(cluster, "edge", "", {here}).patched, 0);
}

// The operator's own calls to the agents carry the namespace's admin token, the rotated one once
// it is rotated; before the Secret exists they go without one (reads are open).
TEST_F(ControllerTest, PollerSendsTheNamespaceAdminToken) {
  cluster_.Put(Kind::kPod, AgentPodJson("influx-0", "10.1.0.5", 9186));
  agents_.answers["10.1.0.5:9186"] = Report("Replicating", 204, 4096);
  cluster_.Remove(Kind::kSecret, "edge", kAgentAdminSecretName);
  poller_.PollOnce();
  ASSERT_EQ(agents_.tokens.size(), 1u);
  EXPECT_EQ(agents_.tokens.back(), "");
  auto admin_token = [&] {
    web::json::value* s = cluster_.Find(Kind::kSecret, "edge", kAgentAdminSecretName);
    return s == nullptr ? std::string()
                        : *codec::Base64Decode((*s)["data"][kAgentAdminTokenKey].as_string());
  };
  Reconcile();
  const std::string token = admin_token();
  ASSERT_EQ(token.size(), 64u);
  poller_.PollOnce();
  EXPECT_EQ(agents_.tokens.back(), token);
  cluster_.Remove(Kind::kSecret, "edge", kAgentAdminSecretName);
  Reconcile();
  ASSERT_NE(admin_token(), token);
  poller_.PollOnce();
  EXPECT_EQ(agents_.tokens.back(), admin_token());
}

// Over HTTP the token is a Bearer Authorization header, and no header at all without one.
TEST(HttpAgentClientTest, SendsTheAdminTokenAsBearer) {
  struct Recorder : http::HttpClient {
    explicit Recorder(std::vector<http::HttpRequest>& seen) : seen_(seen) {}
    Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
      seen_.push_back(request);
      http::HttpResponse r;
      r.status = 200;
      r.body = "{}";
      return r;
    }
    std::vector<http::HttpRequest>& seen_;
  };
  std::vector<http::HttpRequest> seen;
  std::vector<std::string> bases;
  HttpAgentClient client(
      [&](const http::HttpClientOptions& o) -> Result<http::HttpClientPtr> {
        bases.push_back(o.base_url);
        return http::HttpClientPtr(std::make_unique<Recorder>(seen));
      },
      std::chrono::seconds(5));
  auto authorization = [](const http::HttpRequest& r) -> std::string {
    for (const auto& [name, value] : r.headers) {
      if (name == "Authorization") return value;
    }
    return "<none>";
  };
  ASSERT_TRUE(client.GetReplications("10.1.0.5", 9186, "").ok());
  ASSERT_TRUE(client.GetReplications("10.1.0.5", 9186, "abc123").ok());
  ASSERT_TRUE(client.GetReplications("fd00::5", 9186, "abc123").ok());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(authorization(seen[0]), "<none>");
  EXPECT_EQ(authorization(seen[1]), "Bearer abc123");
  EXPECT_EQ(seen[1].target, "/api/v1/replications");
  EXPECT_EQ(bases, (std::vector<std::string>{"http://10.1.0.5:9186", "http://[fd00::5]:9186"}));
}

TEST_F(ControllerTest, NamespaceWithoutOurObjectsGetsNoConfigSecret) {
  cluster_.Put(Kind::kSecret,
               Json(R"({"metadata":{"name":"unrelated","namespace":"other"},"data":{}})"));
  Result<ReconcileStats> r = reconciler_.Reconcile("other");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->secret_written);
  EXPECT_EQ(cluster_.Find(Kind::kSecret, "other", kAgentConfigSecretName), nullptr);
  EXPECT_EQ(cluster_.creates, 0);
}

TEST_F(ControllerTest, ConflictIsRetriedWithAFreshRead) {
  Reconcile();
  cluster_.Put(Kind::kSecret, TokenSecret("next"));
  cluster_.conflicts_to_inject = 2;
  EXPECT_TRUE(Reconcile().secret_written);
  EXPECT_EQ(config::ParseConfig(AgentYaml())->remotes[0].token, "next");
  EXPECT_EQ(cluster_.conflicts_to_inject, 0);
}

TEST_F(ControllerTest, ConflictsBeyondTheRetryBudgetAreAnError) {
  Reconcile();
  cluster_.Put(Kind::kSecret, TokenSecret("next"));
  cluster_.conflicts_to_inject = 10;
  Result<SecretWrite> r =
      ApplyConfigSecret(cluster_, "edge", kAgentConfigSecretName, {{"agent.yaml", "x"}}, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
}

TEST_F(ControllerTest, NoAgentsThenLiveStatusThenRemoteDown) {
  Reconcile();
  EXPECT_EQ(Replicating(), "False/NoAgents");
  web::json::value* remote = cluster_.Find(Kind::kRemote, "edge", "cloud");
  RemoteStatus rs = RemoteStatusFromObject(*remote);
  ASSERT_EQ(rs.conditions.size(), 1u);
  EXPECT_EQ(rs.conditions[0].status, "True");
  EXPECT_EQ(rs.replications, 1);
  EXPECT_EQ(EventReasons(), std::vector<std::string>{"NoAgents"});

  cluster_.Put(Kind::kPod, AgentPodJson("influx-0", "10.1.0.5", 9186));
  // Before the first poll the replication's status is kept, not guessed.
  int patches = cluster_.status_patches;
  Reconcile();
  EXPECT_EQ(cluster_.status_patches, patches);

  agents_.answers["10.1.0.5:9186"] = Report("Replicating", 204, 4096);
  PollSummary summary = poller_.PollOnce();
  EXPECT_EQ(summary.agents, 1);
  EXPECT_EQ(summary.reachable, 1);
  Reconcile();
  EXPECT_EQ(Replicating(), "True/Sending");
  EXPECT_EQ(RepStatus().current_queue_size_bytes, 4096u);
  EXPECT_EQ(RepStatus().latest_response_code, 204);
  EXPECT_EQ(RepStatus().agents_summary, "1/1");
  EXPECT_EQ(EventReasons().back(), "ReplicationResumed");

  // Live numbers alone wait for the status interval.
  agents_.answers["10.1.0.5:9186"] = Report("Replicating", 204, 8192);
  poller_.PollOnce();
  patches = cluster_.status_patches;
  Reconcile();
  EXPECT_EQ(cluster_.status_patches, patches);
  clock_.Advance(15s);
  Reconcile();
  EXPECT_EQ(cluster_.status_patches, patches + 1);
  EXPECT_EQ(RepStatus().current_queue_size_bytes, 8192u);

  // A condition change goes out at once, with an Event.
  agents_.answers["10.1.0.5:9186"] = Report("Backoff", 0, 9000);
  poller_.PollOnce();
  Reconcile();
  EXPECT_EQ(Replicating(), "False/RemoteUnreachable");
  EXPECT_EQ(EventReasons().back(), "RemoteUnreachable");
  EXPECT_EQ(RepStatus().latest_response_code, 0);
  std::string transition =
      FindCondition(RepStatus().conditions, "Replicating")->last_transition_time;

  // Same state again: nothing to write, no new Event.
  size_t events = cluster_.events.size();
  clock_.Advance(20s);
  poller_.PollOnce();
  Reconcile();
  EXPECT_EQ(cluster_.events.size(), events);
  EXPECT_EQ(FindCondition(RepStatus().conditions, "Replicating")->last_transition_time, transition);

  // The agent goes away: reported unreachable, not guessed.
  agents_.answers.clear();
  poller_.PollOnce();
  Reconcile();
  EXPECT_EQ(Replicating(), "Unknown/AgentUnreachable");
  ASSERT_EQ(RepStatus().agent_statuses.size(), 1u);
  EXPECT_FALSE(RepStatus().agent_statuses[0].reachable);
  EXPECT_EQ(RepStatus().agent_statuses[0].error, "connection refused");
}

TEST_F(ControllerTest, InvalidSpecReportedAtOnceAndLeftOutOfTheFile) {
  cluster_.Put(
      Kind::kReplication,
      Json(testing::ReplicationJson(
          "edge-to-cloud",
          R"({"remoteRef":{"name":"cloud"},"localBucket":"t","remoteBucket":"e","remoteBucketID":"0123456789abcdef"})")));
  Reconcile();
  ReplicationStatus st = RepStatus();
  const Condition* ready = FindCondition(st.conditions, reason::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "InvalidSpec");
  EXPECT_NE(ready->message.find("spec.remoteBucketID"), std::string::npos);
  EXPECT_TRUE(config::ParseConfig(AgentYaml())->replications.empty());
}

TEST_F(ControllerTest, MissingTokenSecretMakesTheRemoteNotReady) {
  cluster_.Remove(Kind::kSecret, "edge", "cloud-token");
  Reconcile();
  RemoteStatus rs = RemoteStatusFromObject(*cluster_.Find(Kind::kRemote, "edge", "cloud"));
  EXPECT_EQ(rs.conditions.at(0).reason, "SecretNotFound");
  EXPECT_EQ(FindCondition(RepStatus().conditions, reason::kReady)->reason, "RemoteNotReady");
  bool secret_event = false;
  for (const auto& e : cluster_.events) {
    if (e.at("reason").as_string() == "SecretNotFound" &&
        e.at("involvedObject").at("kind").as_string() == "Remote") {
      secret_event = true;
    }
  }
  EXPECT_TRUE(secret_event);
}

TEST_F(ControllerTest, PollerRecordsWhyAPodCannotBeRead) {
  web::json::value no_port = AgentPodJson("no-port", "10.1.0.6", 9186);
  no_port["spec"]["containers"][0]["ports"] = web::json::value::array();
  cluster_.Put(Kind::kPod, no_port);
  web::json::value no_ip = AgentPodJson("no-ip", "", 9186);
  cluster_.Put(Kind::kPod, no_ip);
  agents_.answers["10.1.0.7:9186"] = "not json";
  cluster_.Put(Kind::kPod, AgentPodJson("garbage", "10.1.0.7", 9186));
  PollSummary s = poller_.PollOnce();
  EXPECT_EQ(s.agents, 3);
  EXPECT_EQ(s.reachable, 0);
  EXPECT_EQ(polls_.Get("edge", "no-port")->error, "pod has no container port named edgerepl-admin");
  EXPECT_EQ(polls_.Get("edge", "no-ip")->error, "pod has no IP yet");
  EXPECT_NE(polls_.Get("edge", "garbage")->error.find("not JSON"), std::string::npos);
  EXPECT_EQ(agents_.calls, 1);
  cluster_.Remove(Kind::kPod, "edge", "garbage");
  poller_.PollOnce();
  EXPECT_FALSE(polls_.Get("edge", "garbage").has_value());
}

TEST_F(ControllerTest, EventNamesTheObjectAndHoldsNoToken) {
  cluster_.Put(Kind::kSecret, TokenSecret("sup3r-secret"));
  Reconcile();
  ASSERT_FALSE(cluster_.events.empty());
  const web::json::value& e = cluster_.events[0];
  EXPECT_EQ(e.at("involvedObject").at("kind").as_string(), "Replication");
  EXPECT_EQ(e.at("involvedObject").at("name").as_string(), "edge-to-cloud");
  EXPECT_EQ(e.at("involvedObject").at("apiVersion").as_string(), "edgerepl.io/v1alpha1");
  EXPECT_EQ(e.at("type").as_string(), "Warning");
  EXPECT_EQ(e.at("metadata").at("generateName").as_string(), "edge-to-cloud.");
  for (const auto& ev : cluster_.events) {
    EXPECT_EQ(ev.serialize().find("sup3r-secret"), std::string::npos);
  }
  for (Kind k : {Kind::kRemote, Kind::kReplication}) {
    for (const auto& o : cluster_.List(k, "edge")) {
      EXPECT_EQ(o.serialize().find("sup3r-secret"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace edgerepl::op
