// The remote probe over a fake HTTP seam and a fake clock: what each answer means, the backoff
// while failing, at most one probe a minute while healthy, a changed target probed at once, and
// no secret in a message even when the remote echoes it.
#include "operator/controllers/remote_prober.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <memory>

#include "common/codec/base64.h"
#include "operator/controllers/event_recorder.h"
#include "operator/controllers/namespace_reconciler.h"
#include "operator/model/reasons.h"
#include "operator/status/status_json.h"
#include "tests/unit/operator/fakes.h"
#include "tests/unit/operator/fixtures.h"

namespace edgerepl::op {
namespace {

using namespace std::chrono_literals;

// Answers by the request target's path (before '?'); records every request.
struct FakeRemote {
  std::function<Result<http::HttpResponse>(const http::HttpRequest&)> answer;
  std::vector<http::HttpRequest> requests;
  std::vector<http::HttpClientOptions> clients;
};

class FakeHttp : public http::HttpClient {
 public:
  explicit FakeHttp(FakeRemote& remote) : remote_(remote) {}
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    remote_.requests.push_back(request);
    return remote_.answer(request);
  }

 private:
  FakeRemote& remote_;
};

http::HttpResponse Answer(int status, std::string body = "") {
  http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string Path(const http::HttpRequest& r) {
  return r.target.substr(0, r.target.find('?'));
}

ProbeTarget V2Target() {
  ProbeTarget t;
  t.remote.name = "cloud";
  t.remote.url = "https://remote.example";
  t.remote.org_id = "org1";
  t.remote.token = "s3cret-token-value";
  t.buckets.push_back({"edge", false, "telegraf-to-cloud"});
  return t;
}

ProbeTarget V1Target() {
  ProbeTarget t;
  t.remote.name = "old";
  t.remote.url = "http://influx1.example:8086";
  t.remote.protocol = config::Protocol::kV1;
  t.remote.username = "edge";
  t.remote.password = "pa55-word-value";
  t.buckets.push_back({"telegraf/autogen", false, "to-old"});
  return t;
}

const char kShowDatabases[] =
    R"({"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],)"
    R"("values":[["_internal"],["telegraf"]]}]}]})";

class RemoteProberTest : public ::testing::Test {
 protected:
  RemoteProberTest()
      : prober_(
            [this](const http::HttpClientOptions& o) -> Result<http::HttpClientPtr> {
              remote_.clients.push_back(o);
              return http::HttpClientPtr(std::make_unique<FakeHttp>(remote_));
            },
            clock_, ProberOptions{}, [this](const std::string& ns) { changed_.push_back(ns); }) {}

  ProbeResult ProbeOnce(const ProbeTarget& t) {
    FakeHttp client(remote_);
    return ProbeRemote(client, t);
  }

  FakeRemote remote_;
  op::testing::FakeClock clock_;
  std::vector<std::string> changed_;
  RemoteProber prober_;
};

TEST_F(RemoteProberTest, V2WriteAnswersMapToReasons) {
  ProbeTarget t = V2Target();
  remote_.answer = [](const http::HttpRequest&) { return Answer(204); };
  ProbeResult ok = ProbeOnce(t);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.reason, reason::kReachable);
  ASSERT_EQ(remote_.requests.size(), 1u);
  EXPECT_EQ(remote_.requests[0].method, "POST");
  EXPECT_EQ(remote_.requests[0].target, "/api/v2/write?org=org1&bucket=edge&precision=ns");
  EXPECT_TRUE(remote_.requests[0].body.empty());
  bool token = false;
  for (const auto& [k, v] : remote_.requests[0].headers) {
    token = token || (k == "Authorization" && v == "Token s3cret-token-value");
  }
  EXPECT_TRUE(token);

  remote_.answer = [](const http::HttpRequest&) {
    return Answer(401, R"({"code":"unauthorized","message":"unauthorized access"})");
  };
  ProbeResult denied = ProbeOnce(t);
  EXPECT_FALSE(denied.ok);
  EXPECT_EQ(denied.reason, reason::kUnauthorized);
  EXPECT_NE(denied.message.find("answered 401: unauthorized access"), std::string::npos)
      << denied.message;

  remote_.answer = [](const http::HttpRequest&) {
    return Answer(404, R"({"code":"not found","message":"bucket \"edge\" not found"})");
  };
  ProbeResult missing = ProbeOnce(t);
  EXPECT_EQ(missing.reason, reason::kBucketNotFound);
  EXPECT_NE(missing.message.find("telegraf-to-cloud"), std::string::npos) << missing.message;
  EXPECT_NE(missing.message.find("bucket \"edge\" not found"), std::string::npos);

  remote_.answer = [](const http::HttpRequest&) -> Result<http::HttpResponse> {
    return Status::Unavailable("connection refused");
  };
  ProbeResult down = ProbeOnce(t);
  EXPECT_EQ(down.reason, reason::kUnreachable);
  EXPECT_NE(down.message.find("connection refused"), std::string::npos);

  remote_.answer = [](const http::HttpRequest&) { return Answer(503, "overloaded"); };
  EXPECT_EQ(ProbeOnce(t).reason, reason::kUnreachable);
  remote_.answer = [](const http::HttpRequest&) { return Answer(400, "writing requires points"); };
  EXPECT_TRUE(ProbeOnce(t).ok);
}

