#include "common/config/parse.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/config/duration.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::config {
namespace {

using std::chrono::milliseconds;

// A valid base config; cases append or replace parts of it.
const char* kRemote = R"(
remotes:
  - name: cloud
    url: https://example.influxdata.com/prefix
    orgID: "0123456789abcdef"
    token: s3cr3t-token
)";

std::string WithReplication(const std::string& extra) {
  return std::string(kRemote) + R"(
replications:
  - id: r1
    name: edge-to-cloud
    remote: cloud
    localBucket: telegraf
    remoteBucket: edge
)" + extra;
}

TEST(ParseConfigTest, EmptyFileGivesEveryTopLevelDefault) {
  Result<Config> c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen, ":8186");
  EXPECT_EQ(c->admin_listen, ":9186");
  EXPECT_EQ(c->admin_token, "");
  EXPECT_EQ(c->local.url, "http://127.0.0.1:8086");
  EXPECT_EQ(c->local.timeout, milliseconds(30000));
  EXPECT_EQ(c->data_dir, "/var/lib/edgerepl");
  EXPECT_EQ(c->durability, Durability::kSync);
  EXPECT_EQ(c->sync_interval, milliseconds(100));
  EXPECT_EQ(c->max_body_bytes, 25000000u);
  EXPECT_EQ(c->queue_full_policy, QueueFullPolicy::kDrop);
  EXPECT_EQ(c->orphan_grace_period, std::chrono::hours(24));
  EXPECT_EQ(c->pod_labels_file, "");
  EXPECT_EQ(c->instance_id, "");
  EXPECT_TRUE(c->remotes.empty());
  EXPECT_TRUE(c->replications.empty());
}

TEST(ParseConfigTest, RemoteAndReplicationDefaults) {
  Result<Config> c = ParseConfig(WithReplication(""));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->remotes.size(), 1u);
  const RemoteConfig& r = c->remotes[0];
  EXPECT_EQ(r.name, "cloud");
  EXPECT_EQ(r.url, "https://example.influxdata.com/prefix");
  EXPECT_EQ(r.org_id, "0123456789abcdef");
  EXPECT_EQ(r.token, "s3cr3t-token");
  EXPECT_EQ(r.protocol, Protocol::kV2);
  EXPECT_FALSE(r.insecure_skip_verify);
  EXPECT_EQ(r.timeout, milliseconds(30000));
  ASSERT_EQ(c->replications.size(), 1u);
  const ReplicationConfig& p = c->replications[0];
  EXPECT_EQ(p.max_queue_size_bytes, 67108860u);
  EXPECT_EQ(p.max_age_seconds, 604800u);
  EXPECT_FALSE(p.drop_non_retryable_data);
  EXPECT_FALSE(p.replicate_deletes);
  EXPECT_FALSE(p.suspend);
  EXPECT_TRUE(p.measurements.empty());
  EXPECT_TRUE(p.selector.empty());
  EXPECT_EQ(p.max_in_flight, 4u);
  EXPECT_EQ(p.batch.max_bytes, 500000u);
  EXPECT_EQ(p.batch.max_points, 5000u);
  EXPECT_EQ(p.backoff.min, milliseconds(250));
  EXPECT_EQ(p.backoff.max, milliseconds(30000));
}

