// What a v1 remote is sent for a delete must delete what the client's statement deleted: for
// each statement, the same points go to two databases of a real InfluxDB 1.x, the statement runs
// on one and RenderInfluxQL(ParseInfluxQLDelete(statement)) on the other, and what remains (points
// and series) must be the same.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "agent/deletes/influxql_delete.h"
#include "tests/support/servers.h"

namespace edgerepl::deletes {
namespace {

using edgerepl::testing::Influxd;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Points around the bounds the statements name, and an hour either side of now() - 1h, so the
// few milliseconds between the two statements' now() cannot matter.
std::string Fixture(int64_t now) {
  const int64_t hour = 3'600'000'000'000;
  std::string body;
  for (const char* series :
       {"cpu,host=a,region=eu", "cpu,host=b,region=eu", "cpu,host=a,region=us", "mem,host=a",
        "mem,host=c", R"(c\ p"u,ho"st=it's)", R"(c\ p"u,ho"st=say\ "hi")", "disk,path=/var"}) {
    int n = 0;
    for (int64_t t :
         {int64_t{-5000}, int64_t{0}, int64_t{1000}, int64_t{1999}, int64_t{2000}, int64_t{2001},
          int64_t{3000}, int64_t{86'400'000'000'000}, now - 2 * hour, now - hour / 2, now + hour}) {
      body += std::string(series) + " v=" + std::to_string(++n) + " " + std::to_string(t) + "\n";
    }
  }
  return body;
}

struct Case {
  std::string statement;
  bool removes_points;  // so a statement that deletes nothing cannot pass by accident
};

const Case kCases[] = {
    {"DELETE FROM cpu", true},
    {"DELETE FROM \"cpu\" WHERE \"host\"='a'", true},
    {"DELETE WHERE time >= 1000 AND time <= 2000", true},
    {"DELETE WHERE time > 1000 AND time < 3000", true},
    {"DELETE WHERE time > now() - 1h", true},
    {"DELETE FROM mem WHERE time < now() - 1h30m", true},
    {"DELETE WHERE time >= '1970-01-01T00:00:00.000002Z'", true},
    {"DELETE WHERE time <= '1970-01-01 00:00:00.000002'", true},
    {"DELETE WHERE time >= '1970-01-02' AND time < now()", true},
    {"DELETE WHERE time = 2000", true},
    {"DELETE WHERE 1999 < time AND time <= 3u", true},
    {"delete from cpu where time > 1u - 1ns and time < 2\xC2\xB5 + 1ns", true},
    {"DELETE WHERE time >= 1d AND time <= 1w", true},
    {"DELETE WHERE time < 0", true},
    {"DELETE FROM \"c p\\\"u\" WHERE \"ho\\\"st\"='it\\'s'", true},
    {"DELETE WHERE \"ho\\\"st\" = 'say \"hi\"' AND time >= 0", true},
    {"DELETE FROM disk WHERE path='/var'", true},
    {"DELETE FROM cpu WHERE (host='a' AND time >= 1000) AND region='eu'", true},
    {"DELETE FROM mem", true},
    {"DELETE WHERE host='a'", true},
    {"DELETE WHERE time >= -9223372036854775806", true},
    {"DELETE WHERE time <= 9223372036854775806", true},
    {"DELETE FROM /.*/", true},
    {"DELETE WHERE host='nobody'", false},
    {"DELETE FROM nothing", false},
    {"DROP SERIES FROM cpu WHERE host='b'", true},
    {"DROP SERIES WHERE region='eu'", true},
    {"DROP SERIES FROM mem", true},
    {"DROP SERIES WHERE \"ho\\\"st\"='it\\'s'", true},
    {"DROP SERIES FROM /.*/", true},
};

TEST(InfluxQLDeleteTest, RenderedStatementDeletesWhatTheOriginalDeleted) {
  if (!Influxd::Available()) GTEST_SKIP() << "influxd not installed (Debian package influxdb)";
  Influxd influxd;
  influxd.Start();
  const std::string select_all = "SELECT * FROM /.*/";
  int i = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.statement);
    const std::string original = "orig" + std::to_string(i);
    const std::string rendered = "rend" + std::to_string(i);
    ++i;
    const std::string fixture = Fixture(NowNs());
    for (const std::string& db : {original, rendered}) {
      influxd.CreateDatabase(db);
      ASSERT_EQ(influxd.Write(db, fixture), 204);
    }
    const std::string before = influxd.Query(select_all, original);
    ASSERT_NE(before.find("\"series\""), std::string::npos) << before;

    const int64_t now = NowNs();
    std::string answer = influxd.Query(c.statement, original);
    ASSERT_EQ(answer, "{\"results\":[{\"statement_id\":0}]}\n") << "InfluxDB refused the original";

    Result<DeleteSpec> spec = ParseInfluxQLDelete(c.statement, now);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    const std::string statement = RenderInfluxQL(*spec);
    answer = influxd.Query(statement, rendered);
    ASSERT_EQ(answer, "{\"results\":[{\"statement_id\":0}]}\n")
        << "InfluxDB refused the rendered " << statement;

    const std::string after = influxd.Query(select_all, original);
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after, influxd.Query(select_all, rendered)) << "rendered: " << statement;
    EXPECT_EQ(influxd.Query("SHOW SERIES", original), influxd.Query("SHOW SERIES", rendered))
        << "rendered: " << statement;
    EXPECT_EQ(after != before, c.removes_points) << "before: " << before << "\nafter: " << after;
  }
}

}  // namespace
}  // namespace edgerepl::deletes
