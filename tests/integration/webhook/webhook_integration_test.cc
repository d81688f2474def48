// The sidecar injection webhook against a real kube-apiserver (1.20 calls webhooks with
// admission.k8s.io/v1 or v1beta1): the operator binary serves it with a certificate of its own
// (kept in a Secret, its CA written into the configuration's caBundle); the API server calls it at
// https://127.0.0.1:<port>. A pod of the official influxdb2 chart gets the sidecar, a pod without
// the label does not, a labelled Service targets the agent, and with the operator gone a
// labelled pod is created bare (failurePolicy Ignore) or refused (Fail).
#include <gtest/gtest.h>

#include <cpprest/json.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "operator/webhook/serving_certs.h"
#include "tests/integration/kube/kube_test_env.h"
#include "tests/support/process.h"
#include "tests/support/servers.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::webhook {
namespace {

using edgerepl::kube::Object;
using edgerepl::kube::testing::KubeEnvironment;
using edgerepl::testing::ChildProcess;
using edgerepl::testing::PickFreePort;
using web::json::value;
using namespace std::chrono_literals;

constexpr char kConfigName[] = "edgerepl-test-injector";

const kube::ResourceType& ServicesType() {
  static const kube::ResourceType t{"", "v1", "services", "Service", true};
  return t;
}
const kube::ResourceType& NamespacesType() {
  static const kube::ResourceType t{"", "v1", "namespaces", "Namespace", false};
  return t;
}

std::string SourceDir() {
  const char* s = std::getenv("EDGEREPL_SOURCE_DIR");
  return s != nullptr && *s != '\0' ? s : EDGEREPL_TEST_SOURCE_DIR;
}
std::string BinaryDir() {
  const char* s = std::getenv("EDGEREPL_BINARY_DIR");
  return s != nullptr && *s != '\0' ? s : EDGEREPL_TEST_BINARY_DIR;
}
std::string Fixture(const std::string& name) {
  return SourceDir() + "/tests/fixtures/webhook/" + name;
}
value FixtureJson(const std::string& name) {
  std::ifstream in(Fixture(name));
  std::stringstream s;
  s << in.rdbuf();
  return value::parse(s.str());
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return done();
}

const value* Named(const value& list, const std::string& name) {
  if (!list.is_array()) return nullptr;
  for (const auto& item : list.as_array()) {
    if (item.has_string_field("name") && item.at("name").as_string() == name) return &item;
  }
  return nullptr;
}

value Hook(const std::string& name, const std::string& url, const std::string& resource,
           const std::string& failure_policy, const std::string& review_version,
           const value& object_selector, const value& namespace_selector) {
  value rule = value::object();
  rule["operations"] = value::array({value::string("CREATE")});
  rule["apiGroups"] = value::array({value::string("")});
  rule["apiVersions"] = value::array({value::string("v1")});
  rule["resources"] = value::array({value::string(resource)});
  value h = value::object();
  h["name"] = value::string(name);
  h["admissionReviewVersions"] = value::array({value::string(review_version)});
  h["sideEffects"] = value::string("NoneOnDryRun");
  h["failurePolicy"] = value::string(failure_policy);
  h["timeoutSeconds"] = value::number(5);
  h["clientConfig"] = value::object();
  h["clientConfig"]["url"] = value::string(url);
  h["rules"] = value::array({rule});
  if (!object_selector.is_null()) h["objectSelector"] = object_selector;
  if (!namespace_selector.is_null()) h["namespaceSelector"] = namespace_selector;
  return h;
}

value MatchLabel(const std::string& key, const std::string& v) {
  value s = value::object();
  s["matchLabels"] = value::object();
  s["matchLabels"][key] = value::string(v);
  return s;
}

// The chart's three webhooks (templates/webhook/mutatingwebhookconfiguration.yaml), by URL.
Object WebhookConfiguration(int port, const std::string& failure_policy,
                            const std::string& review_version) {
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  value inject = MatchLabel("edgerepl.io/inject", "true");
  Object c;
  c.set_name(kConfigName);
  c.json()["webhooks"] = value::array({
      Hook("pods.inject.edgerepl.io", base + "/mutate-pods", "pods", failure_policy, review_version,
           inject, value::null()),
      Hook("annotated-pods.inject.edgerepl.io", base + "/mutate-pods", "pods", failure_policy,
           review_version, value::null(), MatchLabel("edgerepl.io/injection", "enabled")),
      Hook("services.inject.edgerepl.io", base + "/mutate-services", "services", failure_policy,
           review_version, inject, value::null()),
  });
  return c;
}

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (KubeEnvironment::server() == nullptr) GTEST_SKIP() << KubeEnvironment::skip_reason();
    client_ = KubeEnvironment::NewClient();
    ASSERT_NE(client_, nullptr);
    port_ = PickFreePort();
  }

  void TearDown() override {
    if (operator_) operator_->Stop(5s);
    if (HasFailure()) {
      std::ifstream in(dir_.Join("operator.log"));
      std::stringstream s;
      s << in.rdbuf();
      std::string text = s.str();
      std::fprintf(stderr, "operator log (end):\n%s\n",
                   text.substr(text.size() > 4000 ? text.size() - 4000 : 0).c_str());
    }
    if (client_) {
      (void)client_->Delete(MutatingWebhookConfigurationsType(), "", kConfigName);
    }
  }

  void InstallConfiguration(const std::string& failure_policy,
                            const std::string& review_version = "v1") {
    (void)client_->Delete(MutatingWebhookConfigurationsType(), "", kConfigName);
    Result<Object> c = client_->Create(MutatingWebhookConfigurationsType(), "",
                                       WebhookConfiguration(port_, failure_policy, review_version));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }

  void StartOperator() {
    const std::string log = dir_.Join("operator.log");
    operator_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{
            BinaryDir() + "/operator/edgerepl-operator",
            "--kubeconfig=" + KubeEnvironment::server()->kubeconfig(), "--metrics-bind-address=0",
            "--health-probe-bind-address=0", "--log-level=debug", "--log-format=text",
            "--webhook-bind-address=127.0.0.1:" + std::to_string(port_),
            "--webhook-sidecar-file=" + Fixture("sidecar.json"),
            "--webhook-config-name=" + std::string(kConfigName),
            "--webhook-secret=edgerepl-webhook-test-tls", "--webhook-host=127.0.0.1"},
        log);
    // Ready once the caBundle it made is in the configuration and its port answers.
    bool ready = WaitFor(
        [&] {
          Result<Object> c = client_->Get(MutatingWebhookConfigurationsType(), "", kConfigName);
          if (!c.ok()) return false;
          for (const auto& h : c->json().at("webhooks").as_array()) {
            if (!h.at("clientConfig").has_string_field("caBundle")) return false;
          }
          return true;
        },
        30s);
    ASSERT_TRUE(ready) << "no caBundle; operator log: " << log;
  }

  std::string NewNamespace(const std::string& prefix, bool injection_label) {
    std::string ns = KubeEnvironment::NewNamespace(prefix);
    if (injection_label) {
      value patch = value::object();
      patch["metadata"] = value::object();
      patch["metadata"]["labels"] = value::object();
      patch["metadata"]["labels"]["edgerepl.io/injection"] = value::string("enabled");
      EXPECT_TRUE(client_->MergePatch(NamespacesType(), "", ns, patch).ok());
    }
    return ns;
  }

  Result<Object> CreatePod(const std::string& ns, value pod) {
    pod["metadata"]["namespace"] = value::string(ns);
    return client_->Create(kube::PodsType(), ns, Object(pod));
  }

  static value LabelledPod(const std::string& name) {
    value pod = FixtureJson("influxdb2-pod.json");
    pod["metadata"]["name"] = value::string(name);
    pod["metadata"].as_object().erase("annotations");
    pod["metadata"].as_object().erase("ownerReferences");
    pod["metadata"]["labels"]["edgerepl.io/inject"] = value::string("true");
    return pod;
  }

  static void ExpectInjected(const Object& pod) {
    const value& spec = pod.spec();
    ASSERT_EQ(spec.at("containers").size(), 2u) << pod.Serialize();
    const value* agent = Named(spec.at("containers"), "edgerepl-agent");
    ASSERT_NE(agent, nullptr);
    EXPECT_EQ(agent->at("image").as_string(), "ghcr.io/edgerepl/edgerepl-agent:0.1.0");
    for (const char* v : {"edgerepl-agent-config", "edgerepl-podinfo", "edgerepl-queue"}) {
      EXPECT_NE(Named(spec.at("volumes"), v), nullptr) << v;
    }
    EXPECT_EQ(pod.labels()["app.kubernetes.io/component"], "edgerepl-agent");
    EXPECT_EQ(pod.annotations()["edgerepl.io/injected"], "true");
  }

  std::unique_ptr<kube::RestClient> client_;
  edgerepl::testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> operator_;
};

