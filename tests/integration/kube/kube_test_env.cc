#include "tests/integration/kube/kube_test_env.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace edgerepl::kube::testing {
namespace {

std::unique_ptr<edgerepl::testing::KubeApiServer> g_server;
std::string g_skip_reason = "kube environment not set up";

web::json::value Json(const std::string& text) {
  return web::json::value::parse(text);
}

// A namespaced CRD with a status subresource and a small schema.
Object MakeCrd(const ResourceType& type) {
  std::string singular = type.plural.substr(0, type.plural.size() - 1);
  return Object(Json(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": ")" +
                     type.plural + "." + type.group + R"("},
    "spec": {
      "group": ")" + type.group +
                     R"(", "scope": "Namespaced",
      "names": {"plural": ")" +
                     type.plural + R"(", "singular": ")" + singular + R"(", "kind": ")" +
                     type.kind + R"(", "listKind": ")" + type.kind +
                     R"(List"},
      "versions": [{
        "name": ")" + type.version +
                     R"(", "served": true, "storage": true,
        "subresources": {"status": {}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {
            "size": {"type": "integer", "minimum": 0},
            "color": {"type": "string"}}},
          "status": {"type": "object", "properties": {
            "phase": {"type": "string"},
            "observedGeneration": {"type": "integer"}}}}}}
      }]
    }
  })"));
}

Status InstallCrd(RestClient& client, const ResourceType& type) {
  Result<Object> created = client.Create(CustomResourceDefinitionsType(), "", MakeCrd(type));
  if (!created.ok()) return created.status();
  // Established in the CRD's status, then actually served (discovery lags a little).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    Result<ObjectList> list = client.ListPage(type, "default", {});
    if (list.ok()) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::Unavailable("CRD " + type.plural + " not served within 60 s");
}

}  // namespace

const ResourceType& WidgetsType() {
  static const ResourceType kType{"kubetest.edgerepl.io", "v1", "widgets", "Widget", true};
  return kType;
}

const ResourceType& GadgetsType() {
  static const ResourceType kType{"kubetest.edgerepl.io", "v1", "gadgets", "Gadget", true};
  return kType;
}

edgerepl::testing::KubeApiServer* KubeEnvironment::server() {
  return g_server.get();
}
const std::string& KubeEnvironment::skip_reason() {
  return g_skip_reason;
}

void KubeEnvironment::SetUp() {
  std::string why;
  auto assets = edgerepl::testing::FindEnvtestAssets(&why);
  if (!assets) {
    g_skip_reason = why;
    std::fprintf(stderr, "SKIPPING Kubernetes integration tests: %s\n", why.c_str());
    return;
  }
  edgerepl::testing::EnvtestOptions options;
  // Watches straight from etcd: a compaction then expires old versions for real.
  options.watch_cache = false;
  auto server = std::make_unique<edgerepl::testing::KubeApiServer>(*assets, options);
  auto start = std::chrono::steady_clock::now();
  Status s = server->Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::fprintf(stderr, "kube-apiserver %d.%d from %s ready in %.1f s at %s\n", assets->major,
               assets->minor, assets->dir.c_str(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
               server->url().c_str());
  g_server = std::move(server);
  auto client = NewClient();
  ASSERT_TRUE(InstallCrd(*client, WidgetsType()).ok());
  ASSERT_TRUE(InstallCrd(*client, GadgetsType()).ok());
}

void KubeEnvironment::TearDown() {
  g_server.reset();
}

std::unique_ptr<RestClient> KubeEnvironment::NewClient(RestClientOptions options,
                                                       const std::string& kubeconfig) {
  // Tests keep their own clock alive for the process.
  static RealClock& clock = RealClock::Instance();
  Result<Config> config =
      LoadKubeconfig(kubeconfig.empty() ? g_server->kubeconfig() : kubeconfig, clock);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  if (!config.ok()) return nullptr;
  auto client = RestClient::Make(*config, clock, nullptr, std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

std::string KubeEnvironment::NewNamespace(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::string name = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  auto client = NewClient();
  Object ns;
  ns.set_name(name);
  static const ResourceType kNamespaces{"", "v1", "namespaces", "Namespace", false};
  Result<Object> created = client->Create(kNamespaces, "", ns);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return name;
}

// Registered at load time so every test binary linking this file shares one API server.
[[maybe_unused]] ::testing::Environment* const kKubeEnvironment =
    ::testing::AddGlobalTestEnvironment(new KubeEnvironment);

}  // namespace edgerepl::kube::testing
