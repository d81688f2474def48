#include "agent/deletes/influxql_delete.h"

#include <gtest/gtest.h>

#include "tests/unit/deletes/spec_printer.h"

namespace edgerepl::deletes {
namespace {

using Tags = std::vector<std::pair<std::string, std::string>>;
using K = DeleteSpec::Kind;

constexpr int64_t kNow = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kHour = 3'600'000'000'000;

DeleteSpec Spec(K kind, std::optional<std::string> m, Tags tags = {}, int64_t start = kMinTimeNs,
                int64_t stop = kMaxTimeNs) {
  DeleteSpec s;
  s.kind = kind;
  s.measurement = std::move(m);
  s.tags = std::move(tags);
  s.start_ns = start;
  s.stop_ns = stop;
  return s;
}

TEST(SplitStatementsTest, SplitsAtSemicolonsOutsideQuotesAndRegexes) {
  EXPECT_EQ(SplitStatements(""), std::vector<std::string>{});
  EXPECT_EQ(SplitStatements(" ; ;\n"), std::vector<std::string>{});
  EXPECT_EQ(SplitStatements("SELECT * FROM cpu; DELETE FROM cpu"),
            (std::vector<std::string>{"SELECT * FROM cpu", "DELETE FROM cpu"}));
  EXPECT_EQ(SplitStatements("  DELETE FROM \"a;b\" WHERE \"k;\"='v;\\';x' ;  DROP SERIES FROM c;"),
            (std::vector<std::string>{"DELETE FROM \"a;b\" WHERE \"k;\"='v;\\';x'",
                                      "DROP SERIES FROM c"}));
  EXPECT_EQ(SplitStatements("SELECT * FROM /a;b/; SHOW TAG VALUES WITH KEY =~ /x;y\\/z;/;x"),
            (std::vector<std::string>{"SELECT * FROM /a;b/",
                                      "SHOW TAG VALUES WITH KEY =~ /x;y\\/z;/", "x"}));
  EXPECT_EQ(SplitStatements("SELECT a / b FROM m; SELECT c / 2 FROM /x;/, n"),
            (std::vector<std::string>{"SELECT a / b FROM m", "SELECT c / 2 FROM /x;/, n"}));
  EXPECT_EQ(SplitStatements("SELECT * FROM m GROUP BY /a;b/;DELETE FROM m"),
            (std::vector<std::string>{"SELECT * FROM m GROUP BY /a;b/", "DELETE FROM m"}));
  EXPECT_EQ(SplitStatements("SELECT 1 -- a; comment\n; DELETE /* ; */ FROM m"),
            (std::vector<std::string>{"SELECT 1 -- a; comment", "DELETE /* ; */ FROM m"}));
  // An unterminated quote runs to the end: nothing after it is a statement of its own.
  EXPECT_EQ(SplitStatements("SELECT 'a; DELETE FROM m"),
            (std::vector<std::string>{"SELECT 'a; DELETE FROM m"}));
}

TEST(IsDeleteStatementTest, KeywordsInAnyCase) {
  for (const char* s : {"DELETE FROM cpu", "delete where time < 0", "DeLeTe",
                        "drop   series from m", "DROP\n\tSERIES WHERE a='b'",
                        "  /* c */ DELETE FROM m", "DELETE\"x\"", "-- c\nDROP SERIES FROM m"}) {
    EXPECT_TRUE(IsDeleteStatement(s)) << s;
  }
  for (const char* s : {"", "DELETEx FROM m", "DROP SERIESX", "DROP MEASUREMENT m", "DROP",
                        "SELECT * FROM m; DELETE FROM m", "\"DELETE\" FROM m", "SHOW SERIES",
                        "'DELETE'", "drop_series"}) {
    EXPECT_FALSE(IsDeleteStatement(s)) << s;
  }
  std::vector<std::string> split = SplitStatements("SELECT * FROM m; DELETE FROM m");
  ASSERT_EQ(split.size(), 2u);
  EXPECT_FALSE(IsDeleteStatement(split[0]));
  EXPECT_TRUE(IsDeleteStatement(split[1]));
}

struct ParseCase {
  std::string statement;
  DeleteSpec want;
};

TEST(ParseInfluxQLDeleteTest, AcceptsWhatBothAPIsExpress) {
  const ParseCase cases[] = {
      {"DELETE FROM cpu", Spec(K::kDelete, "cpu")},
      {"delete from \"c\\\"p u\"", Spec(K::kDelete, "c\"p u")},
      {"DELETE FROM /.*/", Spec(K::kDelete, std::nullopt)},
      {"DELETE WHERE host = 'a'", Spec(K::kDelete, std::nullopt, {{"host", "a"}})},
      {"DELETE FROM cpu WHERE \"ho\\\"st\"='a\\'b\\\\c\\nd'",
       Spec(K::kDelete, "cpu", {{"ho\"st", "a'b\\c\nd"}})},
      {"DELETE FROM cpu WHERE 'a' = host", Spec(K::kDelete, "cpu", {{"host", "a"}})},
      {"DELETE WHERE time >= 1000 AND time <= 2000",
       Spec(K::kDelete, std::nullopt, {}, 1000, 2000)},
      {"DELETE WHERE time > 1000 AND time < 2000", Spec(K::kDelete, std::nullopt, {}, 1001, 1999)},
      {"DELETE WHERE 1000 < time AND 2000 >= time", Spec(K::kDelete, std::nullopt, {}, 1001, 2000)},
      {"DELETE WHERE time = 1500", Spec(K::kDelete, std::nullopt, {}, 1500, 1500)},
      {"DELETE WHERE TIME >= 1 AND \"time\" >= 5 AND time > 3 AND time <= 10 AND time < 9",
       Spec(K::kDelete, std::nullopt, {}, 5, 8)},
      {"DELETE WHERE time > now() - 1h", Spec(K::kDelete, std::nullopt, {}, kNow - kHour + 1)},
      {"DELETE WHERE time < now() + 30m - 10s",
       Spec(K::kDelete, std::nullopt, {}, kMinTimeNs, kNow + 1800'000'000'000 - 10'000'000'001)},
      {"DELETE WHERE time >= '2026-01-01T00:00:00Z'", Spec(K::kDelete, std::nullopt, {}, kNow)},
      {"DELETE WHERE time >= '2026-01-01T01:00:00.5+01:00'",
       Spec(K::kDelete, std::nullopt, {}, kNow + 500'000'000)},
      {"DELETE WHERE time >= '2026-01-01 00:00:01'",
       Spec(K::kDelete, std::nullopt, {}, kNow + 1'000'000'000)},
      {"DELETE WHERE time >= '2026-01-01'", Spec(K::kDelete, std::nullopt, {}, kNow)},
      {"DELETE WHERE time <= '2026-01-01T00:00:00Z' - 1d",
       Spec(K::kDelete, std::nullopt, {}, kMinTimeNs, kNow - 24 * kHour)},
      {"DELETE WHERE time >= 1h30m", Spec(K::kDelete, std::nullopt, {}, 90 * 60'000'000'000LL)},
      {"DELETE WHERE time >= 1w AND time <= 2w",
       Spec(K::kDelete, std::nullopt, {}, 7 * 24 * kHour, 14 * 24 * kHour)},
      {"DELETE WHERE time >= 5u AND time <= 7\xC2\xB5",
       Spec(K::kDelete, std::nullopt, {}, 5000, 7000)},
      {"DELETE WHERE time >= 5ms AND time <= 10ns + 5ms",
       Spec(K::kDelete, std::nullopt, {}, 5'000'000, 5'000'010)},
      {"DELETE WHERE time >= 0 + 1s AND time <= 2s - 1ns",
       Spec(K::kDelete, std::nullopt, {}, 1'000'000'000, 1'999'999'999)},
      {"DELETE WHERE time >= -5000 AND time < -1", Spec(K::kDelete, std::nullopt, {}, -5000, -2)},
      {"DELETE WHERE time >= -9223372036854775806", Spec(K::kDelete, std::nullopt)},
      {"DELETE WHERE time <= 9223372036854775806", Spec(K::kDelete, std::nullopt)},
      // Beyond InfluxDB's range is all time, as InfluxDB clamps it.
      {"DELETE WHERE time > -9223372036854775808 AND time < 9223372036854775807",
       Spec(K::kDelete, std::nullopt)},
      {"DELETE FROM cpu WHERE (host='a' AND (time >= 1)) AND (region = 'eu')",
       Spec(K::kDelete, "cpu", {{"host", "a"}, {"region", "eu"}}, 1)},
      {"DELETE FROM cpu WHERE host='a' AND host='b'",
       Spec(K::kDelete, "cpu", {{"host", "a"}, {"host", "b"}})},
      {"DELETE /* why */ FROM cpu -- done", Spec(K::kDelete, "cpu")},
      {"DROP SERIES FROM cpu", Spec(K::kDropSeries, "cpu")},
      {"drop series where \"host\" = 'a'", Spec(K::kDropSeries, std::nullopt, {{"host", "a"}})},
      {"DROP SERIES FROM /.*/", Spec(K::kDropSeries, std::nullopt)},
      {"DROP SERIES FROM \"m\" WHERE a='1' AND b='2'",
       Spec(K::kDropSeries, "m", {{"a", "1"}, {"b", "2"}})},
  };
  for (const ParseCase& c : cases) {
    Result<DeleteSpec> got = ParseInfluxQLDelete(c.statement, kNow);
    ASSERT_TRUE(got.ok()) << c.statement << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want) << c.statement;
  }
}

struct RefusalCase {
  std::string statement;
  std::string message;
};

TEST(ParseInfluxQLDeleteTest, RefusesWithAMessageToActOn) {
  const RefusalCase cases[] = {
      {"SELECT * FROM cpu", "delete: expected DELETE or DROP SERIES, found \"SELECT\""},
      {"DELETE", "DELETE: expected FROM or WHERE, found the end of the statement"},
      {"DROP SERIES", "DROP SERIES: expected FROM or WHERE, found the end of the statement"},
      {"DELETE FROM", "DELETE: expected a measurement after FROM, found the end of the statement"},
      {"DELETE FROM WHERE a='b'", "DELETE: expected a measurement after FROM, found \"WHERE\""},
      {"DELETE WHERE host='a' OR host='b'",
       "DELETE: \"OR\" is not supported when deletes are replicated; send one delete per "
       "condition"},
      {"DELETE WHERE (host='a' OR host='b') AND time > 0",
       "DELETE: \"OR\" is not supported when deletes are replicated; send one delete per "
       "condition"},
      {"DELETE WHERE host != 'a'",
       "DELETE: \"!=\" (in host != 'a') is not supported when deletes are replicated; a "
       "replicated delete names tag values with = only"},
      {"DELETE WHERE host <> 'a'",
       "DELETE: \"<>\" (in host <> 'a') is not supported when deletes are replicated; a "
       "replicated delete names tag values with = only"},
      {"DELETE WHERE host =~ /a/",
       "DELETE: a regex condition (=~) is not supported when deletes are replicated; name each "
       "tag value with ="},
      {"DROP SERIES WHERE host !~ /a/",
       "DROP SERIES: a regex condition (!~) is not supported when deletes are replicated; name "
       "each tag value with ="},
      {"DELETE FROM /cpu.*/",
       "DELETE: a regex in FROM (\"/cpu.*/\") is not supported when deletes are replicated; name "
       "one measurement, or send one delete per measurement"},
      {"DELETE FROM cpu, mem",
       "DELETE: a list of measurements in FROM is not supported when deletes are replicated; "
       "send one delete per measurement"},
      {"DELETE FROM db.rp.cpu",
       "DELETE: a qualified measurement (db.rp...) is not supported when deletes are "
       "replicated; a delete acts on every retention policy of the request's database; name the "
       "measurement alone"},
      {"DELETE FROM \"autogen\".\"cpu\"",
       "DELETE: a qualified measurement (\"autogen\".\"cpu\"...) is not supported when deletes "
       "are replicated; a delete acts on every retention policy of the request's database; name "
       "the measurement alone"},
      {"DELETE ON db FROM cpu",
       "DELETE: ON <database> is not supported when deletes are replicated; the delete acts on "
       "the request's database (the db parameter)"},
      {"DELETE WHERE value > 5",
       "DELETE: comparing a tag or field with > (in value > 5) is not supported when deletes "
       "are replicated; a replicated delete takes tag = 'value' and time conditions only"},
      {"DELETE WHERE value = 5",
       "DELETE: the condition value = 5 is not supported when deletes are replicated; compare a "
       "tag with a 'single-quoted string' (conditions on fields cannot be deleted by)"},
      {"DELETE WHERE host = \"a\"",
       "DELETE: the condition host = \"a\" is not supported when deletes are replicated; compare "
       "a tag with a 'single-quoted string' (conditions on fields cannot be deleted by)"},
      {"DELETE WHERE 'a' = 'b'", "DELETE: the condition 'a' = 'b' names no tag and no time"},
      {"DROP SERIES FROM cpu WHERE time > 0",
       "DROP SERIES: a time condition (time > 0) is refused by InfluxDB in DROP SERIES; use "
       "DELETE to remove a time range"},
      {"DELETE WHERE time != 5",
       "DELETE: \"!=\" on time (in time != 5) is not supported when deletes are replicated; give "
       "the range with >, >=, <, <= or ="},
      {"DELETE WHERE time > 3000 AND time < 2000",
       "DELETE: the time conditions select no time (from 3001 to 1999 ns)"},
      {"DELETE WHERE time > 9223372036854775806",
       "DELETE: the time conditions select no time (from 9223372036854775807 to "
       "9223372036854775806 ns)"},
      {"DELETE WHERE time >= 1.5",
       "DELETE: time is compared with the number 1.5 in time >= 1.5; write the time as an "
       "integer of nanoseconds or an RFC 3339 string"},
      {"DELETE WHERE time >= 99999999999999999999",
       "DELETE: the integer 99999999999999999999 in time >= 99999999999999999999 is out of "
       "range"},
      {"DELETE WHERE time >= 'yesterday'",
       "DELETE: 'yesterday' in time >= 'yesterday' is not a time: write RFC 3339 "
       "('2026-01-01T00:00:00Z') or nanoseconds"},
      {"DELETE WHERE time >= host", "DELETE: time is compared with the name \"host\""},
      {"DELETE WHERE time >= 1s - now()",
       "DELETE: in time >= 1s - now(), only durations or integers can be added to a time"},
      {"DELETE WHERE time >= now", "DELETE: now must be called as now()"},
      {"DELETE WHERE time >= now() * 2",
       "DELETE: arithmetic with \"*\" is not supported when deletes are replicated; write the "
       "time as one value, optionally +/- durations"},
      {"DELETE WHERE time > 0 host = 'a'",
       "DELETE: expected AND or the end of the statement, found \"host\""},
      {"DELETE WHERE (host = 'a'", "DELETE: expected ')', found the end of the statement"},
      {"DELETE WHERE host = 'a", "DELETE: unterminated string"},
      {"DELETE FROM \"cpu", "DELETE: unterminated quoted identifier"},
      {"DELETE WHERE host = 'a\\qb'", "DELETE: bad escape \\q (InfluxQL takes \\n \\\\ \\\" \\')"},
      {"DELETE FROM cpu; DELETE FROM mem", "DELETE: one statement at a time (found ';')"},
      {"DELETE FROM cpu WHERE",
       "DELETE: expected a tag, time or value, found the end of the "
       "statement"},
      {"DELETE FROM cpu WHERE host",
       "DELETE: expected a comparison (=, <, <=, >, >=), found the "
       "end of the statement"},
      {"DELETE WHERE time > 5sec", "DELETE: bad duration literal"},
      {"DELETE WHERE _measurement = 'cpu'",
       "DELETE: the tag key \"_measurement\" is not supported when deletes are replicated; the "
       "v2 delete API takes it for the measurement, so a v2 remote would delete another thing"},
      {"DROP SERIES WHERE \"_field\" = 'usage'",
       "DROP SERIES: the tag key \"_field\" is not supported when deletes are replicated; the v2 "
       "delete API refuses it, so a v2 remote could not repeat the delete"},
      {"DELETE FROM \"c\xffpu\"",
       "delete: the statement is not valid UTF-8 (InfluxDB would read other bytes as U+FFFD)"},
      {"DELETE WHERE k='\xed\xa0\x80'",
       "delete: the statement is not valid UTF-8 (InfluxDB would read other bytes as U+FFFD)"},
      {"DELETE WHERE k='\xc0\x80'",
       "delete: the statement is not valid UTF-8 (InfluxDB would read other bytes as U+FFFD)"},
      {"DELETE WHERE k='\xe2\x82'",
       "delete: the statement is not valid UTF-8 (InfluxDB would read other bytes as U+FFFD)"},
  };
  for (const RefusalCase& c : cases) {
    Result<DeleteSpec> got = ParseInfluxQLDelete(c.statement, kNow);
    ASSERT_FALSE(got.ok()) << c.statement;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), c.message) << c.statement;
  }
}

std::vector<DeleteSpec> RoundTripSpecs() {
  return {
      Spec(K::kDelete, std::nullopt),
      Spec(K::kDelete, "cpu"),
      Spec(K::kDelete, std::nullopt, {{"host", "a"}}),
      Spec(K::kDelete, std::nullopt, {}, 0, 0),
      Spec(K::kDelete, std::nullopt, {}, kMinTimeNs + 1, kMaxTimeNs - 1),
      Spec(K::kDelete, std::nullopt, {}, kMinTimeNs, kMinTimeNs),
      Spec(K::kDelete, std::nullopt, {}, kMaxTimeNs, kMaxTimeNs),
      Spec(K::kDelete, std::nullopt, {}, -1, kMaxTimeNs),
      Spec(K::kDelete, "m", {{"k", "v"}, {"k", "w"}}, -5'000, 17),
      Spec(K::kDelete, "we\"ird\\ \n\t'm,=;/*x*/ --y", {{"k \"q\" ;", "v\\'\n;"}, {"", ""}}, 1, 2),
      Spec(K::kDelete, "température", {{"région", "東京"}, {"select", "from"}}, kMinTimeNs, 5),
      // (A tag key "time" cannot be said: InfluxQL takes it for the time; InfluxDB refuses it.)
      Spec(K::kDelete, "time", {{"now()", "now()"}}),
      Spec(K::kDropSeries, std::nullopt),
      Spec(K::kDropSeries, "cpu"),
      Spec(K::kDropSeries, std::nullopt, {{"host", "a"}}),
      Spec(K::kDropSeries, "c\"pu", {{"h\\ost", "'a'"}, {"r", "b"}}),
  };
}

TEST(RenderInfluxQLTest, ParsesBackToTheSameSpec) {
  for (const DeleteSpec& s : RoundTripSpecs()) {
    std::string q = RenderInfluxQL(s);
    EXPECT_TRUE(IsDeleteStatement(q)) << q;
    EXPECT_EQ(SplitStatements(q), std::vector<std::string>{q});
    for (int64_t now : {int64_t{0}, kNow}) {
      Result<DeleteSpec> back = ParseInfluxQLDelete(q, now);
      ASSERT_TRUE(back.ok()) << q << ": " << back.status().ToString();
      EXPECT_EQ(*back, s) << q;
    }
  }
}

TEST(RenderInfluxQLTest, RendersTheFormsInfluxDBTakes) {
  EXPECT_EQ(RenderInfluxQL(Spec(K::kDelete, "cpu", {{"host", "a"}}, 1000, 2000)),
            "DELETE FROM \"cpu\" WHERE \"host\"='a' AND time >= 1000 AND time <= 2000");
  EXPECT_EQ(RenderInfluxQL(Spec(K::kDelete, std::nullopt)), "DELETE FROM /.*/");
  EXPECT_EQ(RenderInfluxQL(Spec(K::kDelete, std::nullopt, {}, 5)), "DELETE WHERE time >= 5");
  EXPECT_EQ(RenderInfluxQL(Spec(K::kDropSeries, std::nullopt)), "DROP SERIES FROM /.*/");
  EXPECT_EQ(RenderInfluxQL(Spec(K::kDropSeries, std::nullopt, {{"k", "it's"}})),
            "DROP SERIES WHERE \"k\"='it\\'s'");
  EXPECT_EQ(RenderInfluxQL(Spec(K::kDelete, "a\"b\\c")), "DELETE FROM \"a\\\"b\\\\c\"");
  // DROP SERIES cannot carry a time range in InfluxQL: the range is deleted, nothing more.
  EXPECT_EQ(RenderInfluxQL(Spec(K::kDropSeries, "m", {}, 1, 2)),
            "DELETE FROM \"m\" WHERE time >= 1 AND time <= 2");
}

}  // namespace
}  // namespace edgerepl::deletes
