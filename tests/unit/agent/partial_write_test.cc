// The write path's pieces for InfluxDB 1.x: partial writes resolved by bisection, retention-policy
// aliases in matching, v2-to-v1 translation, and the shape of errors per endpoint.
#include "agent/frontdoor/partial_write.h"

#include <gtest/gtest.h>

#include <set>

#include "agent/frontdoor/default_rp.h"
#include "agent/frontdoor/routing.h"
#include "agent/frontdoor/v2_to_v1.h"
#include "agent/lineprotocol/error_json.h"
#include "agent/lineprotocol/split.h"
#include "tests/fakes/fake_clock.h"

namespace edgerepl::frontdoor {
namespace {

using ::edgerepl::testing::FakeClock;

// Answers as influxd 1.x does for lines it refuses one by one: lines holding "conflict" or "old"
// are dropped, the rest stored; a body with a dropped line gets 400 "partial write … dropped=N".
class SchemaLocal final : public http::HttpClient {
 public:
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    ++writes;
    http::HttpResponse r;
    int conflicts = 0, old = 0;
    for (std::string_view line : lp::SplitLines(request.body, 0, 1)) {
      if (line.find("conflict") != std::string_view::npos) {
        ++conflicts;
      } else if (line.find("old") != std::string_view::npos) {
        ++old;
      } else {
        stored.insert(std::string(line));
      }
    }
    if (fail_next > 0) {
      --fail_next;
      r.status = 500;
      r.body = "{\"error\":\"timeout\"}\n";
      return r;
    }
    if (conflicts + old == 0) {
      r.status = 204;
      return r;
    }
    r.status = 400;
    std::string reason = conflicts > 0 ? "field type conflict: input field \"v\" on measurement "
                                         "\"m\" is type float, already exists as type integer"
                                       : "points beyond retention policy";
    r.body = "{\"error\":\"partial write: " + reason +
             " dropped=" + std::to_string(conflicts + old) + "\"}\n";
    return r;
  }
  int writes = 0;
  int fail_next = 0;
  std::set<std::string> stored;
};

http::HttpRequest WriteRequest(std::string body) {
  http::HttpRequest r;
  r.target = "/write?db=db";
  r.headers.emplace_back("Authorization", "Basic dTpw");
  r.body = std::move(body);
  return r;
}

TEST(PartialWriteTest, RecognizesOnly1xAnd2xPartialAnswers) {
  http::HttpResponse a{
      400, {}, "{\"error\":\"partial write: points beyond retention policy dropped=1\"}"};
  EXPECT_TRUE(IsPartialWrite(a));
  a.status = 500;
  EXPECT_FALSE(IsPartialWrite(a));
  http::HttpResponse b{400, {}, "{\"error\":\"unable to parse 'x': missing fields\"}"};
  EXPECT_FALSE(IsPartialWrite(b));
}

TEST(PartialWriteTest, ThreeLinesOneConflictKeepsTheOtherTwo) {
  SchemaLocal local;
  std::string body = "m v=1i 1\nm conflict=2.5 2\nm v=3i 3\n";
  auto first = local.Send(WriteRequest(body));
  ASSERT_TRUE(first.ok());
  auto result = ResolvePartialWrite(local, WriteRequest(body), body, *first);
  EXPECT_EQ(result.stored, "m v=1i 1\nm v=3i 3\n");
  EXPECT_EQ(result.stored_points, 2u);
  EXPECT_EQ(result.refused[std::string(kRefusedFieldTypeConflict)], 1u);
  EXPECT_LE(result.probes, 4);
}

TEST(PartialWriteTest, ThousandLinesWithScatteredConflictsCostsLogarithmicProbes) {
  SchemaLocal local;
  std::string body, expected;
  const std::set<int> bad = {3, 250, 251, 600, 999};
  for (int i = 0; i < 1000; ++i) {
    std::string line = "m," + std::string(bad.count(i) ? "conflict" : "ok") +
                       "=1 v=" + std::to_string(i) + "i " + std::to_string(i + 1) + "\n";
    body += line;
    if (!bad.count(i)) expected += line;
  }
  auto first = local.Send(WriteRequest(body));
  auto result = ResolvePartialWrite(local, WriteRequest(body), body, *first);
  EXPECT_EQ(result.stored, expected);
  EXPECT_EQ(result.stored_points, 995u);
  EXPECT_EQ(result.refused[std::string(kRefusedFieldTypeConflict)], 5u);
  // About 2 writes per level per conflict, 10 levels: well under 2·5·10.
  EXPECT_LE(result.probes, 100) << result.probes;
}

TEST(PartialWriteTest, AllRefusedNeedsNoProbe) {
  SchemaLocal local;
  std::string body = "m,old=1 v=1 1\nm,old=1 v=2 2\n";
  auto first = local.Send(WriteRequest(body));
  auto result = ResolvePartialWrite(local, WriteRequest(body), body, *first);
  EXPECT_EQ(result.probes, 0);
  EXPECT_EQ(result.stored, "");
  EXPECT_EQ(result.refused[std::string(kRefusedRetention)], 2u);
}

TEST(PartialWriteTest, ALocalThatFailsTwiceLeavesThePartUndetermined) {
  SchemaLocal local;
  std::string body = "m v=1i 1\nm conflict=2.5 2\n";
  auto first = local.Send(WriteRequest(body));
  local.fail_next = 2;  // the first half fails twice
  auto result = ResolvePartialWrite(local, WriteRequest(body), body, *first);
  EXPECT_EQ(result.refused[std::string(kRefusedUndetermined)], 1u);
  EXPECT_EQ(result.refused[std::string(kRefusedFieldTypeConflict)], 1u);
  EXPECT_EQ(result.stored, "");
}

class Target final : public WriteTarget {
 public:
  explicit Target(std::string bucket) { r_.name = r_.local_bucket = std::move(bucket); }
  const config::ReplicationConfig& replication() const override { return r_; }
  bool HasRoomFor(uint64_t) const override { return true; }
  Status Append(std::string_view, uint32_t) override { return Status::Ok(); }
  void CountDropped(uint64_t, uint64_t, std::string_view) override {}
  void CountDelete(std::string_view) override {}
  config::ReplicationConfig r_;
};

std::vector<std::string> Names(const std::vector<WriteTarget*>& targets) {
  std::vector<std::string> out;
  for (auto* t : targets) out.push_back(t->replication().name);
  return out;
}

TEST(RetentionPolicyAliasTest, DefaultPolicyIsTheSameDataUnderEveryName) {
  Routing routing;
  routing.targets = {std::make_shared<Target>("demo"), std::make_shared<Target>("demo/weekly"),
                     std::make_shared<Target>("other")};
  Destination d;
  d.api = Api::kV1;
  d.dbrp = true;
  d.db = "demo";
  d.default_rp = "weekly";  // not autogen: the default is whatever the database says
  EXPECT_EQ(Names(MatchTargets(routing, d)), (std::vector<std::string>{"demo", "demo/weekly"}));
  d.rp = "weekly";
  EXPECT_EQ(Names(MatchTargets(routing, d)), (std::vector<std::string>{"demo", "demo/weekly"}));
  d.rp = "autogen";
  EXPECT_TRUE(MatchTargets(routing, d).empty());
  EXPECT_TRUE(CoversDatabase(routing, "demo"));
  EXPECT_FALSE(CoversDatabase(routing, "nope"));
  // Unknown default: only literal names match.
  d.default_rp.reset();
  d.rp = "weekly";
  EXPECT_EQ(Names(MatchTargets(routing, d)), (std::vector<std::string>{"demo/weekly"}));
  d.rp.clear();
  EXPECT_EQ(Names(MatchTargets(routing, d)), (std::vector<std::string>{"demo"}));
}

TEST(RetentionPolicyAliasTest, ParsesShowRetentionPolicies) {
  auto p = ParseRetentionPolicies(
      "{\"results\":[{\"statement_id\":0,\"series\":[{\"columns\":[\"name\",\"duration\","
      "\"shardGroupDuration\",\"replicaN\",\"default\"],\"values\":[[\"autogen\",\"0s\","
      "\"168h0m0s\",1,false],[\"we\\\"ek\",\"168h0m0s\",\"24h0m0s\",1,true]]}]}]}\n");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->names, (std::vector<std::string>{"autogen", "we\"ek"}));
  EXPECT_EQ(p->default_name, "we\"ek");
  EXPECT_FALSE(ParseRetentionPolicies(
                   "{\"results\":[{\"statement_id\":0,\"error\":\"database not found: x\"}]}")
                   .has_value());
}

