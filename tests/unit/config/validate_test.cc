// Validate holds the config's rules once: a Config built in code gets exactly the errors the
// parser gives for the same config as a file, field paths included.
#include "common/config/validate.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/config/parse.h"
#include "common/config/render.h"

namespace edgerepl::config {
namespace {

using std::chrono::milliseconds;

Config Valid() {
  Config c;
  c.listen = "127.0.0.1:8186";
  RemoteConfig cloud;
  cloud.name = "cloud";
  cloud.url = "https://eu.example.com";
  cloud.org_id = "org";
  cloud.token = "tok";
  c.remotes.push_back(cloud);
  RemoteConfig old;
  old.name = "old";
  old.url = "http://old:8086";
  old.protocol = Protocol::kV1;
  old.username = "u";
  old.password = "p";
  c.remotes.push_back(old);
  ReplicationConfig r;
  r.id = "r-1";
  r.name = "telegraf";
  r.remote = "cloud";
  r.local_bucket = "telegraf";
  r.remote_bucket = "edge";
  r.selector.match_expressions = {{"zone", SelectorOperator::kIn, {"a"}}};
  r.backfill = BackfillConfig{1000, 2000, 10};
  c.replications.push_back(r);
  return c;
}

struct Case {
  const char* name;
  std::function<void(Config&)> mutate;
  const char* first_error;
};

const Case kCases[] = {
    {"listen", [](Config& c) { c.listen = "8186"; }, "listen: expected host:port, got \"8186\""},
    {"admin_listen_port", [](Config& c) { c.admin_listen = ":70000"; },
     "adminListen: expected host:port with a port from 0 to 65535, got \":70000\""},
    {"local_url", [](Config& c) { c.local.url = "ftp://x"; },
     "local.url: scheme must be http or https"},
    {"local_timeout", [](Config& c) { c.local.timeout = milliseconds(0); },
     "local.timeout: must be at least 1ms, got 0s"},
    {"data_dir", [](Config& c) { c.data_dir.clear(); }, "dataDir: must not be empty"},
    {"sync_interval", [](Config& c) { c.sync_interval = milliseconds(0); },
     "syncInterval: must be at least 1ms, got 0s"},
    {"body_memory", [](Config& c) { c.max_body_memory_bytes = 1000; },
     "maxBodyMemoryBytes: must be at least 1048576, got 1000"},
    {"instance_id", [](Config& c) { c.instance_id = "a\nb"; },
     "instanceID: must not contain a line break"},
    {"remote_name", [](Config& c) { c.remotes[1].name.clear(); }, "remotes[1].name: required"},
    {"remote_url_credentials", [](Config& c) { c.remotes[0].url = "https://u:p@host"; },
     "remotes[0].url: must not hold credentials (use token or tokenFile)"},
    {"remote_org", [](Config& c) { c.remotes[0].org_id.clear(); },
     "remotes[0].orgID: required for protocol v2"},
    {"remote_cert_pair", [](Config& c) { c.remotes[0].cert_file = "/c.pem"; },
     "remotes[0]: set both certFile and keyFile, or neither"},
    {"remote_user_on_v2", [](Config& c) { c.remotes[1].protocol = Protocol::kV2; },
     "remotes[1].orgID: required for protocol v2"},
    {"remote_user_without_password", [](Config& c) { c.remotes[1].password.clear(); },
     "remotes[1].password: required with username (or passwordFile)"},
    {"remote_user_and_token", [](Config& c) { c.remotes[1].token = "t"; },
     "remotes[1]: set either token/tokenFile or username and password, not both"},
    {"remote_query_without_user",
     [](Config& c) { c.remotes[0].credentials_in = CredentialsIn::kQuery; },
     "remotes[0].credentialsIn: only with username and password"},
    {"duplicate_remote", [](Config& c) { c.remotes[1].name = "cloud"; },
     "remotes[1].name: duplicate remote name \"cloud\" (also remotes[0])"},
    {"id_chars", [](Config& c) { c.replications[0].id = "a/b"; },
     "replications[0].id: must be 1 to 128 characters of A-Z a-z 0-9 . _ - (it names the queue "
     "directory), got \"a/b\""},
    {"local_bucket", [](Config& c) { c.replications[0].local_bucket.clear(); },
     "replications[0].localBucket: required"},
    {"both_buckets", [](Config& c) { c.replications[0].remote_bucket_id = "0a"; },
     "replications[0]: set only one of remoteBucket and remoteBucketID"},
    {"queue_size", [](Config& c) { c.replications[0].max_queue_size_bytes = 10; },
     "replications[0].maxQueueSizeBytes: must be at least 33554430, got 10"},
    {"empty_measurement",
     [](Config& c) {
       c.replications[0].measurements = {"cpu", ""};
     },
     "replications[0].measurements[1]: expected a non-empty string, got \"\""},
    {"selector_values",
     [](Config& c) { c.replications[0].selector.match_expressions[0].values.clear(); },
     "replications[0].selector.matchExpressions[0].values: required for operator In"},
    {"selector_key", [](Config& c) { c.replications[0].selector.match_expressions[0].key.clear(); },
     "replications[0].selector.matchExpressions[0].key: required"},
    {"in_flight", [](Config& c) { c.replications[0].max_in_flight = 9; },
     "replications[0].maxInFlight: must be at most 8, got 9"},
    {"batch_points", [](Config& c) { c.replications[0].batch.max_points = 0; },
     "replications[0].batch.maxPoints: must be at least 1, got 0"},
    {"backoff_order", [](Config& c) { c.replications[0].backoff.max = milliseconds(100); },
     "replications[0].backoff.max: must be at least backoff.min (250ms), got 100ms"},
    {"backfill_range", [](Config& c) { c.replications[0].backfill->to_ns = 1000; },
     "replications[0].backfill.to: must be after from (1970-01-01T00:00:00.000001Z), got "
     "1970-01-01T00:00:00.000001Z"},
    {"backfill_rate", [](Config& c) { c.replications[0].backfill->max_points_per_second = 0; },
     "replications[0].backfill.maxPointsPerSecond: must be at least 1, got 0"},
    {"unknown_remote", [](Config& c) { c.replications[0].remote = "clod"; },
     "replications[0].remote: unknown remote \"clod\""},
    {"bucket_id_on_v1",
     [](Config& c) {
       c.replications[0].remote = "old";
       c.replications[0].remote_bucket.clear();
       c.replications[0].remote_bucket_id = "0a";
     },
     "replications[0].remoteBucketID: not supported by a v1 remote (use remoteBucket: db or "
     "db/rp)"},
};

class ValidateRules : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateRules, BuiltConfigGetsTheFilesErrors) {
  Config c = Valid();
  ASSERT_TRUE(Validate(c).empty()) << Validate(c).front();
  GetParam().mutate(c);
  std::vector<std::string> errors = Validate(c);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front(), GetParam().first_error);
  // The same rules, reached through the file: the parser adds nothing and leaves nothing out.
  EXPECT_EQ(ParseConfigDetailed(Render(c)).errors, errors);
}

