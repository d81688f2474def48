// The operator on a real kube-apiserver (envtest-style, api_server.h): the CRDs apply and refuse
// invalid objects naming the field; the rendered agent config follows Secret, Remote and
// Replication changes; a real agent's live state reaches Replication.status and `kubectl get`;
// only the Lease holder writes, and a killed leader is replaced within 20 s.
#include <gtest/gtest.h>
#include <signal.h>

#include <cpprest/json.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <regex>
#include <thread>

#include "common/codec/base64.h"
#include "common/config/parse.h"
#include "tests/integration/operator/api_server.h"
#include "tests/support/process.h"
#include "tests/support/servers.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::op::testing {
namespace {

using edgerepl::testing::ChildProcess;
using edgerepl::testing::PickFreePort;
using edgerepl::testing::TempDir;
using namespace std::chrono_literals;

std::string SourceDir() {
  const char* s = std::getenv("EDGEREPL_SOURCE_DIR");
  return s != nullptr && *s != '\0' ? s : EDGEREPL_TEST_SOURCE_DIR;
}
std::string BinaryDir() {
  const char* s = std::getenv("EDGEREPL_BINARY_DIR");
  return s != nullptr && *s != '\0' ? s : EDGEREPL_TEST_BINARY_DIR;
}

std::string OperatorBinary() {
  return BinaryDir() + "/operator/edgerepl-operator";
}

std::optional<std::string> AgentBinary() {
  if (const char* a = std::getenv("EDGEREPL_AGENT_BINARY"); a != nullptr && *a != '\0') return a;
  std::string p = BinaryDir() + "/agent/app/edgerepl-agent";
  if (::access(p.c_str(), X_OK) == 0) return p;
  return std::nullopt;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return done();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class OperatorProcess {
 public:
  OperatorProcess(const ApiServer& api, const TempDir& dir, const std::string& name,
                  std::vector<std::string> extra) {
    metrics_port_ = PickFreePort();
    health_port_ = PickFreePort();
    std::vector<std::string> argv = {
        OperatorBinary(),
        "--kubeconfig=" + api.kubeconfig(),
        "--metrics-bind-address=127.0.0.1:" + std::to_string(metrics_port_),
        "--health-probe-bind-address=127.0.0.1:" + std::to_string(health_port_),
        "--status-interval=1s",
        "--identity=" + name,
        "--log-level=debug"};
    for (auto& e : extra) argv.push_back(e);
    process_ = std::make_unique<ChildProcess>(argv, dir.Join(name + ".log"));
  }
  std::string Metrics() const {
    std::string body;
    edgerepl::testing::HttpGetStatus(metrics_port_, "/metrics", &body);
    return body;
  }
  // The value of the first sample line starting with `prefix`, or -1.
  double Metric(const std::string& prefix) const {
    std::string m = Metrics();
    size_t at = m.find("\n" + prefix);
    if (at == std::string::npos) return -1;
    size_t sp = m.find(' ', at + 1 + prefix.size());
    return std::atof(m.c_str() + sp + 1);
  }
  bool Ready() const { return edgerepl::testing::HttpGetStatus(health_port_, "/readyz") == 200; }
  ChildProcess& process() { return *process_; }

 private:
  int metrics_port_, health_port_;
  std::unique_ptr<ChildProcess> process_;
};

class OperatorIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    api_ = new ApiServer();
    if (!api_->Start(&skip_reason_)) return;
    KubectlResult r = api_->Kubectl("apply --validate=false -f " + SourceDir() + "/crds/");
    if (r.exit_code != 0) {
      skip_reason_.clear();
      crd_error_ = r.output;
      return;
    }
    api_->Kubectl(
        "wait --for condition=established --timeout=60s crd/remotes.edgerepl.io "
        "crd/replications.edgerepl.io");
  }
  static void TearDownTestSuite() {
    delete api_;
    api_ = nullptr;
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << "skipped: " << skip_reason_;
    ASSERT_TRUE(crd_error_.empty()) << "kubectl apply -f crds/ failed: " << crd_error_;
    ns_ = "t-" + Lower(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ns_ = std::regex_replace(ns_, std::regex("[^a-z0-9-]"), "-").substr(0, 60);
    ASSERT_EQ(Kubectl("create namespace " + ns_).exit_code, 0);
    // No controller-manager runs here to create it, and Pods need it to be admitted.
    Kubectl("create serviceaccount default -n " + ns_);
  }

  KubectlResult Kubectl(const std::string& args, const std::string& in = "") {
    return api_->Kubectl(args, in);
  }
  KubectlResult Apply(const std::string& yaml) {
    return Kubectl("apply --validate=false -n " + ns_ + " -f -", yaml);
  }
  std::optional<web::json::value> GetJson(const std::string& what) {
    KubectlResult r = Kubectl("get -n " + ns_ + " " + what + " -o json");
    if (r.exit_code != 0) return std::nullopt;
    try {
      return web::json::value::parse(r.output);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  // agent.yaml of the rendered Secret, or "".
  std::string AgentYaml() {
    auto s = GetJson("secret edgerepl-agent-config");
    if (!s || !s->has_object_field("data") || !s->at("data").has_string_field("agent.yaml")) {
      return "";
    }
    return codec::Base64Decode(s->at("data").at("agent.yaml").as_string()).value_or("");
  }
  std::optional<config::Config> AgentConfig() {
    std::string y = AgentYaml();
    if (y.empty()) return std::nullopt;
    Result<config::Config> c = config::ParseConfig(y);
    EXPECT_TRUE(c.ok()) << c.status().ToString() << "\n" << y;
    if (!c.ok()) return std::nullopt;
    return *c;
  }
  // "status/reason" of a condition of `object` ("replication/x", "remote/y").
  std::string Condition(const std::string& object, const std::string& type) {
    auto o = GetJson(object);
    if (!o || !o->has_object_field("status") || !o->at("status").has_array_field("conditions")) {
      return "";
    }
    for (const auto& c : o->at("status").at("conditions").as_array()) {
      if (c.at("type").as_string() == type) {
        return c.at("status").as_string() + "/" + c.at("reason").as_string();
      }
    }
    return "";
  }
  std::string ConditionMessage(const std::string& object, const std::string& type) {
    auto o = GetJson(object);
    if (!o || !o->has_object_field("status")) return "";
    for (const auto& c : o->at("status").at("conditions").as_array()) {
      if (c.at("type").as_string() == type) return c.at("message").as_string();
    }
    return "";
  }
  std::string Uid(const std::string& object) {
    auto o = GetJson(object);
    return o ? o->at("metadata").at("uid").as_string() : "";
  }
  // The token of the operator's admin Secret, or "".
  std::string AdminToken() {
    auto s = GetJson("secret edgerepl-agent-admin");
    if (!s || !s->has_object_field("data") || !s->at("data").has_string_field("token")) return "";
    return codec::Base64Decode(s->at("data").at("token").as_string()).value_or("");
  }
  void ApplyExamples() {
    KubectlResult r =
        Kubectl("apply --validate=false -n " + ns_ + " -f " + SourceDir() + "/docs/examples/");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  static ApiServer* api_;
  static std::string skip_reason_;
  static std::string crd_error_;
  std::string ns_;
  TempDir dir_;
};

ApiServer* OperatorIntegration::api_ = nullptr;
std::string OperatorIntegration::skip_reason_;
std::string OperatorIntegration::crd_error_;

TEST_F(OperatorIntegration, ExamplesApplyAndColumnsReadLikeInfluxReplicationList) {
  ApplyExamples();
  KubectlResult r = Kubectl("get replications -n " + ns_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* column : {"REMOTE", "LOCAL BUCKET", "REMOTE BUCKET", "QUEUE BYTES",
                             "MAX QUEUE BYTES", "LATEST CODE", "READY", "AGE"}) {
    EXPECT_NE(r.output.find(column), std::string::npos) << column << "\n" << r.output;
  }
  EXPECT_NE(r.output.find("134217728"), std::string::npos) << r.output;
  KubectlResult wide = Kubectl("get replications -n " + ns_ + " -o wide");
  EXPECT_NE(wide.output.find("AGENTS"), std::string::npos) << wide.output;
  EXPECT_NE(wide.output.find("LAG"), std::string::npos) << wide.output;
  // Defaults of the schema are applied by the API server.
  auto rep = GetJson("replication telegraf-to-cloud");
  ASSERT_TRUE(rep.has_value());
  EXPECT_EQ(rep->at("spec").at("maxInFlight").as_integer(), 4);
  // The example spells replicateDeletes out; a Replication that leaves it out gets false.
  ASSERT_EQ(
      Apply("apiVersion: edgerepl.io/v1alpha1\nkind: Replication\nmetadata:\n  name: minimal\n"
            "spec:\n  remoteRef: {name: cloud}\n  localBucket: t\n  remoteBucket: e\n")
          .exit_code,
      0);
  auto minimal = GetJson("replication minimal");
  ASSERT_TRUE(minimal.has_value());
  ASSERT_TRUE(minimal->at("spec").has_boolean_field("replicateDeletes")) << minimal->serialize();
  EXPECT_FALSE(minimal->at("spec").at("replicateDeletes").as_bool());
  auto remote = GetJson("remote cloud");
  ASSERT_TRUE(remote.has_value());
  EXPECT_EQ(remote->at("spec").at("tokenSecretRef").at("key").as_string(), "token");
  EXPECT_EQ(Kubectl("get edgerepl -n " + ns_).exit_code, 0);  // the category
}

TEST_F(OperatorIntegration, InvalidObjectsAreRefusedNamingTheField) {
  struct Case {
    const char* name;
    std::string yaml;
    const char* field;
  };
  const std::string rep =
      "apiVersion: edgerepl.io/v1alpha1\nkind: Replication\nmetadata:\n  name: bad\nspec:\n"
      "  remoteRef: {name: cloud}\n  localBucket: t\n  remoteBucket: e\n";
  const std::string remote =
      "apiVersion: edgerepl.io/v1alpha1\nkind: Remote\nmetadata:\n  name: bad\nspec:\n"
      "  url: https://x.example\n  orgID: o\n  tokenSecretRef: {name: s}\n";
  const Case cases[] = {
      {"queue too small", rep + "  maxQueueSizeBytes: 1024\n", "spec.maxQueueSizeBytes"},
      {"wrong type", rep + "  suspend: \"yes\"\n", "spec.suspend"},
      {"wrong type of the delete switch", rep + "  replicateDeletes: \"yes\"\n",
       "spec.replicateDeletes"},
      {"wrong type number", rep + "  maxAgeSeconds: week\n", "spec.maxAgeSeconds"},
      {"negative age", rep + "  maxAgeSeconds: -1\n", "spec.maxAgeSeconds"},
      {"unknown protocol", remote + "  protocol: v3\n", "spec.protocol"},
      {"unknown selector operator",
       rep + "  agentSelector:\n    matchExpressions: [{key: k, operator: Near}]\n", "operator"},
      {"malformed duration", rep + "  backoff: {min: soon}\n", "spec.backoff.min"},
      {"too many in flight", rep + "  maxInFlight: 9\n", "spec.maxInFlight"},
      {"backfill time not a date",
       rep + "  backfill: {from: yesterday, to: \"2026-01-01T00:00:00Z\"}\n", "spec.backfill.from"},
      {"backfill without its end", rep + "  backfill: {from: \"2026-01-01T00:00:00Z\"}\n",
       "spec.backfill.to"},
      {"backfill rate zero",
       rep + "  backfill: {from: \"2026-01-01T00:00:00Z\", to: \"2026-01-02T00:00:00Z\", "
             "maxPointsPerSecond: 0}\n",
       "spec.backfill.maxPointsPerSecond"},
      {"ftp url",
       "apiVersion: edgerepl.io/v1alpha1\nkind: Remote\nmetadata:\n  name: bad\nspec:\n"
       "  url: ftp://x.example\n  orgID: o\n  tokenSecretRef: {name: s}\n",
       "spec.url"},
  };
  for (const Case& c : cases) {
    KubectlResult r = Apply(c.yaml);
    EXPECT_NE(r.exit_code, 0) << c.name << ": accepted";
    EXPECT_NE(r.output.find(c.field), std::string::npos) << c.name << ": " << r.output;
  }
}

TEST_F(OperatorIntegration, CelRulesRefuseBothBucketsAndBadDurationsWhereSupported) {
  if (api_->minor_version() < 25) {
    GTEST_SKIP() << "kube-apiserver 1." << api_->minor_version()
                 << " has no CEL validation (x-kubernetes-validations needs 1.25+); the "
                    "operator's own InvalidSpec check covers these rules "
                    "(OperatorReportsInvalidSpecWithoutCel)";
  }
  KubectlResult both = Apply(
      "apiVersion: edgerepl.io/v1alpha1\nkind: Replication\nmetadata:\n  name: both\nspec:\n"
      "  remoteRef: {name: cloud}\n  localBucket: t\n  remoteBucket: e\n  remoteBucketID: "
      "\"0123456789abcdef\"\n");
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.output.find("exactly one of remoteBucket and remoteBucketID"), std::string::npos)
      << both.output;
  KubectlResult backoff = Apply(
      "apiVersion: edgerepl.io/v1alpha1\nkind: Replication\nmetadata:\n  name: back\nspec:\n"
      "  remoteRef: {name: cloud}\n  localBucket: t\n  remoteBucket: e\n  backoff: {min: 2s, max: "
      "1s}\n");
  EXPECT_NE(backoff.exit_code, 0);
  EXPECT_NE(backoff.output.find("backoff.max must be at least backoff.min"), std::string::npos)
      << backoff.output;
}

TEST_F(OperatorIntegration, OperatorReportsInvalidSpecWithoutCel) {
  ApplyExamples();
  KubectlResult r = Apply(
      "apiVersion: edgerepl.io/v1alpha1\nkind: Replication\nmetadata:\n  name: both\nspec:\n"
      "  remoteRef: {name: cloud}\n  localBucket: t\n  remoteBucket: e\n  remoteBucketID: "
      "\"0123456789abcdef\"\n");
  if (r.exit_code != 0) {
    // A CEL-capable server refused it already, naming the rule.
    EXPECT_NE(r.output.find("remoteBucket"), std::string::npos) << r.output;
    return;
  }
  OperatorProcess op(*api_, dir_, "op", {"--namespace=" + ns_});
  ASSERT_TRUE(
      WaitFor([&] { return Condition("replication/both", "Ready") == "False/InvalidSpec"; }, 30s))
      << Condition("replication/both", "Ready");
  EXPECT_NE(ConditionMessage("replication/both", "Ready").find("spec.remoteBucketID"),
            std::string::npos);
  // The valid example is in the file, the invalid one is not.
  ASSERT_TRUE(WaitFor([&] { return AgentConfig().has_value(); }, 10s));
  std::optional<config::Config> c = AgentConfig();
  ASSERT_EQ(c->replications.size(), 1u);
  EXPECT_EQ(c->replications[0].name, "telegraf-to-cloud");
}

TEST_F(OperatorIntegration, RenderedSecretFollowsTokenSpecAndDeletion) {
  ApplyExamples();
  // The examples' Remote is InfluxDB Cloud: without the probe, Ready is the render's verdict.
  OperatorProcess op(*api_, dir_, "op",
                     {"--namespace=" + ns_, "--agent-data-dir=/data", "--agent-listen=:18186",
                      "--probe-remotes=false"});
  ASSERT_TRUE(WaitFor([&] { return AgentConfig().has_value(); }, 30s));

  config::Config expected;
  expected.listen = ":18186";
  expected.data_dir = "/data";
  config::RemoteConfig remote;
  remote.name = "cloud";
  remote.url = "https://us-east-1-1.aws.cloud2.influxdata.com";
  remote.org_id = "0123456789abcdef";
  remote.token = "replace-with-your-remote-api-token";
  expected.remotes.push_back(remote);
  config::ReplicationConfig rep;
  rep.id = Uid("replication telegraf-to-cloud");
  rep.name = "telegraf-to-cloud";
  rep.remote = "cloud";
  rep.local_bucket = "telegraf";
  rep.remote_bucket = "edge";
  rep.max_queue_size_bytes = 134217728;
  expected.replications.push_back(rep);
  ASSERT_FALSE(rep.id.empty());
  expected.admin_token = AdminToken();
  ASSERT_EQ(expected.admin_token.size(), 64u);
  EXPECT_EQ(*AgentConfig(), expected);
  EXPECT_TRUE(WaitFor([&] { return Condition("remote/cloud", "Ready") == "True/Resolved"; }, 10s));

  // Token rotation.
  ASSERT_EQ(Apply("apiVersion: v1\nkind: Secret\nmetadata:\n  name: cloud-token\nstringData:\n"
                  "  token: rotated-token\n")
                .exit_code,
            0);
  expected.remotes[0].token = "rotated-token";
  EXPECT_TRUE(WaitFor([&] { return AgentConfig() == expected; }, 15s)) << AgentYaml();

  // A Replication edit. A field the schema did not declare would be pruned by the API server, so
  // replicateDeletes arriving in the file shows the CRD carries it.
  ASSERT_EQ(Kubectl("patch replication telegraf-to-cloud -n " + ns_ +
                    " --type=merge -p "
                    "'{\"spec\":{\"maxQueueSizeBytes\":40000000,\"suspend\":true,"
                    "\"replicateDeletes\":true}}'")
                .exit_code,
            0);
  expected.replications[0].max_queue_size_bytes = 40000000;
  expected.replications[0].suspend = true;
  expected.replications[0].replicate_deletes = true;
  EXPECT_TRUE(WaitFor([&] { return AgentConfig() == expected; }, 15s)) << AgentYaml();

  // The token Secret disappears: the Remote says so and its token leaves the file.
  ASSERT_EQ(Kubectl("delete secret cloud-token -n " + ns_).exit_code, 0);
  EXPECT_TRUE(
      WaitFor([&] { return Condition("remote/cloud", "Ready") == "False/SecretNotFound"; }, 15s));
  EXPECT_TRUE(WaitFor([&] { return AgentYaml().find("rotated-token") == std::string::npos; }, 15s));
  EXPECT_EQ(Condition("replication/telegraf-to-cloud", "Ready"), "False/RemoteNotReady");

  // Deletion.
  ASSERT_EQ(Kubectl("delete replication telegraf-to-cloud -n " + ns_).exit_code, 0);
  EXPECT_TRUE(WaitFor(
      [&] {
        auto c = AgentConfig();
        return c && c->replications.empty();
      },
      15s))
      << AgentYaml();
  EXPECT_GT(
      op.Metric("controller_runtime_reconcile_total{controller=\"edgerepl\",result=\"success\"}"),
      0);
}

// The Remote fields of docs/crd-reference.md's parity table on the real API server: a v1 Remote
// with a kubernetes.io/basic-auth Secret, a client certificate from a kubernetes.io/tls Secret and
// the schema's defaults (timeout, credentialsIn); a v1 Remote with no credentials at all; a
// basic-auth Secret on a v2 Remote refused naming the field (no CEL on this server, or CEL first).
TEST_F(OperatorIntegration, RemoteCredentialsAndClientCertificateFromSecrets) {
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Secret
metadata: {name: influx-user}
type: kubernetes.io/basic-auth
stringData: {username: edge, password: "b4sic-pa55word"}
---
apiVersion: v1
kind: Secret
metadata: {name: influx-client}
type: kubernetes.io/tls
stringData: {tls.crt: "CLIENT CERT PEM", tls.key: "CLIENT KEY PEM"}
---
apiVersion: edgerepl.io/v1alpha1
kind: Remote
metadata: {name: old-influx}
spec:
  url: https://influx16.example:8086
  protocol: v1
  basicAuthSecretRef: {name: influx-user}
  tlsSecretRef: {name: influx-client}
---
apiVersion: edgerepl.io/v1alpha1
kind: Remote
metadata: {name: open-influx}
spec:
  url: http://influx-open:8086
  protocol: v1
  timeout: 5s
---
apiVersion: edgerepl.io/v1alpha1
kind: Replication
metadata: {name: to-old}
spec: {remoteRef: {name: old-influx}, localBucket: telegraf, remoteBucket: edge}
---
apiVersion: edgerepl.io/v1alpha1
kind: Replication
metadata: {name: to-open}
spec: {remoteRef: {name: open-influx}, localBucket: telegraf, remoteBucket: edge}
)")
                .exit_code,
            0);
  // These remotes do not exist: Ready here is the render's verdict (the probe has its own test).
  OperatorProcess op(*api_, dir_, "op",
                     {"--namespace=" + ns_, "--agent-config-dir=/cfg", "--probe-remotes=false"});
  ASSERT_TRUE(WaitFor(
      [&] {
        auto c = AgentConfig();
        return c && c->remotes.size() == 2;
      },
      30s))
      << AgentYaml();
  config::Config c = *AgentConfig();
  const config::RemoteConfig* old = c.FindRemote("old-influx");
  const config::RemoteConfig* open = c.FindRemote("open-influx");
  ASSERT_NE(old, nullptr);
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(old->username, "edge");
  EXPECT_EQ(old->password, "b4sic-pa55word");
  EXPECT_EQ(old->credentials_in, config::CredentialsIn::kHeader);  // the schema's default
  EXPECT_EQ(old->timeout, std::chrono::seconds(30));               // the schema's default
  EXPECT_EQ(old->cert_file, "/cfg/tls-old-influx.crt");
  EXPECT_EQ(old->key_file, "/cfg/tls-old-influx.key");
  EXPECT_TRUE(open->token.empty());
  EXPECT_TRUE(open->username.empty());
  EXPECT_EQ(open->timeout, std::chrono::seconds(5));
  auto secret = GetJson("secret edgerepl-agent-config");
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(codec::Base64Decode(secret->at("data").at("tls-old-influx.key").as_string()),
            "CLIENT KEY PEM");
  EXPECT_TRUE(
      WaitFor([&] { return Condition("remote/old-influx", "Ready") == "True/Resolved"; }, 10s));
  EXPECT_TRUE(
      WaitFor([&] { return Condition("remote/open-influx", "Ready") == "True/Resolved"; }, 10s));
  EXPECT_EQ(ConditionMessage("remote/open-influx", "Ready"), "no credentials (protocol v1)");

  // A basic-auth Secret on a v2 Remote: refused by CEL where the server has it, else by the
  // operator, naming the field; the password is in no status and no event.
  KubectlResult bad = Apply(R"(apiVersion: edgerepl.io/v1alpha1
kind: Remote
metadata: {name: v2-user}
spec:
  url: https://cloud.example
  orgID: o
  tokenSecretRef: {name: influx-user, key: password}
  basicAuthSecretRef: {name: influx-user}
)");
  if (bad.exit_code != 0) {
    EXPECT_NE(bad.output.find("basicAuthSecretRef"), std::string::npos) << bad.output;
  } else {
    EXPECT_TRUE(
        WaitFor([&] { return Condition("remote/v2-user", "Ready") == "False/InvalidSpec"; }, 15s));
    EXPECT_NE(ConditionMessage("remote/v2-user", "Ready").find("spec.basicAuthSecretRef"),
              std::string::npos)
        << ConditionMessage("remote/v2-user", "Ready");
  }
  for (const char* what : {"remotes", "replications", "events"}) {
    KubectlResult r = Kubectl("get " + std::string(what) + " -n " + ns_ + " -o yaml");
    EXPECT_EQ(r.output.find("b4sic-pa55word"), std::string::npos) << what;
    EXPECT_EQ(r.output.find("CLIENT KEY PEM"), std::string::npos) << what;
  }
  std::ifstream log(dir_.Join("op.log"));
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.find("b4sic-pa55word"), std::string::npos);
}

