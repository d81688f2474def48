// Resource paths and accessors, the watch event framer, token bucket and rate limiters.
#include <gtest/gtest.h>

#include "common/codec/base64.h"
#include "common/codec/rfc3339.h"
#include "operator/kube/event_decoder.h"
#include "operator/kube/leader_election.h"
#include "operator/kube/rate_limiter.h"
#include "operator/kube/resource.h"
#include "operator/kube/rest_client.h"
#include "operator/kube/token_bucket.h"
#include "tests/fakes/fake_clock.h"

namespace edgerepl::kube {
namespace {

using ::edgerepl::testing::FakeClock;

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(Resource, Paths) {
  ResourceType r{"edgerepl.io", "v1alpha1", "replications", "Replication", true};
  EXPECT_EQ(r.ApiVersion(), "edgerepl.io/v1alpha1");
  EXPECT_EQ(r.CollectionPath(""), "/apis/edgerepl.io/v1alpha1/replications");
  EXPECT_EQ(r.CollectionPath("ns"), "/apis/edgerepl.io/v1alpha1/namespaces/ns/replications");
  EXPECT_EQ(r.ObjectPath("ns", "x", "status"),
            "/apis/edgerepl.io/v1alpha1/namespaces/ns/replications/x/status");
  EXPECT_EQ(SecretsType().ObjectPath("a", "b"), "/api/v1/namespaces/a/secrets/b");
  EXPECT_EQ(CustomResourceDefinitionsType().ObjectPath("ignored", "x"),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x");
  EXPECT_EQ(MakeKey("ns", "n"), "ns/n");
  EXPECT_EQ(MakeKey("", "n"), "n");
  EXPECT_EQ(SplitKey("ns/n"), std::make_pair(std::string("ns"), std::string("n")));
  EXPECT_EQ(SplitKey("n"), std::make_pair(std::string(""), std::string("n")));
}

TEST(Resource, AccessorsNeverThrow) {
  Result<Object> o = Object::Parse(R"({"metadata":{"name":"a","namespace":"b","generation":3,
    "resourceVersion":"77","labels":{"x":"y","n":1},"deletionTimestamp":"2026-01-01T00:00:00Z"},
    "spec":"not an object","status":{"podIP":"10.0.0.5","phase":"Running",
    "conditions":[{"type":"Ready","status":"True"}]}})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->name(), "a");
  EXPECT_EQ(o->Key(), "b/a");
  EXPECT_EQ(o->generation(), 3);
  EXPECT_EQ(o->resource_version(), "77");
  EXPECT_EQ(o->labels(), (std::map<std::string, std::string>{{"x", "y"}}));
  EXPECT_TRUE(o->deletion_timestamp().has_value());
  EXPECT_TRUE(Object::Field(o->spec(), "anything").is_null());
  EXPECT_EQ(pod::PodIP(*o), "10.0.0.5");
  EXPECT_EQ(pod::Phase(*o), "Running");
  EXPECT_TRUE(pod::IsReady(*o));
  Object empty;
  EXPECT_EQ(empty.name(), "");
  EXPECT_EQ(empty.generation(), 0);
  EXPECT_FALSE(pod::IsReady(empty));
  empty.set_label("a", "b");
  empty.set_name("n");
  EXPECT_EQ(empty.labels().at("a"), "b");
  EXPECT_FALSE(Object::Parse("[1]").ok());
  EXPECT_FALSE(Object::Parse("{broken").ok());
}