INSTANTIATE_TEST_SUITE_P(Table, ValidateRules, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Validate, ReportsEveryBrokenRuleInFieldOrder) {
  Config c = Valid();
  c.listen = "x";
  c.remotes[0].org_id.clear();
  c.replications[0].max_in_flight = 0;
  c.replications[0].remote = "nowhere";
  std::vector<std::string> errors = Validate(c);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0], "listen: expected host:port, got \"x\"");
  EXPECT_EQ(errors[1], "remotes[0].orgID: required for protocol v2");
  EXPECT_EQ(errors[2], "replications[0].maxInFlight: must be at least 1, got 0");
  EXPECT_EQ(errors[3], "replications[0].remote: unknown remote \"nowhere\"");
}

// A field the file got wrong holds a default, which says nothing: no rule is applied to it or to
// what it holds, so a mistake is reported once.
TEST(Validate, ARuleIsNotAppliedToAFieldThatCouldNotBeRead) {
  Config c = Valid();
  c.replications[0].max_in_flight = 0;
  c.remotes[0].org_id.clear();
  EXPECT_EQ(Validate(c, {"replications[0].maxInFlight", "remotes[0]"}).size(), 0u);
  EXPECT_EQ(Validate(c, {"replications[0].max"}).size(), 2u);  // a prefix is not a parent

  auto out = ParseConfigDetailed(R"(
remotes:
  - {name: cloud, url: "https://x", orgID: o, token: t}
replications:
  - id: r
    name: n
    remote: cloud
    localBucket: b
    remoteBucket: e
    maxInFlight: many
    backoff: {min: soon, max: 1s}
    backfill: {from: yesterday, to: "2026-01-01T00:00:00Z"}
)");
  EXPECT_EQ(out.errors, (std::vector<std::string>{
                            "replications[0].maxInFlight: expected a non-negative integer, got "
                            "\"many\"",
                            "replications[0].backoff.min: invalid duration, got \"soon\" (expected "
                            "e.g. 250ms, 30s, 24h, 1h30m)",
                            "replications[0].backfill.from: invalid time, got \"yesterday\" "
                            "(expected RFC 3339, e.g. 2026-01-01T00:00:00Z)",
                        }));
}

// A token beside its tokenFile is the file's content, as a loaded Config holds it.
TEST(Validate, ATokenFileIsItsContent) {
  Config c = Valid();
  c.remotes[0].token_file = "/run/token";
  EXPECT_TRUE(Validate(c).empty());
  c.remotes[0].token.clear();
  EXPECT_EQ(Validate(c), std::vector<std::string>{"remotes[0].tokenFile: \"/run/token\" is empty"});
  c.local.token_file = "/run/local";
  EXPECT_EQ(Validate(c).front(), "local.tokenFile: \"/run/local\" is empty");
}

}  // namespace
}  // namespace edgerepl::config