// The admin API on Kubernetes: the operator creates the namespace's admin token Secret, renders
// it as the agents' adminToken, and a real agent started from the rendered file refuses
// skip-head without it (401) while status reads stay open; deleting the Secret rotates the token.
// The token is in no status, event, ConfigMap or log line.
TEST_F(OperatorIntegration, AdminTokenIsCreatedRenderedRequiredAndRotated) {
  auto agent = AgentBinary();
  if (!agent) GTEST_SKIP() << "skipped: edgerepl-agent is not built (set EDGEREPL_AGENT_BINARY)";
  const int write_port = PickFreePort(), admin_port = PickFreePort();
  ASSERT_EQ(Apply(R"(apiVersion: edgerepl.io/v1alpha1
kind: Remote
metadata: {name: open-influx}
spec: {url: "http://127.0.0.1:9", protocol: v1}
---
apiVersion: edgerepl.io/v1alpha1
kind: Replication
metadata: {name: edge}
spec: {remoteRef: {name: open-influx}, localBucket: db, remoteBucket: db}
)")
                .exit_code,
            0);
  OperatorProcess op(
      *api_, dir_, "op",
      {"--namespace=" + ns_, "--agent-listen=127.0.0.1:" + std::to_string(write_port),
       "--agent-admin-listen=127.0.0.1:" + std::to_string(admin_port),
       "--agent-data-dir=" + dir_.Join("agent-data")});
  ASSERT_TRUE(WaitFor([&] { return AdminToken().size() == 64; }, 30s));
  const std::string token = AdminToken();
  ASSERT_TRUE(WaitFor([&] { return AgentConfig() && AgentConfig()->admin_token == token; }, 15s))
      << AgentYaml();
  auto admin = GetJson("secret edgerepl-agent-admin");
  EXPECT_EQ(admin->at("metadata").at("labels").at("app.kubernetes.io/managed-by").as_string(),
            "edgerepl-operator");

  // As the kubelet mounts it; the agent watches the file's directory.
  std::filesystem::create_directories(dir_.Join("cfg"));
  edgerepl::testing::WriteFileOrDie(dir_.Join("cfg/agent.yaml"), AgentYaml());
  ChildProcess agent_process({*agent, "--config", dir_.Join("cfg/agent.yaml")},
                             dir_.Join("agent.log"));
  ASSERT_TRUE(edgerepl::testing::WaitForTcp(admin_port, 20s));
  const std::string uid = Uid("replication edge");
  auto skip = [&](const std::string& auth) {
    std::map<std::string, std::string> headers;
    if (!auth.empty()) headers["Authorization"] = auth;
    return edgerepl::testing::HttpRequest(
        admin_port, "POST", "/api/v1/replications/" + uid + "/skip-head", headers, "");
  };
  EXPECT_EQ(skip(""), 401);
  EXPECT_EQ(skip("Bearer wrong-" + token.substr(6)), 401);
  EXPECT_EQ(skip("Bearer " + token), 202);
  EXPECT_EQ(edgerepl::testing::HttpGetStatus(admin_port, "/api/v1/replications"), 200);
  EXPECT_EQ(edgerepl::testing::HttpGetStatus(admin_port, "/metrics"), 200);
  EXPECT_EQ(edgerepl::testing::HttpGetStatus(admin_port, "/healthz"), 200);

  // Rotation: the Secret is deleted, a fresh token replaces it in the Secret and the config.
  ASSERT_EQ(Kubectl("delete secret edgerepl-agent-admin -n " + ns_).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return AdminToken().size() == 64 && AdminToken() != token; }, 30s));
  const std::string rotated = AdminToken();
  ASSERT_TRUE(WaitFor([&] { return AgentConfig() && AgentConfig()->admin_token == rotated; }, 15s));
  std::string tmp = dir_.Join("cfg/agent.yaml.tmp");
  edgerepl::testing::WriteFileOrDie(tmp, AgentYaml());
  ASSERT_EQ(std::rename(tmp.c_str(), dir_.Join("cfg/agent.yaml").c_str()), 0);
  EXPECT_TRUE(WaitFor([&] { return skip("Bearer " + rotated) == 202; }, 15s));
  EXPECT_EQ(skip("Bearer " + token), 401);

  for (const char* what : {"remotes", "replications", "events", "configmaps"}) {
    KubectlResult r = Kubectl("get " + std::string(what) + " -n " + ns_ + " -o yaml");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const std::string& t : {token, rotated}) {
      EXPECT_EQ(r.output.find(t), std::string::npos) << what;
    }
  }
  for (const char* log_file : {"op.log", "agent.log"}) {
    std::ifstream log(dir_.Join(log_file));
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_FALSE(text.empty()) << log_file;
    for (const std::string& t : {token, rotated}) {
      EXPECT_EQ(text.find(t), std::string::npos) << log_file;
    }
  }
}

