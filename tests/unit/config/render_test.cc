#include "common/config/render.h"

#include <gtest/gtest.h>

#include "common/config/parse.h"
#include "common/config/validate.h"

namespace edgerepl::config {
namespace {

Config Weird() {
  Config c;
  c.listen = "127.0.0.1:0";
  c.admin_token = "adm: \"x\" #not a comment";
  c.durability = Durability::kInterval;
  c.sync_interval = std::chrono::milliseconds(1250);
  c.instance_id = "édge-1 ✓";
  c.pod_labels_file = "/etc/podinfo/labels";
  RemoteConfig r;
  r.name = "cloud: eu";
  r.url = "https://example.com/a path/ü";
  r.org_id = "0123";
  r.token = "tok\"en'\\: - [x] {y} \t ✓ \x01";
  r.protocol = Protocol::kV2;
  r.insecure_skip_verify = true;
  c.remotes.push_back(r);
  RemoteConfig v1;
  v1.name = "true";  // looks like a boolean
  v1.url = "http://h:8086";
  v1.protocol = Protocol::kV1;
  c.remotes.push_back(v1);
  RemoteConfig user;
  user.name = "influx1";
  user.url = "http://old:8086";
  user.protocol = Protocol::kV1;
  user.username = "ad: min";
  user.password = "p@ss: \"w\" #1";
  user.credentials_in = CredentialsIn::kQuery;
  c.remotes.push_back(user);
  ReplicationConfig p;
  p.id = "0f5e-uid";
  p.name = "null";  // looks like YAML null
  p.remote = "cloud: eu";
  p.local_bucket = "db/rp";
  p.remote_bucket = "123";  // looks like a number
  p.max_age_seconds = 0;
  p.measurements = {"cpu", "with space", "#hash", "line\nbreak"};
  p.selector.match_labels = {{"app.kubernetes.io/name", "influx"}, {"k", ""}};
  p.selector.match_expressions = {{"zone", SelectorOperator::kNotIn, {"a", "b:c"}},
                                  {"x", SelectorOperator::kExists, {}}};
  p.max_in_flight = 3;
  p.backoff.min = std::chrono::milliseconds(1);
  p.backoff.max = std::chrono::hours(1);
  c.replications.push_back(p);
  ReplicationConfig q;
  q.id = "b";
  q.name = "b";
  q.remote = "true";
  q.local_bucket = "x";
  q.remote_bucket = "db";
  c.replications.push_back(q);
  return c;
}

TEST(RenderTest, RoundTripsDefaults) {
  Config c;
  Result<Config> back = ParseConfig(Render(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
}

TEST(RenderTest, RoundTripsWeirdStrings) {
  Config c = Weird();
  std::string text = Render(c);
  Result<Config> back = ParseConfig(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
  EXPECT_EQ(*back, c) << text;
  EXPECT_EQ(Render(*back), text);
}

TEST(RenderTest, IsDeterministic) {
  EXPECT_EQ(Render(Weird()), Render(Weird()));
}

TEST(RenderTest, TokenFileIsRenderedAsTheFileNotTheToken) {
  Config c = Weird();
  c.remotes[0].token = "from-file-token";
  c.remotes[0].token_file = "/secrets/token";
  std::string text = Render(c);
  EXPECT_EQ(text.find("from-file-token"), std::string::npos);
  ParseOptions options;
  options.read_file = [](const std::string&) -> Result<std::string> {
    return std::string("from-file-token\n");
  };
  Result<Config> back = ParseConfig(text, options);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
}

TEST(ConfigHashTest, StableAndSensitiveToEveryChange) {
  Config c = Weird();
  std::string h = ConfigHash(c);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h, ConfigHash(Weird()));
  Config d = c;
  d.replications[0].suspend = true;
  EXPECT_NE(ConfigHash(d), h);
  Config e = c;
  e.remotes[0].token = "rotated";
  EXPECT_NE(ConfigHash(e), h);
  // A token read from a file counts too, though Render() writes only the file name.
  Config f = c;
  f.remotes[0].token_file = "/t";
  Config g = f;
  g.remotes[0].token = "other";
  EXPECT_EQ(Render(f), Render(g));
  EXPECT_NE(ConfigHash(f), ConfigHash(g));
}

TEST(RenderTest, PasswordFileIsRenderedAsTheFileNotThePassword) {
  Config c = Weird();
  c.remotes[2].password = "from-file-password";
  c.remotes[2].password_file = "/secrets/password";
  std::string text = Render(c);
  EXPECT_EQ(text.find("from-file-password"), std::string::npos);
  ParseOptions options;
  options.read_file = [](const std::string&) -> Result<std::string> {
    return std::string("from-file-password\n");
  };
  Result<Config> back = ParseConfig(text, options);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
  EXPECT_TRUE(Validate(c).empty());
  // A rotated password file changes the hash, though not the rendering.
  Config d = c;
  d.remotes[2].password = "rotated";
  EXPECT_EQ(Render(c), Render(d));
  EXPECT_NE(ConfigHash(c), ConfigHash(d));
}

TEST(RenderTest, LocalTokenFileIsRenderedAsTheFileNotTheToken) {
  Config c = Weird();
  c.local.token = "admin:from-file-password";
  c.local.token_file = "/secrets/local-token";
  std::string text = Render(c);
  EXPECT_EQ(text.find("from-file-password"), std::string::npos);
  EXPECT_NE(text.find("/secrets/local-token"), std::string::npos);
  ParseOptions options;
  options.read_file = [](const std::string& path) -> Result<std::string> {
    if (path == "/secrets/local-token") return std::string("admin:from-file-password\n");
    return Status::NotFound("cannot read \"" + path + "\"");
  };
  Result<Config> back = ParseConfig(text, options);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
  EXPECT_TRUE(Validate(c).empty());
  // A rotated file changes the hash (a reload applies it), though not the rendering.
  Config d = c;
  d.local.token = "admin:rotated";
  EXPECT_EQ(Render(c), Render(d));
  EXPECT_NE(ConfigHash(c), ConfigHash(d));
  EXPECT_EQ(ConfigHash(c).find("from-file-password"), std::string::npos);
}

TEST(RenderTest, InlineLocalTokenRoundTrips) {
  Config c = Weird();
  c.local.token = "tok: \"en\" #x";
  Result<Config> back = ParseConfig(Render(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
}

TEST(ConfigHashTest, DoesNotContainTheToken) {
  Config c = Weird();
  c.remotes[0].token = "abcdef0123456789";
  EXPECT_EQ(ConfigHash(c).find("abcdef0123456789"), std::string::npos);
}

TEST(ConfigTest, SecretsListsTokens) {
  Config c = Weird();
  std::vector<std::string> s = Secrets(c);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], c.admin_token);
  EXPECT_EQ(s[1], c.remotes[0].token);
  EXPECT_EQ(s[2], c.remotes[2].password);
  c.local.token = "admin:local-password";
  s = Secrets(c);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[1], c.local.token);
}

}  // namespace
}  // namespace edgerepl::config

namespace edgerepl::config {
namespace {

TEST(ValidateTest, BuiltConfigGetsTheParsersErrors) {
  Config c = Weird();
  EXPECT_TRUE(Validate(c).empty());
  c.replications[1].remote = "clod";
  c.replications[0].max_queue_size_bytes = 10;
  c.replications[0].remote_bucket_id = "0a";
  std::vector<std::string> errors = Validate(c);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "replications[0]: set only one of remoteBucket and remoteBucketID");
  EXPECT_EQ(errors[1], "replications[0].maxQueueSizeBytes: must be at least 33554430, got 10");
  EXPECT_EQ(errors[2], "replications[1].remote: unknown remote \"clod\"");
}

TEST(ValidateTest, TokenFileUsesTheTokenHeld) {
  Config c = Weird();
  c.remotes[0].token_file = "/never/read";
  EXPECT_TRUE(Validate(c).empty());
  c.remotes[0].token = "";
  ASSERT_EQ(Validate(c).size(), 1u);
  EXPECT_EQ(Validate(c)[0], "remotes[0].tokenFile: \"/never/read\" is empty");
}

}  // namespace
}  // namespace edgerepl::config