TEST(Resource, SecretDataAndBase64) {
  Object s;
  secret::SetData(s, "agent.yaml", std::string("a\0b\xff", 4));
  EXPECT_EQ(secret::Data(s, "agent.yaml"), std::string("a\0b\xff", 4));
  EXPECT_FALSE(secret::Data(s, "missing").has_value());
  for (std::string v : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(codec::Base64Decode(codec::Base64Encode(v)), v);
  }
  EXPECT_EQ(codec::Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(codec::Base64Decode("Zm9=YmFy").has_value());
  EXPECT_FALSE(codec::Base64Decode("abc").has_value());
  EXPECT_FALSE(codec::Base64Decode("ab!d").has_value());
}

TEST(Resource, MicroTime) {
  auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1764078005123456LL));
  std::string s = codec::FormatRfc3339(t, codec::Fraction::kMicros);
  EXPECT_EQ(s, "2025-11-25T13:40:05.123456Z");
  EXPECT_EQ(ParseTime(s), t);
  EXPECT_EQ(ParseTime("2025-11-25T14:40:05.123456+01:00"), t);
  EXPECT_EQ(ParseTime("2025-11-25T13:40:05Z"),
            std::chrono::system_clock::time_point(std::chrono::seconds(1764078005)));
  EXPECT_FALSE(ParseTime("yesterday").has_value());
  EXPECT_FALSE(ParseTime("2025-11-25T13:40:05").has_value());
}

TEST(ApiErrors, DecodedFromStatusObjects) {
  Status s = StatusFromApiError(
      409, R"({"kind":"Status","status":"Failure","message":"widgets \"w\" already exists",
              "reason":"AlreadyExists","code":409})");
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(ApiCode(s), 409);
  EXPECT_EQ(ApiReason(s), "AlreadyExists");
  EXPECT_TRUE(IsAlreadyExists(s));
  EXPECT_NE(s.message().find("already exists"), std::string::npos);

  Status html = StatusFromApiError(502, "<html>bad gateway</html>");
  EXPECT_EQ(html.code(), StatusCode::kUnavailable);
  EXPECT_EQ(ApiReason(html), "Unknown");
  EXPECT_EQ(StatusFromApiError(404, "").code(), StatusCode::kNotFound);
  EXPECT_EQ(StatusFromApiError(422, "{}").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusFromApiError(403, "{}").code(), StatusCode::kAborted);
  EXPECT_TRUE(IsGone(StatusFromApiError(410, "{}")));
  EXPECT_EQ(ApiCode(Status::Unavailable("connection refused")), 0);
  EXPECT_EQ(ApiReason(Status::Unavailable("two words (HTTP 409): x")), "");
}

std::vector<std::string> DecodeAll(EventDecoder& d) {
  std::vector<std::string> out;
  for (;;) {
    auto n = d.Next();
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (!n.ok() || !n->has_value()) return out;
    out.push_back(**n);
  }
}

TEST(EventDecoder, EveryChunkBoundaryGivesTheSameEvents) {
  const std::string e1 =
      R"({"type":"ADDED","object":{"metadata":{"name":"a{\"}"},"x":[1,{"y":"]"}]}})";
  const std::string e2 = R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})";
  const std::string e3 =
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"message":"\\\"}"}})";
  const std::string stream = e1 + "\n" + e2 + "\r\n" + e3 + "\n";
  for (size_t cut1 = 0; cut1 <= stream.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= stream.size(); cut2 += 7) {
      EventDecoder d;
      std::vector<std::string> got;
      for (auto piece :
           {stream.substr(0, cut1), stream.substr(cut1, cut2 - cut1), stream.substr(cut2)}) {
        d.Feed(piece);
        for (auto& e : DecodeAll(d)) got.push_back(e);
      }
      ASSERT_EQ(got, (std::vector<std::string>{e1, e2, e3})) << cut1 << "," << cut2;
      EXPECT_EQ(d.pending(), 0u);
    }
  }
}

TEST(EventDecoder, ByteByByteAndWithoutNewlines) {
  const std::string stream = R"({"a":"}"}{"b":"\\"}  {"c":{}})";
  EventDecoder d;
  std::vector<std::string> got;
  for (char c : stream) {
    d.Feed(std::string(1, c));
    for (auto& e : DecodeAll(d)) got.push_back(e);
  }
  EXPECT_EQ(got, (std::vector<std::string>{R"({"a":"}"})", R"({"b":"\\"})", R"({"c":{}})"}));
}

