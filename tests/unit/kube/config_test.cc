// Kubeconfig and in-cluster loading: every supported field, merging, and clear errors for broken
// files; token files re-read on rotation.
#include "operator/kube/config.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "common/codec/base64.h"
#include "operator/kube/resource.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::kube {
namespace {

using ::edgerepl::testing::FakeClock;

using edgerepl::testing::TempDir;
using edgerepl::testing::WriteFileOrDie;

const char kCa[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

std::string Kubeconfig(const std::string& cluster, const std::string& user,
                       const std::string& extra_context = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n- name: c1\n  "
         "cluster:\n" +
         cluster + "users:\n- name: u1\n  user:\n" + user +
         "contexts:\n- name: main\n  context:\n    cluster: c1\n    user: u1\n" + extra_context;
}

TEST(Kubeconfig, TokenCaFileAndNamespace) {
  TempDir dir;
  WriteFileOrDie(dir.Join("ca.crt"), kCa);
  WriteFileOrDie(
      dir.Join("config"),
      Kubeconfig("    server: https://10.1.2.3:6443/\n    certificate-authority: ca.crt\n",
                 "    token: abc123\n", "    namespace: team-a\n"));
  FakeClock clock;
  Result<Config> c = LoadKubeconfig(dir.Join("config"), clock);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://10.1.2.3:6443");  // trailing slash dropped
  EXPECT_EQ(c->tls.ca_pem, kCa);                  // relative to the kubeconfig's directory
  EXPECT_EQ(c->namespace_, "team-a");
  ASSERT_NE(c->token, nullptr);
  EXPECT_EQ(*c->token->Token(), "abc123");
  EXPECT_FALSE(c->tls.insecure_skip_verify);
}

TEST(Kubeconfig, InlineDataClientCertificateAndInsecure) {
  TempDir dir;
  WriteFileOrDie(dir.Join("config"),
                 Kubeconfig("    server: https://k:443\n    insecure-skip-tls-verify: true\n"
                            "    certificate-authority-data: " +
                                codec::Base64Encode(kCa) + "\n",
                            "    client-certificate-data: " + codec::Base64Encode("CERT") +
                                "\n    client-key-data: " + codec::Base64Encode("KEY") + "\n"));
  FakeClock clock;
  Result<Config> c = LoadKubeconfig(dir.Join("config"), clock);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->tls.insecure_skip_verify);
  EXPECT_EQ(c->tls.ca_pem, kCa);
  EXPECT_EQ(c->tls.client_cert_pem, "CERT");
  EXPECT_EQ(c->tls.client_key_pem, "KEY");
  EXPECT_EQ(c->token, nullptr);
  EXPECT_EQ(c->namespace_, "default");
}

TEST(Kubeconfig, TokenFileIsReReadAfterAMinute) {
  TempDir dir;
  WriteFileOrDie(dir.Join("token"), "first\n");
  WriteFileOrDie(dir.Join("config"),
                 Kubeconfig("    server: https://k\n", "    tokenFile: token\n"));
  FakeClock clock;
  Result<Config> c = LoadKubeconfig(dir.Join("config"), clock);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c->token->Token(), "first");
  WriteFileOrDie(dir.Join("token"), "second\n");
  clock.Advance(std::chrono::seconds(30));
  EXPECT_EQ(*c->token->Token(), "first");  // cached within the minute
  clock.Advance(std::chrono::seconds(31));
  EXPECT_EQ(*c->token->Token(), "second");
  // A vanished file (mid-rotation) keeps the last token rather than failing requests.
  std::remove(dir.Join("token").c_str());
  clock.Advance(std::chrono::minutes(2));
  EXPECT_EQ(*c->token->Token(), "second");
  // Invalidate (after a 401) re-reads at once.
  WriteFileOrDie(dir.Join("token"), "third");
  c->token->Invalidate();
  EXPECT_EQ(*c->token->Token(), "third");
}

TEST(Kubeconfig, MergesAListFirstFileWins) {
  TempDir dir;
  WriteFileOrDie(dir.Join("a"),
                 "current-context: ctx\ncontexts:\n- name: ctx\n  context:\n    cluster: c\n"
                 "    user: u\nusers:\n- name: u\n  user:\n    token: from-a\n");
  WriteFileOrDie(dir.Join("b"),
                 "current-context: other\nclusters:\n- name: c\n  cluster:\n    server: https://b\n"
                 "users:\n- name: u\n  user:\n    token: from-b\n");
  FakeClock clock;
  Result<Config> c =
      LoadKubeconfig(dir.Join("a") + ":" + dir.Join("missing") + ":" + dir.Join("b"), clock);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://b");
  EXPECT_EQ(*c->token->Token(), "from-a");
}

struct Broken {
  const char* name;
  std::string text;
  std::string expect;  // part of the message
};