TEST_F(OperatorIntegration, LiveAgentStatusRemoteDownAndBack) {
  auto agent = AgentBinary();
  if (!agent) GTEST_SKIP() << "skipped: edgerepl-agent is not built (set EDGEREPL_AGENT_BINARY)";
  if (!edgerepl::testing::Influxd::Available()) GTEST_SKIP() << "skipped: no influxd";
  edgerepl::testing::Influxd local, remote;
  local.Start();
  remote.Start();
  local.CreateDatabase("localdb");
  remote.CreateDatabase("remotedb");

  const int write_port = PickFreePort(), admin_port = PickFreePort();
  ASSERT_EQ(
      Apply(
          "apiVersion: v1\nkind: Secret\nmetadata:\n  name: remote-token\nstringData:\n"
          "  token: unused-by-influxd\n---\n"
          "apiVersion: edgerepl.io/v1alpha1\nkind: Remote\nmetadata:\n  name: central\nspec:\n"
          "  url: " +
          remote.url() +
          "\n  protocol: v1\n  tokenSecretRef: {name: remote-token}\n"
          "---\napiVersion: edgerepl.io/v1alpha1\nkind: Replication\nmetadata:\n  name: edge\n"
          "spec:\n  remoteRef: {name: central}\n  localBucket: localdb\n  remoteBucket: remotedb\n"
          "  backoff: {min: 100ms, max: 1s}\n")
          .exit_code,
      0);
  OperatorProcess op(
      *api_, dir_, "op",
      {"--namespace=" + ns_, "--agent-listen=127.0.0.1:" + std::to_string(write_port),
       "--agent-admin-listen=127.0.0.1:" + std::to_string(admin_port),
       "--agent-local-url=" + local.url(), "--agent-data-dir=" + dir_.Join("agent-data")});
  ASSERT_TRUE(WaitFor(
      [&] { return AgentConfig().has_value() && !AgentConfig()->replications.empty(); }, 30s));
  // As the kubelet would mount it.
  edgerepl::testing::WriteFileOrDie(dir_.Join("agent.yaml"), AgentYaml());
  ChildProcess agent_process({*agent, "--config", dir_.Join("agent.yaml")}, dir_.Join("agent.log"));
  ASSERT_TRUE(edgerepl::testing::WaitForTcp(admin_port, 20s));
  ASSERT_TRUE(edgerepl::testing::WaitForTcp(write_port, 20s));

  const std::string pod =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: influxdb-0\n  labels:\n"
      "    app.kubernetes.io/component: edgerepl-agent\nspec:\n  containers:\n"
      "  - name: agent\n    image: edgerepl-agent\n    ports:\n    - name: edgerepl-admin\n"
      "      containerPort: " +
      std::to_string(admin_port) + "\n";
  ASSERT_EQ(Apply(pod).exit_code, 0);
  KubectlResult st = Kubectl("patch pod influxdb-0 -n " + ns_ +
                             " --subresource=status --type=merge -p "
                             "'{\"status\":{\"phase\":\"Running\",\"podIP\":\"127.0.0.1\"}}'");
  ASSERT_EQ(st.exit_code, 0) << st.output;
  // The pod carries the config Secret's resourceVersion, a real merge patch on a pod, so a
  // kubelet would refresh the mounted config at once.
  auto jsonpath = [&](const std::string& what, const std::string& path) {
    KubectlResult r = Kubectl("get " + what + " -n " + ns_ + " -o jsonpath='" + path + "'");
    return r.exit_code == 0 ? r.output : "";
  };
  EXPECT_TRUE(WaitFor(
      [&] {
        std::string v = jsonpath("secret edgerepl-agent-config", "{.metadata.resourceVersion}");
        return !v.empty() &&
               v == jsonpath("pod influxdb-0",
                             "{.metadata.annotations.edgerepl\\.io/agent-config-version}");
      },
      20s))
      << Kubectl("get pod influxdb-0 -n " + ns_ + " -o yaml").output;

  auto write = [&](int n, int from) {
    std::string body;
    for (int i = 0; i < n; ++i) {
      body += "cpu,host=edge value=" + std::to_string(from + i) + " " +
              std::to_string(1700000000000000000LL + (from + i) * 1000000000LL) + "\n";
    }
    return edgerepl::testing::HttpRequest(write_port, "POST", "/write?db=localdb", {}, body);
  };
  ASSERT_EQ(write(100, 0), 204);
  ASSERT_TRUE(
      WaitFor([&] { return Condition("replication/edge", "Replicating") == "True/Sending"; }, 30s))
      << Condition("replication/edge", "Replicating") << " "
      << ConditionMessage("replication/edge", "Replicating");
  EXPECT_EQ(Condition("replication/edge", "Ready"), "True/Delivered");
  ASSERT_TRUE(WaitFor([&] { return remote.CountPoints("remotedb", "cpu", "value") == 100; }, 30s));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto o = GetJson("replication edge");
        return o && o->at("status").has_integer_field("latestResponseCode") &&
               o->at("status").at("latestResponseCode").as_integer() == 204;
      },
      20s));
  KubectlResult table = Kubectl("get replications -n " + ns_ + " -o wide");
  std::cout << "replicating:\n" << table.output;
  EXPECT_NE(table.output.find("204"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("True"), std::string::npos) << table.output;

  // The remote goes away: the queue grows, Replicating turns False with a reason and an Event.
  remote.Stop();
  ASSERT_EQ(write(50, 100), 204);
  ASSERT_TRUE(WaitFor(
      [&] { return Condition("replication/edge", "Replicating") == "False/RemoteUnreachable"; },
      30s))
      << Condition("replication/edge", "Replicating");
  EXPECT_TRUE(WaitFor(
      [&] {
        auto o = GetJson("replication edge");
        return o && o->at("status").at("currentQueueSizeBytes").as_number().to_int64() > 0;
      },
      20s));
  KubectlResult events =
      Kubectl("get events -n " + ns_ + " --field-selector reason=RemoteUnreachable");
  EXPECT_NE(events.output.find("RemoteUnreachable"), std::string::npos) << events.output;
  KubectlResult wide = Kubectl("get replications -n " + ns_ + " -o wide");
  EXPECT_NE(wide.output.find("RemoteUnreachable"), std::string::npos) << wide.output;
  std::cout << "remote down:\n" << wide.output;

  // Back again.
  remote.Start();
  ASSERT_TRUE(
      WaitFor([&] { return Condition("replication/edge", "Replicating") == "True/Sending"; }, 40s))
      << Condition("replication/edge", "Replicating");
  EXPECT_TRUE(WaitFor([&] { return remote.CountPoints("remotedb", "cpu", "value") == 150; }, 30s));
  KubectlResult resumed =
      Kubectl("get events -n " + ns_ + " --field-selector reason=ReplicationResumed");
  EXPECT_NE(resumed.output.find("ReplicationResumed"), std::string::npos) << resumed.output;
  EXPECT_EQ(op.Metric("edgerepl_agents_reachable"), 1);
  agent_process.Stop();
}