TEST_F(WebhookTest, Influxdb2ChartPodAnnotatedInALabelledNamespaceGetsTheSidecar) {
  InstallConfiguration("Fail");
  StartOperator();
  std::string ns = NewNamespace("wh-influxdb2", true);
  // The fixture as the influxdb2 chart's StatefulSet makes it: annotation only, no pod label.
  Result<Object> pod = CreatePod(ns, FixtureJson("influxdb2-pod.json"));
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  ExpectInjected(*pod);
  // The chart's own container and volume are untouched.
  const value* influx = Named(pod->spec().at("containers"), "influxdb2");
  ASSERT_NE(influx, nullptr);
  EXPECT_EQ(influx->at("image").as_string(), "influxdb:2.2.0-alpine");
  EXPECT_EQ(pod->labels()["app.kubernetes.io/name"], "influxdb2");
  // No queue volume named: an emptyDir, and a Warning Event on the StatefulSet.
  EXPECT_TRUE(Named(pod->spec().at("volumes"), "edgerepl-queue")->has_object_field("emptyDir"));
  bool event = WaitFor(
      [&] {
        Result<kube::ObjectList> events = client_->List(kube::EventsType(), ns, {});
        if (!events.ok()) return false;
        for (const auto& e : events->items) {
          if (Object::StringField(e.json(), "reason") == "QueueNotPersistent" &&
              Object::StringField(Object::Field(e.json(), "involvedObject"), "name") ==
                  "influx-influxdb2") {
            return true;
          }
        }
        return false;
      },
      10s);
  EXPECT_TRUE(event);
  // The certificate the operator made is in its Secret (type kubernetes.io/tls).
  Result<Object> secret = client_->Get(kube::SecretsType(), "default", "edgerepl-webhook-test-tls");
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(Object::StringField(secret->json(), "type"), "kubernetes.io/tls");
}