// A local answering SHOW RETENTION POLICIES with `default_rp` as the default (and autogen).
class PoliciesLocal final : public http::HttpClient {
 public:
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    ++queries;
    last_auth = http::FindHeader(request.headers, "Authorization")
                    ? *http::FindHeader(request.headers, "Authorization")
                    : "";
    http::HttpResponse r;
    if (fail) {
      r.status = 401;
      r.body = "{\"error\":\"authorization failed\"}\n";
      return r;
    }
    r.status = 200;
    r.body =
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"columns\":[\"name\"],\"values\":"
        "[[\"autogen\",\"0s\",\"168h0m0s\",1," +
        std::string(default_rp == "autogen" ? "true" : "false") + "]";
    if (default_rp != "autogen") r.body += ",[\"" + default_rp + "\",\"0s\",\"24h0m0s\",1,true]";
    r.body += "]}]}]}\n";
    return r;
  }
  int queries = 0;
  bool fail = false;
  std::string default_rp = "autogen";
  std::string last_auth;
};

TEST(DefaultRpCacheTest, RefreshesPeriodicallyAndWhenAWriteNamesAnUnknownPolicy) {
  PoliciesLocal local;
  FakeClock clock;
  DefaultRpCache cache(local, clock, std::chrono::seconds(30));
  const std::string auth = "Basic dTpw";
  EXPECT_EQ(cache.Default("db", "", &auth, "", ""), "autogen");
  EXPECT_EQ(local.last_auth, auth) << "the client's credentials";
  EXPECT_EQ(cache.Default("db", "autogen", nullptr, "", ""), "autogen");
  EXPECT_EQ(local.queries, 1) << "known names need no query";
  // The default changes; a write naming the new policy finds it at once.
  local.default_rp = "weekly";
  EXPECT_EQ(cache.Default("db", "", nullptr, "", ""), "autogen") << "not yet refreshed";
  EXPECT_EQ(cache.Default("db", "weekly", nullptr, "", ""), "weekly");
  EXPECT_EQ(local.queries, 2);
  // A policy that does not exist is asked about at most once a second.
  EXPECT_EQ(cache.Default("db", "nope", nullptr, "", ""), "weekly");
  EXPECT_EQ(cache.Default("db", "nope", nullptr, "", ""), "weekly");
  EXPECT_EQ(local.queries, 3);
  // Without any write naming it, the change is seen at the refresh interval.
  local.default_rp = "autogen";
  clock.Advance(std::chrono::seconds(29));
  EXPECT_EQ(cache.Default("db", "", nullptr, "", ""), "weekly");
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(cache.Default("db", "", nullptr, "", ""), "autogen");
  EXPECT_EQ(local.queries, 4);
}