// spec.backfill end to end: the operator renders the range, a real agent copies the history its
// local influxd already holds to the remote, and the Replication's status shows the agent's
// backfill as it goes.
TEST_F(OperatorIntegration, SpecBackfillReachesTheAgentAndItsProgressTheStatus) {
  auto agent = AgentBinary();
  if (!agent) GTEST_SKIP() << "skipped: edgerepl-agent is not built (set EDGEREPL_AGENT_BINARY)";
  if (!edgerepl::testing::Influxd::Available()) GTEST_SKIP() << "skipped: no influxd";
  edgerepl::testing::Influxd local, remote;
  local.Start();
  remote.Start();
  local.CreateDatabase("localdb");
  remote.CreateDatabase("remotedb");
  // History written straight to the local database: 2026-01-01 00:00 to 00:50, one a second.
  const int64_t t0 = 1767225600LL * 1'000'000'000;
  std::string history;
  for (int i = 0; i < 3000; ++i) {
    history += "cpu,host=h" + std::to_string(i % 4) + " v=" + std::to_string(i) + "i " +
               std::to_string(t0 + i * 1'000'000'000LL) + "\n";
  }
  ASSERT_EQ(local.Write("localdb", history), 204);

  const int write_port = PickFreePort(), admin_port = PickFreePort();
  ASSERT_EQ(
      Apply(
          "apiVersion: v1\nkind: Secret\nmetadata:\n  name: remote-token\nstringData:\n"
          "  token: unused-by-influxd\n---\n"
          "apiVersion: edgerepl.io/v1alpha1\nkind: Remote\nmetadata:\n  name: central\nspec:\n"
          "  url: " +
          remote.url() +
          "\n  protocol: v1\n  tokenSecretRef: {name: remote-token}\n"
          "---\napiVersion: edgerepl.io/v1alpha1\nkind: Replication\nmetadata:\n  name: edge\n"
          "spec:\n  remoteRef: {name: central}\n  localBucket: localdb\n  remoteBucket: remotedb\n"
          // 00:10 to 00:30 (an offset, as RFC 3339 allows): 1200 of the 3000 points.
          "  backfill: {from: \"2026-01-01T01:10:00+01:00\", to: \"2026-01-01T00:30:00Z\"}\n")
          .exit_code,
      0);
  OperatorProcess op(
      *api_, dir_, "op",
      {"--namespace=" + ns_, "--agent-listen=127.0.0.1:" + std::to_string(write_port),
       "--agent-admin-listen=127.0.0.1:" + std::to_string(admin_port),
       "--agent-local-url=" + local.url(), "--agent-data-dir=" + dir_.Join("agent-data")});
  ASSERT_TRUE(WaitFor(
      [&] { return AgentConfig().has_value() && !AgentConfig()->replications.empty(); }, 30s));
  ASSERT_TRUE(AgentConfig()->replications[0].backfill.has_value());
  EXPECT_EQ(AgentConfig()->replications[0].backfill->from_ns, t0 + 600LL * 1'000'000'000);
  EXPECT_EQ(AgentConfig()->replications[0].backfill->to_ns, t0 + 1800LL * 1'000'000'000);
  edgerepl::testing::WriteFileOrDie(dir_.Join("agent.yaml"), AgentYaml());
  ChildProcess agent_process({*agent, "--config", dir_.Join("agent.yaml")}, dir_.Join("agent.log"));
  ASSERT_TRUE(edgerepl::testing::WaitForTcp(admin_port, 20s));
  ASSERT_EQ(Apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: influxdb-0\n  labels:\n"
                  "    app.kubernetes.io/component: edgerepl-agent\nspec:\n  containers:\n"
                  "  - name: agent\n    image: edgerepl-agent\n    ports:\n"
                  "    - name: edgerepl-admin\n      containerPort: " +
                  std::to_string(admin_port) + "\n")
                .exit_code,
            0);
  ASSERT_EQ(Kubectl("patch pod influxdb-0 -n " + ns_ +
                    " --subresource=status --type=merge -p "
                    "'{\"status\":{\"phase\":\"Running\",\"podIP\":\"127.0.0.1\"}}'")
                .exit_code,
            0);

  auto backfill = [&]() -> std::optional<web::json::value> {
    auto o = GetJson("replication edge");
    if (!o || !o->has_object_field("status") || !o->at("status").has_array_field("agentStatuses"))
      return std::nullopt;
    const auto& agents = o->at("status").at("agentStatuses").as_array();
    if (agents.size() != 1 || !agents.at(0).has_object_field("backfill")) return std::nullopt;
    return agents.at(0).at("backfill");
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        auto b = backfill();
        return b && b->at("state").as_string() == "Complete";
      },
      60s))
      << (backfill() ? backfill()->serialize() : "no backfill in status") << "\n"
      << Kubectl("get replication edge -n " + ns_ + " -o yaml").output;
  auto b = *backfill();
  EXPECT_EQ(b.at("from").as_string(), "2026-01-01T00:10:00Z");
  EXPECT_EQ(b.at("to").as_string(), "2026-01-01T00:30:00Z");
  EXPECT_EQ(b.at("doneUntil").as_string(), "2026-01-01T00:30:00Z");
  EXPECT_EQ(b.at("points").as_integer(), 1200);
  EXPECT_EQ(b.at("pendingPoints").as_integer(), 0);
  EXPECT_EQ(remote.CountPoints("remotedb", "cpu", "v"), 1200);
  const std::string range =
      "SELECT * FROM cpu WHERE time >= '2026-01-01T00:10:00Z' AND time < "
      "'2026-01-01T00:30:00Z' GROUP BY *";
  EXPECT_EQ(remote.Query(range, "remotedb"), local.Query(range, "localdb"));
  agent_process.Stop();
}