TEST_F(WebhookTest, LabelledPodIsInjectedAnywhereAndAPodWithoutTheLabelIsNot) {
  InstallConfiguration("Fail");
  StartOperator();
  std::string ns = NewNamespace("wh-label", false);
  Result<Object> labelled = CreatePod(ns, LabelledPod("labelled"));
  ASSERT_TRUE(labelled.ok()) << labelled.status().ToString();
  ExpectInjected(*labelled);

  value plain = FixtureJson("influxdb2-pod.json");
  plain["metadata"]["name"] = value::string("plain");
  plain["metadata"].as_object().erase("ownerReferences");
  // Annotated, but in a namespace without edgerepl.io/injection=enabled: never sent.
  Result<Object> untouched = CreatePod(ns, plain);
  ASSERT_TRUE(untouched.ok()) << untouched.status().ToString();
  EXPECT_EQ(untouched->spec().at("containers").size(), 1u);
  EXPECT_EQ(Named(untouched->spec().at("volumes"), "edgerepl-queue"), nullptr);
  EXPECT_EQ(untouched->annotations().count("edgerepl.io/injected"), 0u);
}

TEST_F(WebhookTest, QueueVolumeAnnotationUsesTheClaimAndV1beta1ReviewsWorkToo) {
  InstallConfiguration("Fail", "v1beta1");
  StartOperator();
  std::string ns = NewNamespace("wh-v1beta1", false);
  value pod = LabelledPod("claimed");
  pod["metadata"]["annotations"] = value::object();
  pod["metadata"]["annotations"]["edgerepl.io/queue-volume"] = value::string("data");
  pod["metadata"]["annotations"]["edgerepl.io/queue-subpath"] = value::string("edgerepl");
  Result<Object> created = CreatePod(ns, pod);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const value* agent = Named(created->spec().at("containers"), "edgerepl-agent");
  ASSERT_NE(agent, nullptr);
  const value* mount = Named(agent->at("volumeMounts"), "data");
  ASSERT_NE(mount, nullptr);
  EXPECT_EQ(mount->at("subPath").as_string(), "edgerepl");
  EXPECT_EQ(Named(created->spec().at("volumes"), "edgerepl-queue"), nullptr);

  // A volume the pod lacks: refused, the message names the annotation.
  value bad = LabelledPod("bad");
  bad["metadata"]["annotations"] = value::object();
  bad["metadata"]["annotations"]["edgerepl.io/queue-volume"] = value::string("queue");
  Result<Object> refused = CreatePod(ns, bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("edgerepl.io/queue-volume"), std::string::npos)
      << refused.status().ToString();
}