TEST_F(RemoteProberTest, V2WithoutBucketsOnlyPings) {
  ProbeTarget t = V2Target();
  t.buckets.clear();
  remote_.answer = [](const http::HttpRequest&) { return Answer(204); };
  ProbeResult r = ProbeOnce(t);
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(remote_.requests.size(), 1u);
  EXPECT_EQ(remote_.requests[0].target, "/ping");
  EXPECT_NE(r.message.find("not tried"), std::string::npos);
}

TEST_F(RemoteProberTest, V1PingThenShowDatabasesWithTheUser) {
  ProbeTarget t = V1Target();
  remote_.answer = [](const http::HttpRequest& r) {
    return Path(r) == "/ping" ? Answer(204) : Answer(200, kShowDatabases);
  };
  ProbeResult ok = ProbeOnce(t);
  EXPECT_TRUE(ok.ok) << ok.message;
  ASSERT_EQ(remote_.requests.size(), 2u);
  EXPECT_EQ(remote_.requests[1].target, "/query?q=SHOW%20DATABASES");
  bool basic = false;
  for (const auto& [k, v] : remote_.requests[1].headers) {
    basic = basic ||
            (k == "Authorization" && v == "Basic " + codec::Base64Encode("edge:pa55-word-value"));
  }
  EXPECT_TRUE(basic);

  t.remote.credentials_in = config::CredentialsIn::kQuery;
  remote_.requests.clear();
  EXPECT_TRUE(ProbeOnce(t).ok);
  EXPECT_EQ(remote_.requests[1].target, "/query?q=SHOW%20DATABASES&u=edge&p=pa55-word-value");

  t.buckets = {{"metrics", false, "to-old"}};
  ProbeResult missing = ProbeOnce(t);
  EXPECT_EQ(missing.reason, reason::kBucketNotFound);
  EXPECT_NE(missing.message.find("database \"metrics\" (Replication \"to-old\")"),
            std::string::npos)
      << missing.message;

  remote_.answer = [](const http::HttpRequest& r) {
    return Path(r) == "/ping" ? Answer(204) : Answer(401, R"({"error":"authorization failed"})");
  };
  ProbeResult denied = ProbeOnce(t);
  EXPECT_EQ(denied.reason, reason::kUnauthorized);
  EXPECT_NE(denied.message.find("authorization failed"), std::string::npos);
}

TEST_F(RemoteProberTest, EchoedSecretsNeverReachTheMessage) {
  for (ProbeTarget t : {V2Target(), V1Target()}) {
    std::string secret = t.remote.token.empty() ? t.remote.password : t.remote.token;
    remote_.answer = [&](const http::HttpRequest& r) {
      if (Path(r) == "/ping") return Answer(204);
      return Answer(401, "{\"error\":\"bad credentials " + secret + " for " +
                             codec::Base64Encode("edge:" + secret) + "\"}");
    };
    ProbeResult r = ProbeOnce(t);
    EXPECT_EQ(r.reason, reason::kUnauthorized);
    EXPECT_EQ(r.message.find(secret), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("[REDACTED]"), std::string::npos) << r.message;
    remote_.answer = [&](const http::HttpRequest&) -> Result<http::HttpResponse> {
      return Status::Unavailable("refused: " + secret);
    };
    r = ProbeOnce(t);
    EXPECT_EQ(r.reason, reason::kUnreachable);
    EXPECT_EQ(r.message.find(secret), std::string::npos) << r.message;
  }
}