std::string LeaseHolder(ApiServer& api, const std::string& ns) {
  KubectlResult r =
      api.Kubectl("get lease edgerepl-operator -n " + ns + " -o jsonpath={.spec.holderIdentity}");
  return r.exit_code == 0 ? r.output : "";
}

TEST_F(OperatorIntegration, OnlyTheLeaderWritesAndAKilledLeaderIsReplacedWithin20s) {
  ApplyExamples();
  std::vector<std::string> flags = {"--namespace=" + ns_, "--leader-elect",
                                    "--leader-election-namespace=" + ns_};
  auto a = std::make_unique<OperatorProcess>(*api_, dir_, "op-a", flags);
  ASSERT_TRUE(WaitFor([&] { return LeaseHolder(*api_, ns_) == "op-a"; }, 20s))
      << LeaseHolder(*api_, ns_);
  auto b = std::make_unique<OperatorProcess>(*api_, dir_, "op-b", flags);
  ASSERT_TRUE(WaitFor([&] { return AgentConfig().has_value(); }, 20s));
  ASSERT_TRUE(WaitFor([&] { return b->Ready(); }, 20s));
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(LeaseHolder(*api_, ns_), "op-a");
  EXPECT_EQ(a->Metric("leader_election_master_status"), 1);
  EXPECT_EQ(b->Metric("leader_election_master_status"), 0);
  // The follower reads but never writes.
  EXPECT_EQ(b->Metrics().find("method=\"PUT\""), std::string::npos);
  EXPECT_EQ(b->Metrics().find("method=\"PATCH\""), std::string::npos);
  EXPECT_EQ(
      b->Metric("controller_runtime_reconcile_total{controller=\"edgerepl\",result=\"success\"}"),
      0);

  a->process().Signal(SIGKILL);
  a->process().Wait(5s);
  auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return LeaseHolder(*api_, ns_) == "op-b"; }, 25s));
  auto took = std::chrono::steady_clock::now() - killed;
  EXPECT_LT(took, 20s) << std::chrono::duration_cast<std::chrono::seconds>(took).count() << " s";
  // The new leader writes: an edit reaches the file.
  ASSERT_EQ(Kubectl("patch replication telegraf-to-cloud -n " + ns_ +
                    " --type=merge -p '{\"spec\":{\"localBucket\":\"after-failover\"}}'")
                .exit_code,
            0);
  EXPECT_TRUE(WaitFor(
      [&] {
        auto c = AgentConfig();
        return c && !c->replications.empty() && c->replications[0].local_bucket == "after-failover";
      },
      15s));

  // SIGTERM releases the Lease: a successor takes over without waiting for it to expire.
  auto c = std::make_unique<OperatorProcess>(*api_, dir_, "op-c", flags);
  ASSERT_TRUE(WaitFor([&] { return c->Ready(); }, 20s));
  b->process().Signal(SIGTERM);
  ASSERT_TRUE(b->process().Wait(10s).has_value());
  auto released = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return LeaseHolder(*api_, ns_) == "op-c"; }, 20s));
  EXPECT_LT(std::chrono::steady_clock::now() - released, 6s);
}

