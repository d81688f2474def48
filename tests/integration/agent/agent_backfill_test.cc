// Backfill against real influxd servers: history already in the local database reaches a fresh
// remote exactly (every field type, tags and keys that need escaping, nanosecond timestamps), a
// sub-range only, while live writes keep flowing; and an agent killed mid-backfill resumes and
// still delivers every point.
//
// EDGEREPL_BACKFILL_POINTS sets the bulk size (default 50000; scripts/bench-backfill.sh runs a
// million) and the run prints the backfill's rate and the live replication latency with and
// without a backfill running, the numbers docs/benchmarks.md quotes.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "common/config/timestamp.h"
#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr int64_t kMinuteNs = 60LL * 1'000'000'000;

long long BulkPoints() {
  const char* v = std::getenv("EDGEREPL_BACKFILL_POINTS");
  long long n = v ? std::atoll(v) : 0;
  return n > 0 ? n : 50000;
}

// The agent's own RFC 3339 form, as the config and the admin call take it.
std::string Rfc3339(int64_t ns) {
  return config::FormatTimestamp(ns);
}

// The "backfill" object of the replication's status; empty when there is none.
std::string BackfillJson(AgentProcess& agent) {
  std::string status = agent.Admin("/api/v1/replications/rep-1");
  size_t at = status.find("\"backfill\":");
  return at == std::string::npos ? "" : status.substr(at);
}

