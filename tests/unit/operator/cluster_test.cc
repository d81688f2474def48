// The REST access pieces the operator runtime uses: credentials, the REST client's error
// mapping, the list-based cache's change detection, Lease election and the work queue.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <fstream>
#include <thread>

#include "operator/cluster/api_client.h"
#include "operator/cluster/api_writer.h"
#include "operator/cluster/kube_access.h"
#include "operator/cluster/lease_elector.h"
#include "operator/cluster/polling_cache.h"
#include "operator/cluster/work_queue.h"
#include "operator/model/base64.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/operator/fake_api.h"
#include "tests/unit/operator/fakes.h"

namespace edgerepl::op {
namespace {

using namespace std::chrono_literals;
using testing::FakeApi;

struct Api {
  FakeApi* fake;
  std::unique_ptr<ApiClient> client;
  prometheus::Registry registry;
  Api() {
    auto f = std::make_unique<FakeApi>();
    fake = f.get();
    KubeAccess access;
    access.server = "https://api";
    access.token = "admin-token";
    client = std::make_unique<ApiClient>(std::move(f), access, &registry);
  }
};

web::json::value Named(const std::string& ns, const std::string& name) {
  web::json::value o = web::json::value::object();
  o["metadata"] = web::json::value::object();
  o["metadata"]["name"] = web::json::value::string(name);
  o["metadata"]["namespace"] = web::json::value::string(ns);
  return o;
}

TEST(KubeAccess, KubeconfigWithInlineDataAndRelativeFiles) {
  edgerepl::testing::TempDir dir;
  edgerepl::testing::WriteFileOrDie(
      dir.Join("kubeconfig"),
      "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
      "contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: edge}\n"
      "clusters:\n- name: k\n  cluster:\n    server: https://10.0.0.1:6443/\n"
      "    certificate-authority-data: " +
          Base64Encode("CA PEM") +
          "\nusers:\n- name: u\n  user:\n    tokenFile: token\n"
          "    client-certificate: certs/c.crt\n");
  Result<KubeAccess> a = LoadKubeconfig(dir.Join("kubeconfig"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->server, "https://10.0.0.1:6443");
  EXPECT_EQ(a->namespace_, "edge");
  EXPECT_EQ(a->token_file, dir.Join("token"));
  EXPECT_EQ(a->client_cert_file, dir.Join("certs/c.crt"));
  std::ifstream ca(a->ca_file);
  std::string pem((std::istreambuf_iterator<char>(ca)), std::istreambuf_iterator<char>());
  EXPECT_EQ(pem, "CA PEM");
}

TEST(KubeAccess, ClearErrors) {
  edgerepl::testing::TempDir dir;
  struct Case {
    const char* text;
    const char* part;
  };
  const Case cases[] = {
      {"current-context: c\ncontexts: []\n", "context \"c\" not found"},
      {"clusters: []\n", "current-context is not set"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n"
       "- name: k\n  cluster: {server: https://x}\nusers:\n- name: u\n  user:\n    exec: {command: "
       "aws}\n",
       "exec and auth-provider plugins are not supported"},
      {"[not: a: kubeconfig", "not YAML"},
  };
  for (const Case& c : cases) {
    edgerepl::testing::WriteFileOrDie(dir.Join("k"), c.text);
    Result<KubeAccess> a = LoadKubeconfig(dir.Join("k"));
    ASSERT_FALSE(a.ok()) << c.text;
    EXPECT_NE(a.status().message().find(c.part), std::string::npos) << a.status().message();
  }
  EXPECT_EQ(LoadKubeconfig(dir.Join("missing")).status().code(), StatusCode::kNotFound);
}

TEST(KubeAccess, TokenFileIsReRead) {
  edgerepl::testing::TempDir dir;
  edgerepl::testing::WriteFileOrDie(dir.Join("token"), "first\n");
  KubeAccess a;
  a.token_file = dir.Join("token");
  BearerToken token(a, std::chrono::seconds(0));
  EXPECT_EQ(token.Get(), "first");
  edgerepl::testing::WriteFileOrDie(dir.Join("token"), "rotated\n");
  EXPECT_EQ(token.Get(), "rotated");
  std::remove(dir.Join("token").c_str());
  EXPECT_EQ(token.Get(), "rotated");  // a failed read keeps the last token
}

TEST(ApiClient, MapsAnswersToStatusCodesAndCountsRequests) {
  Api api;
  api.fake->Put("/api/v1/namespaces/edge/secrets/s", Named("edge", "s"));
  Result<web::json::value> got = api.client->Get("/api/v1/namespaces/edge/secrets/s");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*http::FindHeader(api.fake->last_request.headers, "Authorization"),
            "Bearer admin-token");
  EXPECT_EQ(api.client->Get("/api/v1/namespaces/edge/secrets/nope").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      api.client->Create("/api/v1/namespaces/edge/secrets", Named("edge", "s")).status().code(),
      StatusCode::kConflict);
  web::json::value stale = *got;
  stale["metadata"]["resourceVersion"] = web::json::value::string("0");
  EXPECT_EQ(api.client->Update("/api/v1/namespaces/edge/secrets/s", stale).status().code(),
            StatusCode::kConflict);
  EXPECT_TRUE(api.client->Update("/api/v1/namespaces/edge/secrets/s", *got).ok());
  api.fake->fail_next_status = 503;
  EXPECT_EQ(api.client->Get("/x").status().code(), StatusCode::kUnavailable);
  api.fake->fail_next_status = 422;
  Status s = api.client->Get("/x").status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("422 scripted failure"), std::string::npos) << s.message();
  api.fake->unreachable = true;
  EXPECT_EQ(api.client->Get("/x").status().code(), StatusCode::kUnavailable);
  std::string text = prometheus::TextSerializer().Serialize(api.registry.Collect());
  EXPECT_NE(text.find(R"(rest_client_requests_total{code="409",method="PUT"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(rest_client_requests_total{code="<error>",method="GET"} 1)"),
            std::string::npos);
}

TEST(ApiWriter, SecretWritesAndStatusPaths) {
  Api api;
  ApiWriter writer(*api.client);
  EXPECT_FALSE(writer.GetSecret("edge", "cfg")->has_value());
  web::json::value s = Named("edge", "cfg");
  ASSERT_TRUE(writer.CreateSecret("edge", s).ok());
  EXPECT_TRUE(writer.GetSecret("edge", "cfg")->has_value());
  EXPECT_EQ(writer.CreateSecret("edge", s).code(), StatusCode::kConflict);
  (void)writer.PatchStatus(Kind::kReplication, "edge", "r", web::json::value::object());
  EXPECT_EQ(api.fake->last_request.method, "PATCH");
  EXPECT_EQ(api.fake->last_request.target,
            "/apis/edgerepl.io/v1alpha1/namespaces/edge/replications/r/status");
  EXPECT_EQ(*http::FindHeader(api.fake->last_request.headers, "Content-Type"),
            "application/merge-patch+json");
}

TEST(PollingCache, ReportsChangedNamespacesOnly) {
  Api api;
  api.fake->Put("/apis/edgerepl.io/v1alpha1/namespaces/a/replications/r", Named("a", "r"));
  api.fake->Put("/api/v1/namespaces/b/secrets/s", Named("b", "s"));
  PollingCache cache(*api.client, {"a", "b"});
  std::set<std::string> changed;
  ASSERT_TRUE(cache.Refresh(&changed).ok());
  EXPECT_TRUE(cache.synced());
  EXPECT_EQ(changed, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(cache.List(Kind::kReplication, "a").size(), 1u);
  EXPECT_EQ(cache.Namespaces(), std::vector<std::string>{"a"});  // secrets alone do not count

  changed.clear();
  ASSERT_TRUE(cache.Refresh(&changed).ok());
  EXPECT_TRUE(changed.empty());

  api.fake->Put("/api/v1/namespaces/b/secrets/s", Named("b", "s"));  // new resourceVersion
  ASSERT_TRUE(cache.Refresh(&changed).ok());
  EXPECT_EQ(changed, std::set<std::string>{"b"});

  changed.clear();
  api.fake->objects.erase("/apis/edgerepl.io/v1alpha1/namespaces/a/replications/r");
  ASSERT_TRUE(cache.Refresh(&changed).ok());
  EXPECT_EQ(changed, std::set<std::string>{"a"});
  EXPECT_TRUE(cache.List(Kind::kReplication, "a").empty());

  // A failing list keeps what was cached.
  api.fake->unreachable = true;
  changed.clear();
  EXPECT_FALSE(cache.Refresh(&changed).ok());
  EXPECT_EQ(cache.List(Kind::kSecret, "b").size(), 1u);
}

TEST(PollingCache, AgentPodsAreListedByLabel) {
  Api api;
  PollingCache cache(*api.client, {});
  std::set<std::string> changed;
  ASSERT_TRUE(cache.Refresh(&changed).ok());
  EXPECT_EQ(api.fake->last_request.target,
            "/api/v1/pods?labelSelector=app.kubernetes.io%2Fcomponent%3Dedgerepl-agent");
}

const char kLease[] = "/apis/coordination.k8s.io/v1/namespaces/ops/leases/edgerepl-operator";

LeaseOptions Lease(const std::string& identity) {
  LeaseOptions o;
  o.ns = "ops";
  o.identity = identity;
  return o;
}

std::string Holder(FakeApi& api) {
  return api.Object(kLease).at("spec").at("holderIdentity").as_string();
}

TEST(LeaseElector, AcquireRenewTakeOverAndRelease) {
  Api api;
  testing::FakeClock clock;
  LeaseElector a(*api.client, clock, Lease("a"));
  LeaseElector b(*api.client, clock, Lease("b"));
  EXPECT_TRUE(a.TryAcquireOrRenew());  // created
  EXPECT_EQ(Holder(*api.fake), "a");
  EXPECT_FALSE(b.TryAcquireOrRenew());
  clock.Advance(2s);
  EXPECT_TRUE(a.TryAcquireOrRenew());  // renewed
  clock.Advance(14s);
  EXPECT_FALSE(b.TryAcquireOrRenew());  // a renewed 14 s ago: still alive
  // a stops renewing; b takes over once it saw the same record for a whole lease duration.
  clock.Advance(15s);
  EXPECT_FALSE(a.StillLeader());  // past the renew deadline
  EXPECT_TRUE(b.TryAcquireOrRenew());
  EXPECT_EQ(Holder(*api.fake), "b");
  EXPECT_EQ(api.fake->Object(kLease).at("spec").at("leaseTransitions").as_integer(), 1);
  EXPECT_FALSE(a.TryAcquireOrRenew());
  // Release: the holder is cleared and a successor acquires at once.
  b.Release();
  EXPECT_EQ(Holder(*api.fake), "");
  EXPECT_TRUE(a.TryAcquireOrRenew());
}

TEST(LeaseElector, LosesLeadershipWhenRenewalsFailForTheDeadline) {
  Api api;
  testing::FakeClock clock;
  LeaseElector a(*api.client, clock, Lease("a"));
  ASSERT_TRUE(a.TryAcquireOrRenew());
  api.fake->unreachable = true;
  clock.Advance(5s);
  EXPECT_TRUE(a.TryAcquireOrRenew());  // within the renew deadline
  clock.Advance(6s);
  EXPECT_FALSE(a.TryAcquireOrRenew());
}

TEST(WorkQueue, DeduplicatesAndNeverRunsAKeyTwiceAtOnce) {
  prometheus::Registry registry;
  WorkQueue q("test", &registry);
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(*q.Get(), "a");
  q.Add("a");  // while processing: queued again only after Done
  EXPECT_EQ(*q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(*q.Get(), "a");
  q.Done("a");
  q.Done("b");
  q.ShutDown();
  EXPECT_FALSE(q.Get().has_value());
  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(text.find(R"(workqueue_adds_total{name="test"} 3)"), std::string::npos) << text;
}

TEST(WorkQueue, FailuresBackOffExponentiallyUntilForgotten) {
  WorkQueue q("test", nullptr);
  auto timed_get = [&] {
    auto start = std::chrono::steady_clock::now();
    std::string k = *q.Get();
    q.Done(k);
    return std::chrono::steady_clock::now() - start;
  };
  for (int i = 0; i < 5; ++i) q.AddRateLimited("k"), timed_get();  // 5, 10, 20, 40, 80 ms
  q.AddRateLimited("k");                                           // 160 ms
  EXPECT_GE(timed_get(), 150ms);
  q.Forget("k");
  q.AddRateLimited("k");  // 5 ms again
  EXPECT_LT(timed_get(), 100ms);
}

}  // namespace
}  // namespace edgerepl::op