TEST_F(RemoteProberTest, HealthyRemoteIsProbedAtMostOnceAMinute) {
  remote_.answer = [](const http::HttpRequest&) { return Answer(204); };
  EXPECT_FALSE(prober_.Observe("ns", "cloud", V2Target()).has_value());
  EXPECT_EQ(prober_.ProbeDue(), 1);
  EXPECT_EQ(changed_, std::vector<std::string>{"ns"});
  std::optional<ProbeResult> r = prober_.Observe("ns", "cloud", V2Target());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->ok);
  for (int i = 0; i < 59; ++i) {
    clock_.Advance(1s);
    prober_.Observe("ns", "cloud", V2Target());  // the reconciler calls it on every pass
    EXPECT_EQ(prober_.ProbeDue(), 0) << "after " << i + 1 << " s";
  }
  clock_.Advance(1s);
  EXPECT_EQ(prober_.ProbeDue(), 1);
  // The same answer again is no news.
  EXPECT_EQ(changed_.size(), 1u);
  EXPECT_EQ(remote_.requests.size(), 2u);
}

TEST_F(RemoteProberTest, FailingRemoteBacksOffFrom5sDoublingTo5Minutes) {
  remote_.answer = [](const http::HttpRequest&) -> Result<http::HttpResponse> {
    return Status::Unavailable("connection refused");
  };
  prober_.Observe("ns", "cloud", V2Target());
  ASSERT_EQ(prober_.ProbeDue(), 1);
  std::vector<int> waits;  // seconds between probes
  int since = 0;
  for (int s = 0; s < 1500 && waits.size() < 8; ++s) {
    clock_.Advance(1s);
    ++since;
    if (prober_.ProbeDue() == 1) {
      waits.push_back(since);
      since = 0;
    }
  }
  EXPECT_EQ(waits, (std::vector<int>{5, 10, 20, 40, 80, 160, 300, 300}));
  // Recovery: the next probe succeeds and the interval is a minute again.
  remote_.answer = [](const http::HttpRequest&) { return Answer(204); };
  clock_.Advance(300s);
  EXPECT_EQ(prober_.ProbeDue(), 1);
  EXPECT_TRUE(prober_.Observe("ns", "cloud", V2Target())->ok);
  clock_.Advance(59s);
  EXPECT_EQ(prober_.ProbeDue(), 0);
  clock_.Advance(1s);
  EXPECT_EQ(prober_.ProbeDue(), 1);
}

TEST_F(RemoteProberTest, ChangedTargetIsProbedAtOnceAndForgottenOnesNotAtAll) {
  remote_.answer = [](const http::HttpRequest& r) {
    bool good = false;
    for (const auto& [k, v] : r.headers) good = good || v == "Token rotated-token-value";
    return good ? Answer(204) : Answer(401, "unauthorized");
  };
  prober_.Observe("ns", "cloud", V2Target());
  ASSERT_EQ(prober_.ProbeDue(), 1);
  EXPECT_EQ(prober_.Observe("ns", "cloud", V2Target())->reason, reason::kUnauthorized);
  // The Secret is fixed a second later: no waiting for the 5 s backoff.
  clock_.Advance(1s);
  ProbeTarget rotated = V2Target();
  rotated.remote.token = "rotated-token-value";
  EXPECT_FALSE(prober_.Observe("ns", "cloud", rotated).has_value());
  EXPECT_EQ(prober_.ProbeDue(), 1);
  EXPECT_TRUE(prober_.Observe("ns", "cloud", rotated)->ok);
  // A new bucket is a change too.
  rotated.buckets.push_back({"more", false, "second"});
  EXPECT_FALSE(prober_.Observe("ns", "cloud", rotated).has_value());
  EXPECT_EQ(prober_.ProbeDue(), 1);
  // A deleted Remote is not probed again.
  prober_.Retain("ns", {});
  EXPECT_EQ(prober_.size(), 0u);
  clock_.Advance(10min);
  EXPECT_EQ(prober_.ProbeDue(), 0);
}