TEST_F(WebhookTest, LabelledServiceTargetsTheAgent) {
  InstallConfiguration("Fail");
  StartOperator();
  std::string ns = NewNamespace("wh-svc", false);
  // The influxdb2 chart's Service: port 80 to targetPort 8086, labels from service.labels.
  value svc = value::object();
  svc["metadata"] = value::object();
  svc["metadata"]["name"] = value::string("influx-influxdb2");
  svc["metadata"]["namespace"] = value::string(ns);
  svc["metadata"]["labels"] = value::object();
  svc["metadata"]["labels"]["edgerepl.io/inject"] = value::string("true");
  value port = value::object();
  port["name"] = value::string("http");
  port["port"] = value::number(80);
  port["targetPort"] = value::number(8086);
  port["protocol"] = value::string("TCP");
  svc["spec"] = value::object();
  svc["spec"]["ports"] = value::array({port});
  svc["spec"]["selector"] = value::object();
  svc["spec"]["selector"]["app.kubernetes.io/name"] = value::string("influxdb2");
  Result<Object> created = client_->Create(ServicesType(), ns, Object(svc));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->spec().at("ports").at(0).at("targetPort").as_string(), "edgerepl-write");
}

TEST_F(WebhookTest, WithTheOperatorDownFailurePolicyIgnoreCreatesThePodBare) {
  InstallConfiguration("Ignore");  // no operator at all: nothing listens on the port
  std::string ns = NewNamespace("wh-ignore", false);
  Result<Object> pod = CreatePod(ns, LabelledPod("bare"));
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  EXPECT_EQ(pod->spec().at("containers").size(), 1u);
}

TEST_F(WebhookTest, WithTheOperatorDownFailurePolicyFailRefusesOnlyLabelledPods) {
  InstallConfiguration("Fail");
  StartOperator();
  operator_->Stop(5s);  // it was up (and wrote the caBundle); now the calls fail
  operator_.reset();
  std::string ns = NewNamespace("wh-fail", false);
  Result<Object> pod = CreatePod(ns, LabelledPod("refused"));
  ASSERT_FALSE(pod.ok());
  EXPECT_NE(pod.status().message().find("pods.inject.edgerepl.io"), std::string::npos)
      << pod.status().ToString();
  // A pod without the label is never sent to the webhook, so it is not blocked.
  value plain = LabelledPod("unlabelled");
  plain["metadata"]["labels"].as_object().erase("edgerepl.io/inject");
  EXPECT_TRUE(CreatePod(ns, plain).ok());
}

}  // namespace
}  // namespace edgerepl::webhook