TEST(DefaultRpCacheTest, AFailingQueryLeavesTheDefaultUnknownAndIsRetriedPerInterval) {
  PoliciesLocal local;
  local.fail = true;
  FakeClock clock;
  DefaultRpCache cache(local, clock, std::chrono::seconds(30));
  EXPECT_FALSE(cache.Default("db", "", nullptr, "", "").has_value());
  EXPECT_FALSE(cache.Default("db", "autogen", nullptr, "", "").has_value());
  EXPECT_EQ(local.queries, 1);
  clock.Advance(std::chrono::seconds(30));
  local.fail = false;
  EXPECT_EQ(cache.Default("db", "", nullptr, "", ""), "autogen");
  EXPECT_EQ(local.queries, 2);
}

TEST(V2ToV1Test, MapsBucketAndTokenAsInflux18) {
  EXPECT_EQ(SplitBucket("db/rp").db, "db");
  EXPECT_EQ(SplitBucket("db/rp").rp, "rp");
  EXPECT_EQ(SplitBucket("db").rp, "");
  http::HttpRequest v2;
  v2.target = "/api/v2/write?org=o&bucket=db%2Frp";
  v2.headers = {{"Authorization", "Token user:pass"}, {"User-Agent", "x"}};
  v2.body = "m v=1 1\n";
  auto v1 = ToV1Write(v2, "db/rp");
  EXPECT_EQ(v1.target, "/write?db=db&rp=rp");
  EXPECT_EQ(*http::FindHeader(v1.headers, "authorization"), "Basic dXNlcjpwYXNz");
  EXPECT_EQ(v1.body, v2.body);
  EXPECT_EQ(V1Authorization("Token abc"), "Token abc");  // not a user:password pair
  http::HttpResponse missing{404, {}, "404 page not found\n"};
  EXPECT_TRUE(IsMissingV2Endpoint(missing));
  http::HttpResponse no_bucket{
      404, {}, "{\"code\":\"not found\",\"message\":\"bucket not found\"}"};
  EXPECT_FALSE(IsMissingV2Endpoint(no_bucket));
  auto answer = ToV2Answer({400, {}, "{\"error\":\"partial write: x dropped=1\"}\n"});
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body, "{\"code\":\"invalid\",\"message\":\"partial write: x dropped=1\"}");
  EXPECT_EQ(ToV2Answer({204, {}, ""}).status, 204);
}

TEST(ErrorShapeTest, V1IsInflux1xShapeV2Is2xShape) {
  EXPECT_EQ(lp::ErrorJsonV1("unable to parse 'a\"b'"),
            "{\"error\":\"unable to parse 'a\\\"b'\"}\n");
  EXPECT_EQ(lp::ErrorJson("invalid", "x"), "{\"code\":\"invalid\",\"message\":\"x\"}");
}

}  // namespace
}  // namespace edgerepl::frontdoor
