#include "agent/deletes/v2_delete.h"

#include <gtest/gtest.h>

#include "tests/unit/deletes/spec_printer.h"

namespace edgerepl::deletes {
namespace {

using Tags = std::vector<std::pair<std::string, std::string>>;
using K = DeleteSpec::Kind;

constexpr int64_t kT0 = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z

DeleteSpec Spec(std::optional<std::string> m, Tags tags, int64_t start, int64_t stop,
                K kind = K::kDelete) {
  DeleteSpec s;
  s.kind = kind;
  s.measurement = std::move(m);
  s.tags = std::move(tags);
  s.start_ns = start;
  s.stop_ns = stop;
  return s;
}

std::string Body(const std::string& predicate_json) {
  return R"x({"start":"2026-01-01T00:00:00Z","stop":"2026-01-01T00:00:01.000000001Z")x" +
         (predicate_json.empty() ? std::string() : ",\"predicate\":" + predicate_json) + "}";
}

struct ParseCase {
  std::string body;
  DeleteSpec want;
};

TEST(ParseV2DeleteTest, AcceptsInfluxDBsPredicateSyntax) {
  const int64_t stop = kT0 + 1'000'000'001;
  const ParseCase cases[] = {
      {Body(""), Spec(std::nullopt, {}, kT0, stop)},
      {Body(R"x("")x"), Spec(std::nullopt, {}, kT0, stop)},
      {Body(R"x("  ")x"), Spec(std::nullopt, {}, kT0, stop)},
      {Body("null"), Spec(std::nullopt, {}, kT0, stop)},
      {Body(R"x("_measurement=\"cpu\"")x"), Spec("cpu", {}, kT0, stop)},
      {Body(R"x("_measurement=cpu and host=\"a\" AND \"re gion\"=\"e\\\"u\"")x"),
       Spec("cpu", {{"host", "a"}, {"re gion", "e\"u"}}, kT0, stop)},
      {Body(
           R"x("(host=\"a\") AND (_measurement=\"m\" AND x=1 And y=2.5 and z=TRUE and w=false)")x"),
       Spec("m", {{"host", "a"}, {"x", "1"}, {"y", "2.5"}, {"z", "true"}, {"w", "false"}}, kT0,
            stop)},
      {Body(R"x("name=\"n\" AND \"select\"=\"from\"")x"),
       Spec(std::nullopt, {{"name", "n"}, {"select", "from"}}, kT0, stop)},
      {Body(R"x("_measurement=\"m\" AND _measurement=\"m\"")x"), Spec("m", {}, kT0, stop)},
      {Body(R"x("k=\"a\\\\b\\nc\\'d\"")x"), Spec(std::nullopt, {{"k", "a\\b\nc'd"}}, kT0, stop)},
      {R"x({"start":"1677-09-21T00:12:43.145224194Z","stop":"2262-04-11T23:47:16.854775806Z"})x",
       Spec(std::nullopt, {}, kMinTimeNs, kMaxTimeNs)},
      {R"x({"start":"2026-01-01T01:00:00+01:00","stop":"2026-01-01T00:00:00Z"})x",
       Spec(std::nullopt, {}, kT0, kT0)},
      {R"x({"Start":"2026-01-01T00:00:00Z","STOP":"2026-01-01T00:00:00Z","other":1})x",
       Spec(std::nullopt, {}, kT0, kT0)},
  };
  for (const ParseCase& c : cases) {
    Result<DeleteSpec> got = ParseV2Delete(c.body);
    ASSERT_TRUE(got.ok()) << c.body << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want) << c.body;
  }
}

struct RefusalCase {
  std::string body;
  std::string message;
};

TEST(ParseV2DeleteTest, RefusesNamingTheMember) {
  const RefusalCase cases[] = {
      {"", "v2 delete: the body is not JSON"},
      {Body("\"k=\\\"\xc3\\\"\""), "v2 delete: the body is not valid UTF-8"},
      {"[]", "v2 delete: the body is not a JSON object"},
      {R"x({"stop":"2026-01-01T00:00:00Z"})x",
       "v2 delete: \"start\" is required (an RFC 3339 time, e.g. \"2026-01-01T00:00:00Z\")"},
      {R"x({"start":"2026-01-01T00:00:00Z"})x",
       "v2 delete: \"stop\" is required (an RFC 3339 time, e.g. \"2026-01-01T00:00:00Z\")"},
      {R"x({"start":5,"stop":"2026-01-01T00:00:00Z"})x",
       "v2 delete: \"start\" must be an RFC 3339 time string"},
      {R"x({"start":"2026-01-01","stop":"2026-01-01T00:00:00Z"})x",
       "v2 delete: \"start\" is not an RFC 3339 time within InfluxDB's range: \"2026-01-01\""},
      {R"x({"start":"2026-01-01T00:00:00Z","stop":"2300-01-01T00:00:00Z"})x",
       "v2 delete: \"stop\" is not an RFC 3339 time within InfluxDB's range: "
       "\"2300-01-01T00:00:00Z\""},
      {R"x({"start":"2026-01-01T00:00:01Z","stop":"2026-01-01T00:00:00Z"})x",
       "v2 delete: \"start\" is after \"stop\""},
      {Body("5"), "v2 delete: \"predicate\" must be a string"},
      {Body(R"x("a=\"1\" OR b=\"2\"")x"),
       "v2 delete: \"predicate\" uses OR, which InfluxDB's delete does not apply; send one delete "
       "per condition"},
      {Body(R"x("(a=\"1\" or b=\"2\")")x"),
       "v2 delete: \"predicate\" uses OR, which InfluxDB's delete "
       "does not apply; send one delete "
       "per condition"},
      {Body(R"x("a!=\"1\"")x"),
       "v2 delete: \"predicate\" uses !=, which cannot be replicated; a delete names tag values "
       "with = only"},
      {Body(R"x("a=~/x/")x"),
       "v2 delete: \"predicate\" uses a regex (=~), which InfluxDB's delete does not support; "
       "name each value with ="},
      {Body(R"x("a!~/x/")x"),
       "v2 delete: \"predicate\" uses a regex (!~), which InfluxDB's delete does not support; "
       "name each value with ="},
      {Body(R"x("a>\"1\"")x"),
       "v2 delete: \"predicate\" uses \">\"; a delete takes key=\"value\" only"},
      {Body(R"x("_field=\"usage\"")x"),
       "v2 delete: \"predicate\" names _field, which InfluxDB's delete refuses; delete by "
       "measurement and tags"},
      {Body(R"x("_value=\"1\"")x"),
       "v2 delete: \"predicate\" names _value, which InfluxDB's delete refuses; delete by "
       "measurement and tags"},
      {Body(R"x("TiMe=\"a\"")x"),
       "v2 delete: \"predicate\" names the tag key \"TiMe\", which cannot be replicated: "
       "InfluxQL takes it for the time, so a v1 remote could not repeat the delete"},
      {Body(R"x("_measurement=\"a\" AND _measurement=\"b\"")x"),
       "v2 delete: \"predicate\" names two measurements; send one delete per measurement"},
      {Body(R"x("host='a'")x"),
       "v2 delete: \"predicate\" value \"'a'\" is single-quoted; write it double-quoted "
       "(\"value\")"},
      {Body(R"x("select=\"a\"")x"),
       "v2 delete: \"predicate\" key \"select\" is an InfluxQL keyword; double-quote it"},
      {Body(R"x("host=select")x"),
       "v2 delete: \"predicate\" expected a double-quoted value after \"host\"=, found "
       "\"select\""},
      {Body(R"x("host=\"a\" region=\"b\"")x"),
       "v2 delete: \"predicate\" expected AND or the end of the predicate, found \"region\""},
      {Body(R"x("host=\"a")x"), "v2 delete: \"predicate\" unterminated quoted identifier"},
      {Body(R"x("(host=\"a\"")x"), "v2 delete: \"predicate\" expected ')', found the end"},
      {Body(R"x("host")x"), "v2 delete: \"predicate\" expected = after \"host\", found the end"},
      {Body(R"x("=\"a\"")x"), "v2 delete: \"predicate\" expected a key, found \"=\""},
      {Body(R"x("host=server-1")x"),
       "v2 delete: \"predicate\" expected AND or the end of the predicate, found \"-\""},
  };
  for (const RefusalCase& c : cases) {
    Result<DeleteSpec> got = ParseV2Delete(c.body);
    ASSERT_FALSE(got.ok()) << c.body;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message().substr(0, c.message.size()), c.message) << c.body;
  }
}

TEST(RenderV2BodyTest, RendersInfluxDBsBody) {
  EXPECT_EQ(RenderV2Body(Spec("cpu", {{"host", "a\"b"}}, kT0, kT0 + 1)),
            R"x({"start":"2026-01-01T00:00:00Z","stop":"2026-01-01T00:00:00.000000001Z",)x"
            R"x("predicate":"\"_measurement\"=\"cpu\" AND \"host\"=\"a\\\"b\""})x");
  EXPECT_EQ(
      RenderV2Body(Spec(std::nullopt, {}, kMinTimeNs, kMaxTimeNs)),
      R"x({"start":"1677-09-21T00:12:43.145224194Z","stop":"2262-04-11T23:47:16.854775806Z"})x");
}

TEST(RenderV2BodyTest, ParsesBackToTheSameSpec) {
  const std::vector<DeleteSpec> specs = {
      Spec(std::nullopt, {}, kMinTimeNs, kMaxTimeNs),
      Spec("cpu", {}, 0, 0),
      Spec(std::nullopt, {{"host", "a"}, {"host", "b"}}, -1, 1),
      Spec("m", {{"k", "v"}}, kMinTimeNs + 1, kMaxTimeNs - 1),
      Spec("we\"ird\\ \n\t'm,=", {{"k \"q\"", "v\\'\n"}, {"", ""}, {"and", "or"}}, kT0, kT0 + 123),
      Spec("température", {{"région", "東京"}, {"name", "select"}}, kMinTimeNs, kMinTimeNs),
      Spec("m", {{"x", "1"}}, kMaxTimeNs, kMaxTimeNs),
  };
  for (const DeleteSpec& s : specs) {
    std::string body = RenderV2Body(s);
    Result<DeleteSpec> back = ParseV2Delete(body);
    ASSERT_TRUE(back.ok()) << body << ": " << back.status().ToString();
    EXPECT_EQ(*back, s) << body;
  }
  // A v2 remote has no DROP SERIES: it comes back as the delete over all time it is there.
  DeleteSpec drop = Spec("cpu", {{"host", "a"}}, kMinTimeNs, kMaxTimeNs, K::kDropSeries);
  Result<DeleteSpec> back = ParseV2Delete(RenderV2Body(drop));
  ASSERT_TRUE(back.ok());
  drop.kind = K::kDelete;
  EXPECT_EQ(*back, drop);
}

}  // namespace
}  // namespace edgerepl::deletes