TEST_F(RemoteProberTest, ProbeUsesTheRemotesTlsFilesAndTimeout) {
  ProbeTarget t = V2Target();
  t.remote.ca_file = "ca-cloud.crt";
  t.remote.cert_file = "tls-cloud.crt";
  t.remote.key_file = "tls-cloud.key";
  t.remote.insecure_skip_verify = true;
  t.remote.timeout = 7s;
  t.files = {{"ca-cloud.crt", "CA PEM"}, {"tls-cloud.crt", "CERT PEM"}, {"tls-cloud.key", "KEY"}};
  remote_.answer = [](const http::HttpRequest&) { return Answer(204); };
  prober_.Observe("ns", "cloud", t);
  ASSERT_EQ(prober_.ProbeDue(), 1);
  ASSERT_EQ(remote_.clients.size(), 1u);
  const http::HttpClientOptions& o = remote_.clients[0];
  EXPECT_EQ(o.base_url, "https://remote.example");
  EXPECT_EQ(o.timeout, 7s);
  EXPECT_TRUE(o.tls.insecure_skip_verify);
  auto read = [](const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(o.tls.ca_file), "CA PEM");
  EXPECT_EQ(read(o.tls.client_cert_file), "CERT PEM");
  EXPECT_EQ(read(o.tls.client_key_file), "KEY");
}

// The reconciler with a prober: Ready is Unknown until the first answer, then the answer; a
// refused token leaves the Replication in the agents' config; a fixed Secret is probed at once.
TEST_F(RemoteProberTest, ReconcilerShowsTheAnswerAndKeepsTheConfig) {
  op::testing::FakeCluster cluster;
  AgentPolls polls;
  EventRecorder recorder(cluster, clock_, "operator-0");
  ReconcilerOptions options;
  options.prober = &prober_;
  NamespaceReconciler reconciler(cluster, cluster, polls, recorder, clock_, options);
  auto secret = [](const std::string& token) {
    return op::testing::Json(
        R"({"metadata":{"name":"cloud-token","namespace":"edge","resourceVersion":")" + token +
        R"("},"data":{"token":")" + codec::Base64Encode(token) + R"("}})");
  };
  cluster.Put(Kind::kRemote,
              op::testing::Json(op::testing::RemoteJson("cloud", op::testing::kRemoteSpec)));
  cluster.Put(Kind::kReplication, op::testing::Json(op::testing::ReplicationJson(
                                      "edge-to-cloud", op::testing::kReplicationSpec)));
  cluster.Put(Kind::kSecret, secret("wrong-token-value"));
  remote_.answer = [](const http::HttpRequest& r) {
    for (const auto& [k, v] : r.headers) {
      if (v == "Token right-token-value") return Answer(204);
    }
    return Answer(401, R"({"code":"unauthorized","message":"unauthorized access"})");
  };
  auto ready = [&] {
    RemoteStatus st = RemoteStatusFromObject(*cluster.Find(Kind::kRemote, "edge", "cloud"));
    const Condition* c = FindCondition(st.conditions, reason::kReady);
    return c == nullptr ? "" : c->status + "/" + c->reason;
  };
  auto agent_yaml = [&] {
    web::json::value* s = cluster.Find(Kind::kSecret, "edge", kAgentConfigSecretName);
    return *codec::Base64Decode((*s)["data"]["agent.yaml"].as_string());
  };

  ASSERT_TRUE(reconciler.Reconcile("edge").ok());
  EXPECT_EQ(ready(), "Unknown/Probing");
  EXPECT_EQ(prober_.ProbeDue(), 1);
  EXPECT_EQ(changed_, std::vector<std::string>{"edge"});
  ASSERT_TRUE(reconciler.Reconcile("edge").ok());
  EXPECT_EQ(ready(), "False/Unauthorized");
  EXPECT_NE(agent_yaml().find("edge-to-cloud"), std::string::npos);
  bool warned = false;
  for (const auto& e : cluster.events) {
    warned = warned || e.at("reason").as_string() == reason::kUnauthorized;
    EXPECT_EQ(e.serialize().find("wrong-token-value"), std::string::npos);
  }
  EXPECT_TRUE(warned);
  EXPECT_EQ(cluster.Find(Kind::kRemote, "edge", "cloud")->serialize().find("wrong-token-value"),
            std::string::npos);

  clock_.Advance(1s);
  cluster.Put(Kind::kSecret, secret("right-token-value"));
  ASSERT_TRUE(reconciler.Reconcile("edge").ok());
  EXPECT_EQ(ready(), "Unknown/Probing");
  EXPECT_EQ(prober_.ProbeDue(), 1);
  ASSERT_TRUE(reconciler.Reconcile("edge").ok());
  EXPECT_EQ(ready(), "True/Reachable");

  // The Remote goes: so does its probe.
  cluster.Remove(Kind::kReplication, "edge", "edge-to-cloud");
  cluster.Remove(Kind::kRemote, "edge", "cloud");
  ASSERT_TRUE(reconciler.Reconcile("edge").ok());
  EXPECT_EQ(prober_.size(), 0u);
}

}  // namespace
}  // namespace edgerepl::op