bool WaitBackfill(AgentProcess& agent, const std::string& state, seconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (JsonStr(BackfillJson(agent), "state") == state) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

// SELECT count(*) of a measurement over a time range, summed over its fields' counts.
long long Count(Influxd& db, const std::string& measurement, const std::string& where) {
  std::string out = db.Query("SELECT count(*) FROM " + measurement + where, "db");
  size_t at = out.find("\"values\":[[");
  if (at == std::string::npos) return 0;
  at = out.find(',', at);
  long long total = 0;
  while (at != std::string::npos && out[at] == ',') {
    total += std::atoll(out.c_str() + at + 1);
    at = out.find_first_of(",]", at + 1);
  }
  return total;
}

class AgentBackfillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EDGEREPL_REQUIRE_SERVERS();
    local_.Start();
    remote_.Start();
    local_.CreateDatabase("db");
    remote_.CreateDatabase("db");
  }

  void StartAgent(const std::string& replication_extra) {
    agent_ = std::make_unique<AgentProcess>(
        dir_, AgentBody(local_.url(), dir_.Join("data"), remote_.url(), "", "",
                        "    batch: {maxPoints: 5000}\n" + replication_extra));
    ASSERT_TRUE(agent_->Start()) << agent_->Log();
  }

  // `n` points over three measurements and every field type, spread evenly over two hours that
  // end an hour ago; written straight to the local database, as history is.
  void WriteBulk(long long n) {
    bulk_start_ = BaseNs() - 120 * kMinuteNs;
    const int64_t step = std::max<int64_t>(1, 120 * kMinuteNs / n);
    std::string body;
    for (long long i = 0; i < n; ++i) {
      static const char* kMeasurements[] = {"cpu", "disk", "events"};
      body += std::string(kMeasurements[i % 3]) + ",host=h" + std::to_string(i % 10) + ",region=r" +
              std::to_string(i % 3) + " f=" + std::to_string(i) +
              ".37,n=" + std::to_string(i * 1000003 - 500000000) + "i,s=\"s" + std::to_string(i) +
              "\",b=" + (i % 2 ? "true" : "false") + " " + std::to_string(bulk_start_ + i * step) +
              "\n";
      if ((i + 1) % 5000 == 0 || i + 1 == n) {
        ASSERT_EQ(local_.Write("db", body), 204);
        body.clear();
      }
    }
  }

  // Live replication latency: a write through the agent until it is visible at the remote.
  std::vector<double> LiveLatencies(int samples, int first) {
    std::vector<double> out;
    for (int i = first; i < first + samples; ++i) {
      auto start = steady_clock::now();
      EXPECT_EQ(agent_->WriteV1("db=db", "live,k=" + std::to_string(i) + " v=1i\n"), 204);
      while (Count(remote_, "live", " WHERE k='" + std::to_string(i) + "'") == 0) {
        if (steady_clock::now() - start > seconds(30)) break;
        std::this_thread::sleep_for(milliseconds(2));
      }
      out.push_back(std::chrono::duration<double, std::milli>(steady_clock::now() - start).count());
      std::this_thread::sleep_for(milliseconds(20));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void ExpectRangeIdentical(int64_t from, int64_t to) {
    const std::string where =
        " WHERE time >= " + std::to_string(from) + " AND time < " + std::to_string(to);
    for (const char* m : {"cpu", "disk", "events"}) {
      long long local_count = Count(local_, m, where);
      EXPECT_GT(local_count, 0) << m;
      EXPECT_EQ(Count(remote_, m, where), local_count) << m;
      // Every value, type and tag: the answers to the same query are the same text.
      const std::string q = std::string("SELECT * FROM ") + m + where + " GROUP BY *";
      std::string l = local_.Query(q, "db");
      std::string r = remote_.Query(q, "db");
      EXPECT_FALSE(l.empty());
      EXPECT_TRUE(l == r) << m << ": the remote's points differ from the local's";
      // Nothing outside the range was copied.
      EXPECT_EQ(
          Count(remote_, m,
                " WHERE time < " + std::to_string(from) + " OR time >= " + std::to_string(to)),
          0)
          << m;
    }
  }

  TempDir dir_;
  Influxd local_;
  Influxd remote_;
  std::unique_ptr<AgentProcess> agent_;
  int64_t bulk_start_ = 0;
};

TEST_F(AgentBackfillTest, EveryFieldTypeAndEscapeRoundTripsExactly) {
  const int64_t t = BaseNs() - 10 * kMinuteNs;
  const std::string body =
      "weird\\,name\\ x,tag\\ key=a\\,b\\=c\\ d,z=\xc3\xa9t\xc3\xa9 "
      "f=1.5,g=1,h=-0.1,i=1.7976931348623157e+308,j=5e-324,k=123456789012345678i,"
      "l=-9223372036854775808i,m=9223372036854775807i,"
      "s=\"quote \\\" backslash \\\\ comma, eq= space\",u=\"\xe2\x82\xac \",t=true,x=false,"
      "field\\ with\\ space=2i,field\\=eq=3i,field\\,comma=\"v\" " +
      std::to_string(t + 1) +
      "\n"
      "plain v=0.30000000000000004 " +
      std::to_string(t + 999'999'999) +
      "\n"
      "plain w=\"\" " +
      std::to_string(t + 1'000'000'000) + "\n";
  std::string response;
  ASSERT_EQ(local_.Write("db", body, "n", &response), 204) << response;
  StartAgent("    backfill: {from: \"" + Rfc3339(t) + "\", to: \"" + Rfc3339(t + 2'000'000'000) +
             "\"}\n");
  ASSERT_TRUE(WaitBackfill(*agent_, "Complete", seconds(60)))
      << BackfillJson(*agent_) << agent_->Log();
  EXPECT_EQ(JsonInt(BackfillJson(*agent_), "points"), 3);
  for (const std::string q :
       {"SELECT * FROM /.*/ GROUP BY *", "SHOW FIELD KEYS", "SHOW TAG KEYS", "SHOW SERIES"}) {
    std::string l = local_.Query(q, "db");
    std::string r = remote_.Query(q, "db");
    EXPECT_FALSE(l.empty()) << q;
    EXPECT_EQ(r, l) << q;
  }
}

TEST_F(AgentBackfillTest, SubRangeReachesAFreshRemoteExactlyWhileLiveWritesFlow) {
  const long long n = BulkPoints();
  WriteBulk(n);
  const int64_t from = bulk_start_ + 30 * kMinuteNs;
  const int64_t to = bulk_start_ + 90 * kMinuteNs;

  // The same agent set-up without a backfill first: the baseline live latency.
  StartAgent("");
  std::vector<double> baseline = LiveLatencies(30, 0);
  agent_->Stop();

  StartAgent("    backfill: {from: \"" + Rfc3339(from) + "\", to: \"" + Rfc3339(to) +
             "\", maxPointsPerSecond: 1000000}\n");
  auto started = steady_clock::now();
  std::vector<double> during;
  int next = 1000;
  // Live writes for as long as the backfill runs (at least one round).
  do {
    std::vector<double> round = LiveLatencies(10, next);
    next += 10;
    during.insert(during.end(), round.begin(), round.end());
  } while (JsonStr(BackfillJson(*agent_), "state") != "Complete" &&
           steady_clock::now() - started < seconds(600));
  ASSERT_TRUE(WaitBackfill(*agent_, "Complete", seconds(600))) << BackfillJson(*agent_);
  const double took = std::chrono::duration<double>(steady_clock::now() - started).count();
  std::sort(during.begin(), during.end());
  const long long copied = JsonInt(BackfillJson(*agent_), "points");
  auto pct = [](const std::vector<double>& v, double p) {
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
  };
  printf(
      "backfill: %lld points in %.2f s (%.0f points/s, %.1f s per million); live latency "
      "without backfill p50 %.1f ms p95 %.1f ms, during backfill p50 %.1f ms p95 %.1f ms "
      "(%zu samples)\n",
      copied, took, copied / took, took / (copied / 1e6), pct(baseline, 0.5), pct(baseline, 0.95),
      pct(during, 0.5), pct(during, 0.95), during.size());

  ExpectRangeIdentical(from, to);
  // Every live write arrived too.
  EXPECT_EQ(Count(remote_, "live", ""), 30 + (next - 1000));
  std::string metrics = agent_->Metrics();
  EXPECT_EQ(MetricValue(metrics, "edgerepl_backfill_read_points_total{replication=\"r1\"}"),
            static_cast<double>(copied));
  EXPECT_EQ(MetricValue(metrics, "edgerepl_backfill_progress_ratio{replication=\"r1\"}"), 1.0);
  EXPECT_EQ(MetricValue(metrics, "edgerepl_backfill_state{replication=\"r1\",state=\"Complete\"}"),
            1.0);

  // A restart does not read a finished range again.
  agent_->Stop();
  ASSERT_TRUE(agent_->Start()) << agent_->Log();
  EXPECT_EQ(JsonStr(BackfillJson(*agent_), "state"), "Complete");
  EXPECT_EQ(
      MetricValue(agent_->Metrics(), "edgerepl_backfill_read_points_total{replication=\"r1\"}"),
      0.0);
}

TEST_F(AgentBackfillTest, KilledDuringBackfillResumesAndDeliversEveryPoint) {
  const long long n = std::min<long long>(BulkPoints(), 50000);
  WriteBulk(n);
  const int64_t from = bulk_start_;
  const int64_t to = bulk_start_ + 120 * kMinuteNs;
  // Slow enough to be caught half way.
  StartAgent("    backfill: {from: \"" + Rfc3339(from) + "\", to: \"" + Rfc3339(to) +
             "\", maxPointsPerSecond: " + std::to_string(std::max<long long>(n / 6, 1000)) + "}\n");
  auto deadline = steady_clock::now() + seconds(60);
  while (JsonInt(BackfillJson(*agent_), "points") < n / 4 && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  long long before = JsonInt(BackfillJson(*agent_), "points");
  ASSERT_GE(before, n / 4);
  ASSERT_LT(before, n) << "the backfill finished before the kill";
  agent_->Kill();
  ASSERT_TRUE(agent_->Start()) << agent_->Log();
  // It resumes from its stored progress, not from the start.
  std::string resumed = BackfillJson(*agent_);
  EXPECT_GT(JsonInt(resumed, "points"), 0) << resumed;
  ASSERT_TRUE(WaitBackfill(*agent_, "Complete", seconds(120))) << BackfillJson(*agent_);
  ExpectRangeIdentical(from, to);
  EXPECT_EQ(Count(remote_, "cpu", "") + Count(remote_, "disk", "") + Count(remote_, "events", ""),
            4 * n);
}

TEST_F(AgentBackfillTest, AdminCallStartsAndReportsABackfill) {
  WriteBulk(3000);
  StartAgent("");
  EXPECT_EQ(BackfillJson(*agent_), "");
  const int64_t from = bulk_start_;
  const int64_t to = bulk_start_ + 60 * kMinuteNs;
  std::string answer;
  int code =
      HttpRequest(agent_->admin_port(), "POST", "/api/v1/replications/rep-1/backfill", {},
                  "{\"from\":\"" + Rfc3339(from) + "\",\"to\":\"" + Rfc3339(to) + "\"}", &answer);
  EXPECT_EQ(code, 202) << answer;
  code = HttpRequest(agent_->admin_port(), "POST", "/api/v1/replications/rep-1/backfill", {},
                     "{\"from\":\"yesterday\"}", &answer);
  EXPECT_EQ(code, 400);
  EXPECT_NE(answer.find("from: invalid time"), std::string::npos) << answer;
  ASSERT_TRUE(WaitBackfill(*agent_, "Complete", seconds(60))) << BackfillJson(*agent_);
  EXPECT_EQ(JsonStr(BackfillJson(*agent_), "origin"), "admin");
  EXPECT_EQ(JsonStr(BackfillJson(*agent_), "from"), Rfc3339(from).substr(0, 19) + "Z");
  ExpectRangeIdentical(from, to);
}

}  // namespace
}  // namespace edgerepl::testing