TEST_F(OperatorIntegration, HealthAndMetricsEndpoints) {
  OperatorProcess op(*api_, dir_, "op", {"--namespace=" + ns_});
  ASSERT_TRUE(WaitFor([&] { return op.Ready(); }, 20s));
  std::string m = op.Metrics();
  for (const char* name :
       {"controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total",
        "controller_runtime_reconcile_time_seconds", "workqueue_depth", "workqueue_adds_total",
        "workqueue_retries_total", "workqueue_queue_duration_seconds",
        "workqueue_work_duration_seconds", "leader_election_master_status",
        "rest_client_requests_total", "edgerepl_agents_reachable"}) {
    EXPECT_NE(m.find("# TYPE " + std::string(name)), std::string::npos) << name;
  }
  if (auto promtool = edgerepl::testing::FindExecutable("promtool")) {
    edgerepl::testing::WriteFileOrDie(dir_.Join("metrics.txt"), m);
    KubectlResult lint = RunCommand(*promtool + " check metrics < " + dir_.Join("metrics.txt"));
    EXPECT_EQ(lint.exit_code, 0) << lint.output;
  } else {
    std::cout << "promtool not installed: metric lint skipped\n";
  }
  op.process().Signal(SIGTERM);
  std::optional<int> status = op.process().Wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

// Remote Ready is the remote's answer (issue 19.3), against real servers on loopback:
// VictoriaMetrics as a v2 remote answers the empty write (True/Reachable); a closed port is
// Unreachable; an influxd 1.6.7 with auth-enabled refuses a wrong password from the basic-auth
// Secret (Unauthorized) until the Secret is fixed, which is probed at once; a database no
// influxd has is BucketNotFound. The password is in no status or event.
TEST_F(OperatorIntegration, RemoteReadyIsTheProbesAnswer) {
  if (!edgerepl::testing::Influxd::Available() ||
      !edgerepl::testing::VictoriaMetrics::Available()) {
    GTEST_SKIP() << "skipped: needs influxd and victoria-metrics";
  }
  edgerepl::testing::VictoriaMetrics vm;
  vm.Start();
  edgerepl::testing::InfluxdOptions auth;
  auth.auth_enabled = true;
  edgerepl::testing::Influxd influx(auth);
  influx.Start();
  influx.CreateAdmin("edge", "right-pa55word");
  std::string basic = "Basic " + codec::Base64Encode("edge:right-pa55word");
  influx.Query("CREATE DATABASE telegraf", "", basic);
  const int closed = PickFreePort();

  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Secret
metadata: {name: vm-token}
stringData: {token: "vm-t0ken-value"}
---
apiVersion: v1
kind: Secret
metadata: {name: influx-user}
type: kubernetes.io/basic-auth
stringData: {username: edge, password: "wr0ng-pa55word"}
---
apiVersion: v1
kind: Secret
metadata: {name: influx-user-ok}
type: kubernetes.io/basic-auth
stringData: {username: edge, password: "right-pa55word"}
---
apiVersion: edgerepl.io/v1alpha1
kind: Remote
metadata: {name: vm}
spec: {url: ")" + vm.url() +
                  R"(", orgID: edge, tokenSecretRef: {name: vm-token, key: token}}
---
apiVersion: edgerepl.io/v1alpha1
kind: Remote
metadata: {name: closed}
spec:
  url: http://127.0.0.1:)" +
                  std::to_string(closed) + R"(
  orgID: edge
  timeout: 2s
  tokenSecretRef: {name: vm-token, key: token}
---
apiVersion: edgerepl.io/v1alpha1
kind: Remote
metadata: {name: influx}
spec: {url: ")" + influx.url() +
                  R"(", protocol: v1, basicAuthSecretRef: {name: influx-user}}
---
apiVersion: edgerepl.io/v1alpha1
kind: Remote
metadata: {name: influx-nodb}
spec: {url: ")" + influx.url() +
                  R"(", protocol: v1, basicAuthSecretRef: {name: influx-user-ok}}
---
apiVersion: edgerepl.io/v1alpha1
kind: Replication
metadata: {name: to-vm}
spec: {remoteRef: {name: vm}, localBucket: telegraf, remoteBucket: edge}
---
apiVersion: edgerepl.io/v1alpha1
kind: Replication
metadata: {name: to-closed}
spec: {remoteRef: {name: closed}, localBucket: telegraf, remoteBucket: edge}
---
apiVersion: edgerepl.io/v1alpha1
kind: Replication
metadata: {name: to-influx}
spec: {remoteRef: {name: influx}, localBucket: telegraf, remoteBucket: telegraf/autogen}
---
apiVersion: edgerepl.io/v1alpha1
kind: Replication
metadata: {name: to-nodb}
spec: {remoteRef: {name: influx-nodb}, localBucket: telegraf, remoteBucket: nodb}
)")
                .exit_code,
            0);
  OperatorProcess op(*api_, dir_, "op", {"--namespace=" + ns_});

  EXPECT_TRUE(WaitFor([&] { return Condition("remote/vm", "Ready") == "True/Reachable"; }, 30s))
      << Condition("remote/vm", "Ready") << ": " << ConditionMessage("remote/vm", "Ready");
  EXPECT_NE(ConditionMessage("remote/vm", "Ready").find("\"edge\""), std::string::npos);
  EXPECT_TRUE(
      WaitFor([&] { return Condition("remote/closed", "Ready") == "False/Unreachable"; }, 30s))
      << Condition("remote/closed", "Ready") << ": " << ConditionMessage("remote/closed", "Ready");
  EXPECT_TRUE(
      WaitFor([&] { return Condition("remote/influx", "Ready") == "False/Unauthorized"; }, 30s))
      << Condition("remote/influx", "Ready") << ": " << ConditionMessage("remote/influx", "Ready");
  EXPECT_NE(ConditionMessage("remote/influx", "Ready").find("authorization failed"),
            std::string::npos)
      << ConditionMessage("remote/influx", "Ready");
  EXPECT_TRUE(WaitFor(
      [&] { return Condition("remote/influx-nodb", "Ready") == "False/BucketNotFound"; }, 30s))
      << Condition("remote/influx-nodb", "Ready") << ": "
      << ConditionMessage("remote/influx-nodb", "Ready");
  EXPECT_NE(ConditionMessage("remote/influx-nodb", "Ready").find("\"nodb\""), std::string::npos);
  // The probe is about the Remote: its Replications stay in the agents' config and queue.
  EXPECT_EQ(Condition("replication/to-influx", "Ready").rfind("False/RemoteNotReady", 0),
            std::string::npos);
  auto config = AgentConfig();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->replications.size(), 4u);

  // Let the failing probe back off a while, then fix the password: re-probed at once, not at
  // the next backoff step.
  std::this_thread::sleep_for(12s);
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Secret
metadata: {name: influx-user}
type: kubernetes.io/basic-auth
stringData: {username: edge, password: "right-pa55word"}
)")
                .exit_code,
            0);
  auto fixed_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitFor([&] { return Condition("remote/influx", "Ready") == "True/Reachable"; }, 30s))
      << Condition("remote/influx", "Ready") << ": " << ConditionMessage("remote/influx", "Ready");
  EXPECT_LT(std::chrono::steady_clock::now() - fixed_at, 8s);

  // The database appears: the failing Remote's next backoff step sees it.
  influx.Query("CREATE DATABASE nodb", "", basic);
  EXPECT_TRUE(
      WaitFor([&] { return Condition("remote/influx-nodb", "Ready") == "True/Reachable"; }, 90s));

  for (const char* what : {"remotes", "events"}) {
    std::string out = Kubectl(std::string("get ") + what + " -n " + ns_ + " -o yaml").output;
    EXPECT_EQ(out.find("pa55word"), std::string::npos) << what;
    EXPECT_EQ(out.find("vm-t0ken-value"), std::string::npos) << what;
  }
  std::string events = Kubectl("get events -n " + ns_).output;
  EXPECT_NE(events.find("Unauthorized"), std::string::npos) << events;
}

}  // namespace
}  // namespace edgerepl::op::testing