TEST(Kubeconfig, BrokenFilesGiveClearErrors) {
  const std::vector<Broken> cases = {
      {"yaml", "clusters: [\n  - name: x\n", "not valid YAML"},
      {"scalar", "just text", "not a kubeconfig"},
      {"no current context", "clusters:\n- name: c\n  cluster:\n    server: https://x\n",
       "no current-context"},
      {"unknown context", "current-context: nope\n", "context \"nope\" not found"},
      {"unknown cluster",
       "current-context: c\ncontexts:\n- name: c\n  context:\n    cluster: gone\n",
       "cluster \"gone\", which is not defined"},
      {"no server", Kubeconfig("    insecure-skip-tls-verify: true\n", "    token: t\n"),
       "server missing"},
      {"bad scheme", Kubeconfig("    server: ftp://x\n", "    token: t\n"), "http(s) URL"},
      {"bad base64",
       Kubeconfig("    server: https://x\n    certificate-authority-data: '%%%'\n",
                  "    token: t\n"),
       "certificate-authority-data is not valid base64"},
      {"missing ca file",
       Kubeconfig("    server: https://x\n    certificate-authority: /nonexistent/ca\n",
                  "    token: t\n"),
       "/nonexistent/ca"},
      {"exec plugin", Kubeconfig("    server: https://x\n", "    exec:\n      command: aws\n"),
       "exec and auth-provider plugins are not supported"},
      {"cert without key",
       Kubeconfig("    server: https://x\n",
                  "    client-certificate-data: " + codec::Base64Encode("C") + "\n"),
       "given together"},
      {"clusters not a list", "current-context: c\nclusters: {a: b}\n", "clusters must be a list"},
      {"missing token file",
       Kubeconfig("    server: https://x\n", "    tokenFile: /nonexistent/t\n"), "/nonexistent/t"},
  };
  FakeClock clock;
  for (const auto& bc : cases) {
    TempDir dir;
    WriteFileOrDie(dir.Join("config"), bc.text);
    Result<Config> c = LoadKubeconfig(dir.Join("config"), clock);
    ASSERT_FALSE(c.ok()) << bc.name;
    EXPECT_NE(c.status().message().find(bc.expect), std::string::npos)
        << bc.name << ": " << c.status().ToString();
    EXPECT_NE(c.status().message().find(dir.path()), std::string::npos)
        << bc.name << " should name the file: " << c.status().ToString();
  }
  Result<Config> missing = LoadKubeconfig("/nonexistent/kubeconfig", clock);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/kubeconfig"), std::string::npos);
}

TEST(InCluster, ReadsServiceAccountFiles) {
  TempDir dir;
  WriteFileOrDie(dir.Join("token"), "sa-token\n");
  WriteFileOrDie(dir.Join("ca.crt"), kCa);
  WriteFileOrDie(dir.Join("namespace"), "edge\n");
  InClusterPaths paths{dir.Join("token"), dir.Join("ca.crt"), dir.Join("namespace")};
  FakeClock clock;
  auto env = [](const std::string& k) -> std::optional<std::string> {
    if (k == "KUBERNETES_SERVICE_HOST") return "fd00::1";
    if (k == "KUBERNETES_SERVICE_PORT") return "443";
    return std::nullopt;
  };
  Result<Config> c = LoadInClusterConfig(clock, env, paths);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://[fd00::1]:443");
  EXPECT_EQ(c->namespace_, "edge");
  EXPECT_EQ(c->tls.ca_pem, kCa);
  EXPECT_EQ(*c->token->Token(), "sa-token");
  WriteFileOrDie(dir.Join("token"), "rotated");
  clock.Advance(std::chrono::seconds(61));
  EXPECT_EQ(*c->token->Token(), "rotated");
}

TEST(InCluster, OutsideAPodIsNotFoundAndDefaultsFallBack) {
  FakeClock clock;
  auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  Result<Config> c = LoadInClusterConfig(clock, none);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);

  TempDir home;
  auto only_home = [&](const std::string& k) -> std::optional<std::string> {
    if (k == "HOME") return home.path();
    return std::nullopt;
  };
  Result<Config> d = LoadDefaultConfig("", clock, only_home);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
  EXPECT_NE(d.status().message().find(".kube/config missing"), std::string::npos);

  ::mkdir(home.Join(".kube").c_str(), 0700);
  WriteFileOrDie(home.Join(".kube/config"),
                 Kubeconfig("    server: https://home\n", "    token: t\n"));
  Result<Config> e = LoadDefaultConfig("", clock, only_home);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->server, "https://home");
}

TEST(InCluster, MissingTokenFileIsAnError) {
  TempDir dir;
  WriteFileOrDie(dir.Join("ca.crt"), kCa);
  InClusterPaths paths{dir.Join("token"), dir.Join("ca.crt"), dir.Join("namespace")};
  FakeClock clock;
  auto env = [](const std::string& k) -> std::optional<std::string> {
    if (k == "KUBERNETES_SERVICE_HOST") return "10.0.0.1";
    if (k == "KUBERNETES_SERVICE_PORT") return "443";
    return std::nullopt;
  };
  Result<Config> c = LoadInClusterConfig(clock, env, paths);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(dir.Join("token")), std::string::npos);
}

}  // namespace
}  // namespace edgerepl::kube