TEST(ParseConfigTest, EveryFieldSet) {
  Result<Config> c = ParseConfig(std::string(R"(
listen: "127.0.0.1:0"
adminListen: "[::1]:9999"
adminToken: adm
local: {url: "http://localhost:8087", timeout: 5s}
dataDir: /data
durability: interval
syncInterval: 20ms
maxBodyBytes: 1000
queueFullPolicy: reject
orphanGracePeriod: 1h30m
podLabelsFile: /etc/podinfo/labels
instanceID: edge-1
remotes:
  - name: old
    url: http://influx1:8086
    protocol: v1
    caFile: /ca.pem
    certFile: /c.pem
    keyFile: /k.pem
    insecureSkipVerify: true
    timeout: 1m
replications:
  - id: a.b_c-1
    name: n
    remote: old
    localBucket: db/rp
    localBucketID: "000000000000000a"
    localOrg: org
    remoteBucket: db2/rp2
    maxQueueSizeBytes: 33554430
    maxAgeSeconds: 0
    dropNonRetryableData: true
    replicateDeletes: true
    suspend: true
    measurements: [cpu, mem]
    selector:
      matchLabels: {app: influx}
      matchExpressions:
        - {key: zone, operator: In, values: [a, b]}
        - {key: canary, operator: DoesNotExist}
    maxInFlight: 8
    batch: {maxBytes: 1000, maxPoints: 10}
    backoff: {min: 1s, max: 2m}
)"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen, "127.0.0.1:0");
  EXPECT_EQ(c->admin_listen, "[::1]:9999");
  EXPECT_EQ(c->local.timeout, milliseconds(5000));
  EXPECT_EQ(c->durability, Durability::kInterval);
  EXPECT_EQ(c->sync_interval, milliseconds(20));
  EXPECT_EQ(c->queue_full_policy, QueueFullPolicy::kReject);
  EXPECT_EQ(c->orphan_grace_period, milliseconds(5400000));
  EXPECT_EQ(c->remotes[0].protocol, Protocol::kV1);
  EXPECT_EQ(c->remotes[0].timeout, milliseconds(60000));
  const ReplicationConfig& p = c->replications[0];
  EXPECT_EQ(p.max_age_seconds, 0u);
  EXPECT_TRUE(p.replicate_deletes);
  EXPECT_EQ(p.measurements, (std::vector<std::string>{"cpu", "mem"}));
  EXPECT_EQ(p.selector.match_labels.at("app"), "influx");
  ASSERT_EQ(p.selector.match_expressions.size(), 2u);
  EXPECT_EQ(p.selector.match_expressions[0].op, SelectorOperator::kIn);
  EXPECT_EQ(p.selector.match_expressions[1].op, SelectorOperator::kDoesNotExist);
  EXPECT_EQ(p.max_in_flight, 8u);
  EXPECT_EQ(p.backoff.max, milliseconds(120000));
}

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string error;  // the exact (first) error
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.name;
}

class ParseErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseErrorTest, NamesThePath) {
  const ErrorCase& tc = GetParam();
  ParseOptions options;
  options.read_file = [](const std::string& path) -> Result<std::string> {
    if (path == "/tokens/empty") return std::string("\n");
    return Status::NotFound("cannot read \"" + path + "\": No such file or directory");
  };
  ParseOutput out = ParseConfigDetailed(tc.yaml, options);
  ASSERT_FALSE(out.ok()) << tc.name;
  EXPECT_EQ(out.errors[0], tc.error) << tc.name;
  Result<Config> r = ParseConfig(tc.yaml, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Error text never carries the token.
  for (const std::string& e : out.errors) EXPECT_EQ(e.find("s3cr3t"), std::string::npos) << e;
}

std::string Rep(const std::string& body) {
  return std::string(kRemote) + "\nreplications:\n" + body;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseErrorTest,
    ::testing::Values(
        ErrorCase{"UnknownRemote",
                  Rep("  - {id: a, name: a, remote: cloud, localBucket: b, remoteBucket: c}\n"
                      "  - {id: b, name: b, remote: clod, localBucket: b, remoteBucket: c}\n"),
                  "replications[1].remote: unknown remote \"clod\""},
        ErrorCase{"BadDuration", WithReplication("    backoff: {min: 5 seconds}\n"),
                  "replications[0].backoff.min: invalid duration, got \"5 seconds\" (expected "
                  "e.g. 250ms, 30s, 24h, 1h30m)"},
        ErrorCase{"DurationWithoutUnit", "syncInterval: 100\n",
                  "syncInterval: invalid duration, got \"100\" (expected e.g. 250ms, 30s, 24h, "
                  "1h30m)"},
        ErrorCase{"QueueTooSmall", WithReplication("    maxQueueSizeBytes: 1000\n"),
                  "replications[0].maxQueueSizeBytes: must be at least 33554430, got 1000"},
        ErrorCase{"WrongTypeInteger", "maxBodyBytes: lots\n",
                  "maxBodyBytes: expected a non-negative integer, got \"lots\""},
        ErrorCase{"NegativeInteger", WithReplication("    maxAgeSeconds: -1\n"),
                  "replications[0].maxAgeSeconds: expected a non-negative integer, got \"-1\""},
        ErrorCase{"WrongTypeMap", "listen: {a: b}\n", "listen: expected a string, got a map"},
        ErrorCase{"WrongTypeBool", WithReplication("    suspend: maybe\n"),
                  "replications[0].suspend: expected true or false, got \"maybe\""},
        ErrorCase{"WrongTypeList", "remotes: {name: x}\n", "remotes: expected a list, got a map"},
        ErrorCase{"UnknownEnum", "durability: fast\n",
                  "durability: unknown value, got \"fast\" (expected sync or interval)"},
        ErrorCase{"UnknownPolicy", "queueFullPolicy: block\n",
                  "queueFullPolicy: unknown value, got \"block\" (expected drop or reject)"},
        ErrorCase{"UnknownField", WithReplication("    remoteBuckett: x\n"),
                  "replications[0].remoteBuckett: unknown field"},
        ErrorCase{"UnknownTopField", "lisen: \":1\"\n", "lisen: unknown field"},
        ErrorCase{"UnknownNestedField", WithReplication("    batch: {maxByte: 10}\n"),
                  "replications[0].batch.maxByte: unknown field"},
        ErrorCase{"DuplicateField", "listen: \":1\"\nlisten: \":2\"\n", "listen: duplicate field"},
        ErrorCase{"BothRemoteBuckets", WithReplication("    remoteBucketID: \"0a\"\n"),
                  "replications[0]: set only one of remoteBucket and remoteBucketID"},
        ErrorCase{"NoRemoteBucket", Rep("  - {id: a, name: a, remote: cloud, localBucket: b}\n"),
                  "replications[0].remoteBucket: required (or remoteBucketID)"},
        ErrorCase{"MissingId",
                  Rep("  - {name: a, remote: cloud, localBucket: b, remoteBucket: c}\n"),
                  "replications[0].id: required"},
        ErrorCase{"MissingLocalBucket",
                  Rep("  - {id: a, name: a, remote: cloud, remoteBucket: c}\n"),
                  "replications[0].localBucket: required"},
        ErrorCase{"BadId",
                  Rep("  - {id: ../x, name: a, remote: cloud, localBucket: b, "
                      "remoteBucket: c}\n"),
                  "replications[0].id: must be 1 to 128 characters of A-Z a-z 0-9 . _ - (it "
                  "names the queue directory), got \"../x\""},
        ErrorCase{"BadUrlScheme", "remotes:\n  - {name: x, url: ftp://h, orgID: o}\n",
                  "remotes[0].url: scheme must be http or https"},
        ErrorCase{"UrlWithoutHost", "remotes:\n  - {name: x, url: \"http://\", orgID: o}\n",
                  "remotes[0].url: missing host"},
        ErrorCase{"UrlWithCredentials",
                  "remotes:\n  - {name: x, url: \"http://u:s3cr3t@h\", orgID: o}\n",
                  "remotes[0].url: must not hold credentials (use token or tokenFile)"},
        ErrorCase{"LocalUrl", "local: {url: \"localhost:8086\"}\n",
                  "local.url: must be an http or https URL"},
        ErrorCase{"MissingOrgForV2", "remotes:\n  - {name: x, url: \"http://h\"}\n",
                  "remotes[0].orgID: required for protocol v2"},
        ErrorCase{"DuplicateId",
                  Rep("  - {id: a, name: a, remote: cloud, localBucket: b, remoteBucket: c}\n"
                      "  - {id: a, name: b, remote: cloud, localBucket: b, remoteBucket: c}\n"),
                  "replications[1].id: duplicate id \"a\" (also replications[0])"},
        ErrorCase{"DuplicateName",
                  Rep("  - {id: a, name: a, remote: cloud, localBucket: b, remoteBucket: c}\n"
                      "  - {id: b, name: a, remote: cloud, localBucket: b, remoteBucket: c}\n"),
                  "replications[1].name: duplicate name \"a\" (also replications[0])"},
        ErrorCase{"DuplicateRemote",
                  "remotes:\n  - {name: x, url: \"http://h\", orgID: o}\n"
                  "  - {name: x, url: \"http://g\", orgID: o}\n",
                  "remotes[1].name: duplicate remote name \"x\" (also remotes[0])"},
        ErrorCase{"TokenAndTokenFile",
                  "remotes:\n  - {name: x, url: \"http://h\", orgID: o, token: s3cr3t, "
                  "tokenFile: /t}\n",
                  "remotes[0]: set only one of token and tokenFile"},
        ErrorCase{"TokenFileMissing",
                  "remotes:\n  - {name: x, url: \"http://h\", orgID: o, tokenFile: /nope}\n",
                  "remotes[0].tokenFile: cannot read \"/nope\": No such file or directory"},
        ErrorCase{"TokenFileEmpty",
                  "remotes:\n  - {name: x, url: \"http://h\", orgID: o, tokenFile: "
                  "/tokens/empty}\n",
                  "remotes[0].tokenFile: \"/tokens/empty\" is empty"},
        ErrorCase{"LocalTokenAndTokenFile", "local: {token: \"u:s3cr3t\", tokenFile: /t}\n",
                  "local: set only one of token and tokenFile"},
        ErrorCase{"LocalTokenFileMissing", "local: {tokenFile: /nope}\n",
                  "local.tokenFile: cannot read \"/nope\": No such file or directory"},
        ErrorCase{"LocalTokenFileEmpty", "local: {tokenFile: /tokens/empty}\n",
                  "local.tokenFile: \"/tokens/empty\" is empty"},
        ErrorCase{"LocalTokenWrongTypeNotEchoed", "local: {token: [s3cr3t]}\n",
                  "local.token: expected a string, got a list"},
        ErrorCase{"PasswordAndPasswordFile",
                  "remotes:\n  - {name: x, url: \"http://h\", protocol: v1, username: u, "
                  "password: s3cr3t, passwordFile: /p}\n",
                  "remotes[0]: set only one of password and passwordFile"},
        ErrorCase{"PasswordWithoutUsername",
                  "remotes:\n  - {name: x, url: \"http://h\", protocol: v1, password: s3cr3t}\n",
                  "remotes[0].username: required with password or passwordFile"},
        ErrorCase{"UsernameWithoutPassword",
                  "remotes:\n  - {name: x, url: \"http://h\", protocol: v1, username: u}\n",
                  "remotes[0].password: required with username (or passwordFile)"},
        ErrorCase{"UsernameOnV2",
                  "remotes:\n  - {name: x, url: \"http://h\", orgID: o, username: u, "
                  "password: s3cr3t}\n",
                  "remotes[0].username: only with protocol v1 (v2 remotes take a token)"},
        ErrorCase{"UsernameAndToken",
                  "remotes:\n  - {name: x, url: \"http://h\", protocol: v1, username: u, "
                  "password: s3cr3t, token: t0k3n}\n",
                  "remotes[0]: set either token/tokenFile or username and password, not both"},
        ErrorCase{"PasswordFileMissing",
                  "remotes:\n  - {name: x, url: \"http://h\", protocol: v1, username: u, "
                  "passwordFile: /nope}\n",
                  "remotes[0].passwordFile: cannot read \"/nope\": No such file or directory"},
        ErrorCase{"CredentialsInQueryWithoutUser",
                  "remotes:\n  - {name: x, url: \"http://h\", protocol: v1, credentialsIn: "
                  "query}\n",
                  "remotes[0].credentialsIn: only with username and password"},
        ErrorCase{
            "CredentialsInUnknown",
            "remotes:\n  - {name: x, url: \"http://h\", protocol: v1, username: u, "
            "password: p, credentialsIn: cookie}\n",
            "remotes[0].credentialsIn: unknown value, got \"cookie\" (expected header or query)"},
        ErrorCase{"TokenWrongTypeNotEchoed",
                  "remotes:\n  - {name: x, url: \"http://h\", orgID: o, token: [s3cr3t]}\n",
                  "remotes[0].token: expected a string, got a list"},
        ErrorCase{"MaxInFlightTooHigh", WithReplication("    maxInFlight: 9\n"),
                  "replications[0].maxInFlight: must be at most 8, got 9"},
        ErrorCase{"BatchZero", WithReplication("    batch: {maxPoints: 0}\n"),
                  "replications[0].batch.maxPoints: must be at least 1, got 0"},
        ErrorCase{"BackoffInverted", WithReplication("    backoff: {min: 10s, max: 1s}\n"),
                  "replications[0].backoff.max: must be at least backoff.min (10s), got 1s"},
        ErrorCase{"ZeroTimeout", "local: {timeout: 0s}\n",
                  "local.timeout: must be at least 1ms, got 0s"},
        ErrorCase{"BadListen", "listen: \"8186\"\n", "listen: expected host:port, got \"8186\""},
        ErrorCase{"SelectorInWithoutValues",
                  WithReplication("    selector: {matchExpressions: [{key: a, operator: In}]}\n"),
                  "replications[0].selector.matchExpressions[0].values: required for operator In"},
        ErrorCase{"SelectorBadOperator",
                  WithReplication("    selector: {matchExpressions: [{key: a, operator: Has}]}\n"),
                  "replications[0].selector.matchExpressions[0].operator: unknown value, got "
                  "\"Has\" (expected In, NotIn, Exists or DoesNotExist)"},
        ErrorCase{"V1RemoteBucketId",
                  "remotes:\n  - {name: x, url: \"http://h\", protocol: v1}\n"
                  "replications:\n  - {id: a, name: a, remote: x, localBucket: b, "
                  "remoteBucketID: \"0a\"}\n",
                  "replications[0].remoteBucketID: not supported by a v1 remote (use "
                  "remoteBucket: db or db/rp)"},
        ErrorCase{"NotAMap", "- a\n- b\n", "the config must be a map of fields, got a list"},
        ErrorCase{"YamlSyntax", "listen: [\n",
                  "yaml: line 2, column 1: end of sequence flow not found"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(ParseConfigTest, ReportsEveryError) {
  ParseOutput out = ParseConfigDetailed("durability: fast\nlisen: x\nmaxBodyBytes: z\n");
  EXPECT_EQ(out.errors.size(), 3u);
  Result<Config> r = ParseConfig("durability: fast\nlisen: x\n");
  EXPECT_EQ(r.status().message(),
            "durability: unknown value, got \"fast\" (expected sync or interval)\n"
            "lisen: unknown field");
}

TEST(ParseConfigTest, TokenFileIsReadRelativeToTheConfigFile) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir.Join("token"), "from-file\n");
  testing::WriteFileOrDie(
      dir.Join("agent.yaml"),
      "remotes:\n  - {name: x, url: \"http://h\", orgID: o, tokenFile: token}\n");
  Result<Config> c = LoadConfigFile(dir.Join("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->remotes[0].token, "from-file");
  EXPECT_EQ(c->remotes[0].token_file, "token");
}

TEST(ParseConfigTest, LocalTokenInlineOrFromItsFile) {
  Result<Config> inline_token = ParseConfig("local: {token: \"admin:pa:ss\"}\n");
  ASSERT_TRUE(inline_token.ok()) << inline_token.status().ToString();
  EXPECT_EQ(inline_token->local.token, "admin:pa:ss");
  EXPECT_EQ(inline_token->local.token_file, "");

  testing::TempDir dir;
  testing::WriteFileOrDie(dir.Join("local-token"), "admin:password\n");
  testing::WriteFileOrDie(dir.Join("agent.yaml"), "local: {tokenFile: local-token}\n");
  Result<Config> c = LoadConfigFile(dir.Join("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->local.token, "admin:password");
  EXPECT_EQ(c->local.token_file, "local-token");
  // A rotated token is a changed local, so a reload applies it.
  Config rotated = *c;
  rotated.local.token = "admin:other";
  EXPECT_FALSE(rotated.local == c->local);
}

TEST(ParseConfigTest, LocalTokenFileErrorDoesNotEchoTheFile) {
  ParseOptions options;
  options.read_file = [](const std::string&) -> Result<std::string> {
    return Status::InvalidArgument("not valid UTF-8");
  };
  Result<Config> c = ParseConfig("local: {tokenFile: /t}\n", options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "local.tokenFile: not valid UTF-8");
}

TEST(ParseConfigTest, MissingConfigFileIsNotFound) {
  Result<Config> c = LoadConfigFile("/nonexistent/agent.yaml");
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
}

TEST(DurationTest, ParsesAndFormats) {
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("30s"), milliseconds(30000));
  EXPECT_EQ(ParseDuration("24h"), std::chrono::hours(24));
  EXPECT_EQ(ParseDuration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(ParseDuration(""), std::nullopt);
  EXPECT_EQ(ParseDuration("5"), std::nullopt);
  EXPECT_EQ(ParseDuration("5d"), std::nullopt);
  EXPECT_EQ(ParseDuration("-5s"), std::nullopt);
  EXPECT_EQ(ParseDuration("1.5s"), std::nullopt);
  EXPECT_EQ(ParseDuration("99999999999999999999h"), std::nullopt);
  EXPECT_EQ(FormatDuration(milliseconds(5400250)), "1h30m250ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(std::chrono::hours(24)), "24h");
}

}  // namespace
}  // namespace edgerepl::config

namespace edgerepl::config {
namespace {

// docs/config.md is the reference users copy from: its full example must stay valid.
TEST(ConfigDocsTest, FullExampleParses) {
  const char* src = std::getenv("EDGEREPL_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  std::string doc = testing::ReadFileOrDie(std::string(src) + "/docs/config.md");
  size_t section = doc.find("## Full example");
  ASSERT_NE(section, std::string::npos);
  size_t begin = doc.find("```yaml\n", section);
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  size_t end = doc.find("```", begin);
  ParseOptions options;
  options.read_file = [](const std::string& path) -> Result<std::string> {
    EXPECT_TRUE(path == "/etc/edgerepl/cloud-token" || path == "/etc/edgerepl/influx16-password")
        << path;
    return std::string("t\n");
  };
  Result<Config> c = ParseConfig(doc.substr(begin, end - begin), options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->replications.size(), 2u);
  EXPECT_EQ(c->remotes[1].protocol, Protocol::kV1);
  EXPECT_EQ(c->remotes[2].username, "edge");
  EXPECT_EQ(c->remotes[2].password, "t");
}

}  // namespace
}  // namespace edgerepl::config

namespace edgerepl::config {
namespace {

TEST(ParseConfigUtf8Test, InvalidUtf8IsRefusedNamingTheFieldWithoutEchoingIt) {
  const std::string yaml =
      "remotes:\n  - {name: r, url: \"http://127.0.0.1:8086\", protocol: v1, token: \"s\xEFx\"}\n"
      "replications:\n  - {id: a, name: a, remote: r, localBucket: db, remoteBucket: db}\n";
  ParseOutput out = ParseConfigDetailed(yaml, {});
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0], "remotes[0].token: must be valid UTF-8 text");
}

TEST(ParseConfigUtf8Test, MultibyteTextIsKept) {
  const std::string yaml =
      "remotes:\n  - {name: r, url: \"http://127.0.0.1:8086\", protocol: v1}\n"
      "replications:\n  - {id: a, name: \"m\xC3\xA9t\xC3\xA9o \xF0\x9F\x8C\xA7\", remote: r, "
      "localBucket: db, remoteBucket: db}\n";
  ParseOutput out = ParseConfigDetailed(yaml, {});
  ASSERT_TRUE(out.errors.empty()) << out.errors[0];
  EXPECT_EQ(out.config.replications[0].name, "m\xC3\xA9t\xC3\xA9o \xF0\x9F\x8C\xA7");
}

TEST(ParseConfigUtf8Test, OverlongAndSurrogateFormsAreRefused) {
  for (const std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    const std::string yaml = "dataDir: \"/d" + bad + "\"\n";
    ParseOutput out = ParseConfigDetailed(yaml, {});
    ASSERT_EQ(out.errors.size(), 1u);
    EXPECT_EQ(out.errors[0], "dataDir: must be valid UTF-8 text");
  }
}

}  // namespace
}  // namespace edgerepl::config

namespace edgerepl::config {
namespace {

// Found by fuzz_config: an alias inside its own anchor is a cycle in yaml-cpp's node graph, and
// walking it overflowed the stack, so a bad config file crashed the agent instead of being refused.
TEST(ParseConfigAliasTest, AliasInsideItsOwnAnchorIsRefusedNotACrash) {
  for (const std::string& yaml : {
           std::string("defaults: &d\n  x: *d\n"),
           std::string("remotes: &r\n  - *r\n"),
           std::string("%YAML 1.2\n---\n!efaults: &d\nlocal:\n  <<: *d\n  url: 'a'\n"),
       }) {
    ParseOutput out = ParseConfigDetailed(yaml, {});
    ASSERT_FALSE(out.errors.empty()) << yaml;
    bool named = false;
    for (const std::string& e : out.errors) {
      named |= e.find("nested deeper than 32 levels") != std::string::npos;
    }
    EXPECT_TRUE(named) << yaml << " -> " << out.errors[0];
  }
}

// Aliases can also repeat one subtree exponentially often without a cycle.
TEST(ParseConfigAliasTest, ExponentialAliasExpansionIsRefusedQuickly) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", *a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  ParseOutput out = ParseConfigDetailed(yaml, {});
  ASSERT_FALSE(out.errors.empty());
  EXPECT_NE(out.errors[0].find("repeated too often through aliases"), std::string::npos)
      << out.errors[0];
}

}  // namespace
}  // namespace edgerepl::config
