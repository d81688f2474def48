// The operator half of the secrets check: the operator's controllers render the agent's config
// from a Remote whose token lives in a Secret, a real agent runs that config against a remote
// that first refuses the token (401), and the operator polls the agent and writes status and
// events. Nothing the operator writes except its own config Secret may hold the token, or the
// namespace's admin token (adminToken, from the operator's edgerepl-agent-admin Secret), in clear
// or base64. (The operator's write seam has no ConfigMap call at all, so it cannot put the token
// in one.) Runs on the in-memory cluster of the operator's unit tests, no API server needed.
#include <gtest/gtest.h>

#include <thread>

#include "common/codec/base64.h"
#include "common/config/parse.h"
#include "common/http/client_cpprest.h"
#include "operator/controllers/agent_poller.h"
#include "operator/controllers/http_agent_client.h"
#include "operator/controllers/namespace_reconciler.h"
#include "operator/model/resources.h"
#include "tests/reliability/world.h"
#include "tests/unit/operator/fakes.h"

namespace edgerepl::reliability {
namespace {

using std::chrono::seconds;
using testing::FaultRule;

// Keeps every status patch, not only the last one merged into the object.
class RecordingCluster : public op::testing::FakeCluster {
 public:
  Status PatchStatus(op::Kind kind, const std::string& ns, const std::string& name,
                     const web::json::value& patch) override {
    patches.push_back(patch.serialize());
    return FakeCluster::PatchStatus(kind, ns, name, patch);
  }
  std::vector<std::string> patches;
};

web::json::value J(const std::string& text) {
  return web::json::value::parse(text);
}

TEST(OperatorSecretsTest, StatusAndEventsNeverHoldTheToken) {
  const std::string token = "edgerepl-SECRET-operator-5a1c9e3b7d";
  WorldOptions wo;
  wo.proxy = true;
  wo.token = token;
  World world(wo);
  std::string why;
  if (!world.Up(&why)) GTEST_SKIP() << why;
  world.proxy()->SetDefault(FaultRule::Status(401));

  RecordingCluster cluster;
  op::testing::FakeClock clock;
  cluster.Put(
      op::Kind::kRemote,
      J(R"({"apiVersion":"edgerepl.io/v1alpha1","kind":"Remote","metadata":{"name":"r","namespace":"edge","uid":"uid-r","generation":1},"spec":{"url":")" +
        world.proxy()->url() +
        R"(","protocol":"v1","tokenSecretRef":{"name":"remote-token","key":"token"}}})"));
  cluster.Put(
      op::Kind::kReplication,
      J(std::string(
            R"({"apiVersion":"edgerepl.io/v1alpha1","kind":"Replication","metadata":{"name":"acct","namespace":"edge","uid":")") +
        kReplicationId +
        R"(","generation":1},"spec":{"remoteRef":{"name":"r"},"localBucket":"acct","remoteBucket":"acct","backoff":{"min":"50ms","max":"1s"}}})"));
  cluster.Put(
      op::Kind::kSecret,
      J(R"({"metadata":{"name":"remote-token","namespace":"edge","resourceVersion":"1"},"data":{"token":")" +
        codec::Base64Encode(token) + R"("}})"));
  cluster.Put(
      op::Kind::kPod,
      J(R"({"metadata":{"name":"agent-0","namespace":"edge","labels":{"app.kubernetes.io/component":"edgerepl-agent"}},"spec":{"containers":[{"name":"agent","ports":[{"name":"edgerepl-admin","containerPort":)" +
        std::to_string(world.agent().admin_port()) +
        R"(}]}]},"status":{"phase":"Running","podIP":"127.0.0.1"}})"));

  op::AgentPolls polls;
  op::EventRecorder recorder(cluster, clock, "operator-0");
  op::ReconcilerOptions options;
  options.render.base = world.agent().config();
  op::NamespaceReconciler reconciler(cluster, cluster, polls, recorder, clock, options);
  op::HttpAgentClient client(http::MakeCpprestHttpClient, seconds(5));
  op::AgentPoller poller(cluster, client, polls, nullptr);
  auto cycle = [&] {
    poller.PollOnce();
    clock.Advance(seconds(16));
    Result<op::ReconcileStats> r = reconciler.Reconcile("edge");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  };
  cycle();

  // The agent runs the config the operator rendered (its token included).
  web::json::value* secret = cluster.Find(op::Kind::kSecret, "edge", op::kAgentConfigSecretName);
  ASSERT_NE(secret, nullptr);
  std::optional<std::string> yaml =
      codec::Base64Decode((*secret)["data"]["agent.yaml"].as_string());
  ASSERT_TRUE(yaml);
  Result<config::Config> rendered = config::ParseConfig(*yaml);
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  ASSERT_EQ(rendered->remotes.size(), 1u);
  EXPECT_EQ(rendered->remotes[0].token, token);
  // The namespace's admin token, from the operator's own Secret, is the agent's adminToken: a
  // secret of the same rank, checked below with the remote token.
  web::json::value* admin = cluster.Find(op::Kind::kSecret, "edge", op::kAgentAdminSecretName);
  ASSERT_NE(admin, nullptr);
  const std::string admin_token =
      codec::Base64Decode((*admin)["data"][op::kAgentAdminTokenKey].as_string()).value_or("");
  ASSERT_EQ(admin_token.size(), 64u);
  EXPECT_EQ(rendered->admin_token, admin_token);
  world.agent().Stop();
  world.agent().SetConfig(*rendered);
  world.agent().Start();
  ASSERT_TRUE(world.agent().WaitReady(seconds(30)));

  LoadGenerator load(world.Load("opsecrets"));
  load.Start();
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(seconds(1));
    cycle();
  }
  world.proxy()->SetDefault(FaultRule::Forward());
  load.Stop();
  ASSERT_TRUE(world.Drain("opsecrets", seconds(120)));
  cycle();

  std::vector<std::pair<std::string, std::string>> written;
  for (const std::string& p : cluster.patches) written.push_back({"status patch", p});
  for (const auto& e : cluster.events) written.push_back({"event", e.serialize()});
  for (op::Kind kind : {op::Kind::kRemote, op::Kind::kReplication, op::Kind::kPod}) {
    for (const auto& o : cluster.List(kind, "edge")) written.push_back({"object", o.serialize()});
  }
  bool saw_401 = false;
  for (const auto& [what, text] : written) {
    for (const std::string& secret_value : {token, admin_token}) {
      const std::string b64 = codec::Base64Encode(secret_value);
      EXPECT_EQ(text.find(secret_value), std::string::npos) << "token in " << what << ": " << text;
      EXPECT_EQ(text.find(b64), std::string::npos) << "base64 token in " << what << ": " << text;
    }
    saw_401 = saw_401 || (what == "status patch" && text.find("401") != std::string::npos);
  }
  // The scan covered live agent state, including the refused token.
  EXPECT_FALSE(cluster.patches.empty());
  EXPECT_TRUE(saw_401) << "no status patch carried the 401; the scan proves little";
}

}  // namespace
}  // namespace edgerepl::reliability