TEST(EventDecoder, GarbageAndOversizedEventsAreErrors) {
  EventDecoder d;
  d.Feed("{\"a\":1}\nnot json");
  auto first = d.Next();
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->has_value());
  EXPECT_FALSE(d.Next().ok());

  EventDecoder small(16);
  small.Feed("{\"a\":\"0123456789012345678901234567890\"");
  auto n = small.Next();
  EXPECT_FALSE(n.ok());
}

TEST(TokenBucket, BurstThenSteadyRate) {
  FakeClock clock;
  TokenBucket bucket(10, 100, clock);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(bucket.Reserve(), nanoseconds(0)) << i;
  EXPECT_EQ(bucket.Reserve(), milliseconds(100));
  EXPECT_EQ(bucket.Reserve(), milliseconds(200));  // queued behind the previous reservation
  clock.Advance(milliseconds(100));                // one token earned back, one more owed
  EXPECT_EQ(bucket.Reserve(), milliseconds(200));
  clock.Advance(seconds(100));  // refills up to the burst, not beyond
  for (int i = 0; i < 100; ++i) EXPECT_EQ(bucket.Reserve(), nanoseconds(0));
  EXPECT_GT(bucket.Reserve(), nanoseconds(0));
  TokenBucket off(0, 1, clock);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(off.Reserve(), nanoseconds(0));
}

TEST(RateLimiter, PerItemExponentialCappedAndForgotten) {
  ItemExponentialRateLimiter l(milliseconds(5), seconds(1000));
  EXPECT_EQ(l.When("a"), milliseconds(5));
  EXPECT_EQ(l.When("a"), milliseconds(10));
  EXPECT_EQ(l.When("a"), milliseconds(20));
  EXPECT_EQ(l.When("b"), milliseconds(5));  // keys back off independently
  EXPECT_EQ(l.NumRequeues("a"), 3);
  for (int i = 0; i < 100; ++i) (void)l.When("a");
  EXPECT_EQ(l.When("a"), seconds(1000));
  l.Forget("a");
  EXPECT_EQ(l.NumRequeues("a"), 0);
  EXPECT_EQ(l.When("a"), milliseconds(5));
}

TEST(RateLimiter, DefaultIsTheMaxOfBothLimits) {
  FakeClock clock;
  RateLimiterPtr l = DefaultControllerRateLimiter(clock);
  // 100 different keys: within the burst, each gets its own 5 ms.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(l->When("k" + std::to_string(i)), milliseconds(5));
  // The 101st failure anywhere waits for the bucket (100 ms at 10 qps), more than 5 ms.
  EXPECT_EQ(l->When("other"), milliseconds(100));
  l->Forget("k1");
  EXPECT_EQ(l->NumRequeues("k1"), 0);
  EXPECT_EQ(l->NumRequeues("k2"), 1);
}

TEST(LeaderElection, ConfigFollowsClientGoConstraints) {
  LeaderElectionConfig c;
  c.lease_namespace = "ns";
  c.lease_name = "lock";
  c.identity = "me";
  EXPECT_TRUE(ValidateLeaderElectionConfig(c).ok());  // 15 s / 10 s / 2 s
  auto bad = c;
  bad.identity = "";
  EXPECT_FALSE(ValidateLeaderElectionConfig(bad).ok());
  bad = c;
  bad.renew_deadline = seconds(15);
  EXPECT_FALSE(ValidateLeaderElectionConfig(bad).ok());
  bad = c;
  bad.retry_period = milliseconds(8500);  // 1.2 x 8.5 s > 10 s
  EXPECT_FALSE(ValidateLeaderElectionConfig(bad).ok());
  bad = c;
  bad.lease_name = "";
  EXPECT_FALSE(ValidateLeaderElectionConfig(bad).ok());
}

}  // namespace
}  // namespace edgerepl::kube
