#include "operator/render/namespace_config.h"

#include <gtest/gtest.h>

#include "common/config/parse.h"
#include "operator/model/decode.h"
#include "operator/model/reasons.h"
#include "tests/unit/operator/fixtures.h"

namespace edgerepl::op {
namespace {

using testing::Json;

Secret TokenSecret(const std::string& name, const std::string& key, const std::string& token) {
  Secret s;
  s.meta.name = name;
  s.data[key] = token;
  return s;
}

struct Namespace {
  NamespaceInput input;
  Namespace() {
    input.remotes.push_back(DecodeRemote(Json(testing::RemoteJson("cloud", testing::kRemoteSpec))));
    input.replications.push_back(DecodeReplication(
        Json(testing::ReplicationJson("edge-to-cloud", testing::kReplicationSpec))));
    input.secrets["cloud-token"] = TokenSecret("cloud-token", "token", "s3cr3t-token\n");
  }
};

RenderSettings Settings() {
  RenderSettings s;
  s.base.data_dir = "/var/lib/edgerepl";
  return s;
}

config::Config ParsedBack(const NamespaceRender& out) {
  auto it = out.data.find(kAgentConfigKey);
  EXPECT_NE(it, out.data.end());
  Result<config::Config> parsed = config::ParseConfig(it->second);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : config::Config{};
}

TEST(RenderNamespace, RendersExactlyTheExpectedConfig) {
  Namespace ns;
  NamespaceRender out = RenderNamespace(ns.input, Settings());

  config::Config expected = Settings().base;
  config::RemoteConfig remote;
  remote.name = "cloud";
  remote.url = "https://cloud.example.com";
  remote.org_id = "0123456789abcdef";
  remote.token = "s3cr3t-token";  // trailing newline of the Secret value trimmed
  expected.remotes.push_back(remote);
  config::ReplicationConfig rep;
  rep.id = "uid-edge-to-cloud";
  rep.name = "edge-to-cloud";
  rep.remote = "cloud";
  rep.local_bucket = "telegraf";
  rep.remote_bucket = "edge";
  expected.replications.push_back(rep);

  EXPECT_EQ(ParsedBack(out), expected);
  EXPECT_EQ(out.config, expected);
  EXPECT_EQ(out.data.size(), 1u);
  EXPECT_TRUE(out.remotes["cloud"].ok);
  EXPECT_EQ(out.remote_references["cloud"], 1);
  EXPECT_EQ(out.replications["edge-to-cloud"],
            (Verdict{true, reason::kAccepted, "in the agents' config Secret"}));
}

TEST(RenderNamespace, TokenRotationChangesOnlyTheToken) {
  Namespace ns;
  NamespaceRender before = RenderNamespace(ns.input, Settings());
  ns.input.secrets["cloud-token"] = TokenSecret("cloud-token", "token", "rotated");
  NamespaceRender after = RenderNamespace(ns.input, Settings());
  EXPECT_NE(before.data, after.data);
  EXPECT_EQ(ParsedBack(after).remotes.at(0).token, "rotated");
  EXPECT_EQ(RenderNamespace(ns.input, Settings()).data, after.data);  // deterministic
}

TEST(RenderNamespace, ReplicationsSortedByNameWhateverTheInputOrder) {
  Namespace ns;
  ns.input.replications.insert(
      ns.input.replications.begin(),
      DecodeReplication(Json(testing::ReplicationJson("zeta", testing::kReplicationSpec))));
  ns.input.replications.push_back(
      DecodeReplication(Json(testing::ReplicationJson("alpha", testing::kReplicationSpec))));
  config::Config c = ParsedBack(RenderNamespace(ns.input, Settings()));
  ASSERT_EQ(c.replications.size(), 3u);
  EXPECT_EQ(c.replications[0].name, "alpha");
  EXPECT_EQ(c.replications[1].name, "edge-to-cloud");
  EXPECT_EQ(c.replications[2].name, "zeta");
}

struct ExclusionCase {
  const char* name;
  std::function<void(NamespaceInput&)> mutate;
  const char* replication_reason;
  const char* remote_reason;  // empty: the Remote stays Ready
  const char* message_part;
};

const ExclusionCase kExclusions[] = {
    {"invalid_spec",
     [](NamespaceInput& in) { in.replications[0].spec.max_queue_size_bytes = 1024; },
     reason::kInvalidSpec, "", "spec.maxQueueSizeBytes"},
    {"remote_missing", [](NamespaceInput& in) { in.remotes.clear(); }, reason::kRemoteNotFound, "",
     "Remote \"cloud\" not found"},
    {"secret_missing", [](NamespaceInput& in) { in.secrets.clear(); }, reason::kRemoteNotReady,
     reason::kSecretNotFound, "Secret \"cloud-token\" not found"},
    {"secret_key_missing",
     [](NamespaceInput& in) {
       in.secrets["cloud-token"].data = {{"other", "x"}};
     },
     reason::kRemoteNotReady, reason::kSecretNotFound, "has no key \"token\""},
    {"token_empty", [](NamespaceInput& in) { in.secrets["cloud-token"].data["token"] = "\n"; },
     reason::kRemoteNotReady, reason::kSecretNotFound, "is empty"},
    {"remote_url_invalid",
     [](NamespaceInput& in) { in.remotes[0].spec.url = "ftp://cloud.example.com"; },
     reason::kRemoteNotReady, reason::kInvalidURL, "spec.url"},
    {"remote_spec_invalid", [](NamespaceInput& in) { in.remotes[0].spec.protocol = "v9"; },
     reason::kRemoteNotReady, reason::kInvalidSpec, "spec.protocol"},
};

class Exclusion : public ::testing::TestWithParam<ExclusionCase> {};

TEST_P(Exclusion, LeftOutWithAReason) {
  Namespace ns;
  GetParam().mutate(ns.input);
  NamespaceRender out = RenderNamespace(ns.input, Settings());
  config::Config c = ParsedBack(out);
  EXPECT_TRUE(c.replications.empty());
  EXPECT_TRUE(c.remotes.empty());  // an unused remote's token stays out of the file
  EXPECT_EQ(out.data.at(kAgentConfigKey).find("s3cr3t"), std::string::npos);
  const Verdict& v = out.replications.at("edge-to-cloud");
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, GetParam().replication_reason);
  EXPECT_NE(v.message.find(GetParam().message_part), std::string::npos) << v.message;
  if (std::string(GetParam().remote_reason).empty()) return;
  EXPECT_FALSE(out.remotes.at("cloud").ok);
  EXPECT_EQ(out.remotes.at("cloud").reason, GetParam().remote_reason);
  EXPECT_EQ(out.remotes.at("cloud").message.find("s3cr3t"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Table, Exclusion, ::testing::ValuesIn(kExclusions),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(RenderNamespace, DeletingReplicationLeavesTheFile) {
  Namespace ns;
  ns.input.replications[0].meta.deleting = true;
  config::Config c = ParsedBack(RenderNamespace(ns.input, Settings()));
  EXPECT_TRUE(c.replications.empty());
}

TEST(RenderNamespace, CaSecretBecomesAFileBesideTheConfig) {
  Namespace ns;
  ns.input.remotes[0].spec.ca_secret_ref = SecretKeyRef{"cloud-ca", "ca.crt"};
  ns.input.secrets["cloud-ca"] = TokenSecret("cloud-ca", "ca.crt", "-----BEGIN CERTIFICATE-----\n");
  NamespaceRender out = RenderNamespace(ns.input, Settings());
  EXPECT_EQ(out.data.at("ca-cloud.crt"), "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(ParsedBack(out).remotes.at(0).ca_file, "/etc/edgerepl/ca-cloud.crt");
}

TEST(RenderNamespace, TlsSecretBecomesTheClientCertificate) {
  Namespace ns;
  ns.input.remotes[0].spec.tls_secret_ref = "cloud-client";
  Secret tls = TokenSecret("cloud-client", "tls.crt", "CERT PEM\n");
  tls.data["tls.key"] = "KEY PEM\n";
  ns.input.secrets["cloud-client"] = tls;
  ns.input.remotes[0].spec.timeout = "5s";
  NamespaceRender out = RenderNamespace(ns.input, Settings());
  ASSERT_TRUE(out.remotes["cloud"].ok) << out.remotes["cloud"].message;
  EXPECT_EQ(out.data.at("tls-cloud.crt"), "CERT PEM\n");
  EXPECT_EQ(out.data.at("tls-cloud.key"), "KEY PEM\n");
  config::RemoteConfig r = ParsedBack(out).remotes.at(0);
  EXPECT_EQ(r.cert_file, "/etc/edgerepl/tls-cloud.crt");
  EXPECT_EQ(r.key_file, "/etc/edgerepl/tls-cloud.key");
  EXPECT_EQ(r.timeout, std::chrono::seconds(5));
  // The key only ever goes into the config Secret's own data, never into a message.
  EXPECT_EQ(out.remotes["cloud"].message.find("KEY PEM"), std::string::npos);

  ns.input.secrets["cloud-client"].data.erase("tls.key");
  Verdict v = RenderNamespace(ns.input, Settings()).remotes["cloud"];
  EXPECT_EQ(v, (Verdict{false, reason::kSecretNotFound,
                        "spec.tlsSecretRef: Secret \"cloud-client\" has no key \"tls.key\""}));
}

TEST(RenderNamespace, V1RemoteWithoutCredentialsOrWithABasicAuthSecret) {
  Namespace ns;
  Remote& remote = ns.input.remotes[0];
  remote.spec.protocol = "v1";
  remote.spec.org_id.clear();
  remote.spec.token_secret_ref.name.clear();
  NamespaceRender out = RenderNamespace(ns.input, Settings());
  EXPECT_EQ(out.remotes["cloud"],
            (Verdict{true, reason::kResolved, "no credentials (protocol v1)"}));
  config::RemoteConfig r = ParsedBack(out).remotes.at(0);
  EXPECT_TRUE(r.token.empty());
  EXPECT_TRUE(r.username.empty());

  remote.spec.basic_auth_secret_ref = "influx-user";
  remote.spec.credentials_in = "query";
  EXPECT_EQ(RenderNamespace(ns.input, Settings()).remotes["cloud"].reason, reason::kSecretNotFound);
  Secret user = TokenSecret("influx-user", "username", "edge\n");
  user.data["password"] = "pa55word\n";
  ns.input.secrets["influx-user"] = user;
  out = RenderNamespace(ns.input, Settings());
  EXPECT_EQ(out.remotes["cloud"],
            (Verdict{true, reason::kResolved, "basic-auth Secret \"influx-user\" resolved"}));
  r = ParsedBack(out).remotes.at(0);
  EXPECT_EQ(r.username, "edge");
  EXPECT_EQ(r.password, "pa55word");
  EXPECT_EQ(r.credentials_in, config::CredentialsIn::kQuery);
  EXPECT_EQ(config::Secrets(out.config).back(), "pa55word");

  ns.input.secrets["influx-user"].data["password"] = "\n";
  EXPECT_EQ(RenderNamespace(ns.input, Settings()).remotes["cloud"],
            (Verdict{false, reason::kSecretNotFound,
                     "spec.basicAuthSecretRef: key \"password\" of Secret \"influx-user\" is "
                     "empty"}));
}

TEST(RenderNamespace, SelectorTurnsOnPodLabels) {
  Namespace ns;
  EXPECT_EQ(ParsedBack(RenderNamespace(ns.input, Settings())).pod_labels_file, "");
  ns.input.replications[0].spec.agent_selector.match_labels["site"] = "berlin";
  config::Config c = ParsedBack(RenderNamespace(ns.input, Settings()));
  EXPECT_EQ(c.pod_labels_file, "/etc/podinfo/labels");
  EXPECT_EQ(c.replications.at(0).selector.match_labels.at("site"), "berlin");
}

TEST(RenderNamespace, BackfillReachesTheAgentsConfig) {
  Namespace ns;
  EXPECT_FALSE(ParsedBack(RenderNamespace(ns.input, Settings())).replications.at(0).backfill);
  ns.input.replications[0].spec.backfill =
      BackfillSpec{"2026-01-01T00:00:00Z", "2026-01-01T06:00:00.000000001+02:00", 20000};
  config::Config c = ParsedBack(RenderNamespace(ns.input, Settings()));
  ASSERT_TRUE(c.replications.at(0).backfill.has_value());
  const config::BackfillConfig& b = *c.replications.at(0).backfill;
  EXPECT_EQ(b.from_ns, 1767225600LL * 1'000'000'000);
  EXPECT_EQ(b.to_ns, (1767225600LL + 4 * 3600) * 1'000'000'000 + 1);
  EXPECT_EQ(b.max_points_per_second, 20000u);
}

TEST(RenderNamespace, ReplicateDeletesReachesTheAgentsConfig) {
  Namespace ns;
  NamespaceRender off = RenderNamespace(ns.input, Settings());
  EXPECT_FALSE(ParsedBack(off).replications.at(0).replicate_deletes);
  EXPECT_NE(off.data.at(kAgentConfigKey).find("replicateDeletes: false"), std::string::npos);
  ns.input.replications[0] = DecodeReplication(Json(testing::ReplicationJson(
      "edge-to-cloud",
      R"({"remoteRef":{"name":"cloud"},"localBucket":"telegraf","remoteBucket":"edge","replicateDeletes":true})")));
  NamespaceRender on = RenderNamespace(ns.input, Settings());
  EXPECT_TRUE(on.replications.at("edge-to-cloud").ok);
  EXPECT_TRUE(ParsedBack(on).replications.at(0).replicate_deletes);
  EXPECT_NE(on.data.at(kAgentConfigKey).find("replicateDeletes: true"), std::string::npos);
}

TEST(RenderNamespace, ReplicateDeletesOfTheWrongTypeLeavesTheReplicationOut) {
  Namespace ns;
  ns.input.replications[0] = DecodeReplication(Json(testing::ReplicationJson(
      "edge-to-cloud",
      R"({"remoteRef":{"name":"cloud"},"localBucket":"telegraf","remoteBucket":"edge","replicateDeletes":1})")));
  NamespaceRender out = RenderNamespace(ns.input, Settings());
  EXPECT_TRUE(ParsedBack(out).replications.empty());
  const Verdict& v = out.replications.at("edge-to-cloud");
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, reason::kInvalidSpec);
  EXPECT_NE(v.message.find("spec.replicateDeletes"), std::string::npos) << v.message;
}

TEST(RenderNamespace, InvalidBackfillLeavesTheReplicationOut) {
  Namespace ns;
  ns.input.replications[0].spec.backfill = BackfillSpec{"yesterday", "2026-01-01T00:00:00Z"};
  NamespaceRender out = RenderNamespace(ns.input, Settings());
  EXPECT_TRUE(ParsedBack(out).replications.empty());
  const Verdict& v = out.replications.at("edge-to-cloud");
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, reason::kInvalidSpec);
  EXPECT_NE(v.message.find("spec.backfill.from"), std::string::npos) << v.message;
}

TEST(RenderNamespace, EveryReplicationCountsTowardsItsRemote) {
  Namespace ns;
  ns.input.replications.push_back(DecodeReplication(Json(
      testing::ReplicationJson("second", R"({"remoteRef":{"name":"cloud"},"localBucket":"x"})"))));
  NamespaceRender out = RenderNamespace(ns.input, Settings());
  EXPECT_EQ(out.remote_references["cloud"], 2);  // the invalid one references it too
  EXPECT_EQ(out.replications["second"].reason, reason::kInvalidSpec);
  EXPECT_EQ(ParsedBack(out).replications.size(), 1u);
}

}  // namespace
}  // namespace edgerepl::op
