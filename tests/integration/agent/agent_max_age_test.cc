// Max age by the clock with real processes: a 30 s outage of the remote influxd, maxAgeSeconds 5
// and the smallest maxQueueSizeBytes, under a write rate that fills that queue in well under 30 s.
// No write may be refused or dropped as queue_full, and the remote afterwards holds no point that
// was older than 5 s when it was sent. Each point's timestamp is its write time.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

long long Count(Influxd& db, const std::string& where) {
  std::string out = db.Query("SELECT count(\"v\") FROM \"age\" WHERE " + where, "db");
  auto pos = out.find("\"values\":[[");
  if (pos == std::string::npos) return out.find("\"results\"") == std::string::npos ? -1 : 0;
  pos = out.find(',', pos);
  return pos == std::string::npos ? -1 : std::atoll(out.c_str() + pos + 1);
}

std::string Where(int64_t from_ns, int64_t to_ns) {
  return "time >= " + std::to_string(from_ns) + " AND time < " + std::to_string(to_ns);
}

class AgentMaxAgeTest : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Policy, AgentMaxAgeTest, ::testing::Values("drop", "reject"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST_P(AgentMaxAgeTest, ThirtySecondOutageKeepsTheNewestAndSendsNothingExpired) {
  EDGEREPL_REQUIRE_SERVERS();
  constexpr uint64_t kMaxQueue = 33554430;  // the smallest allowed
  constexpr int64_t kMaxAgeNs = 5'000'000'000;
  // A point is stamped by the client just before its request; the queue stamps the record when
  // the local write has answered. That gap (a local write under load) is allowed on top of 5 s.
  constexpr int64_t kStampSlackNs = 1'000'000'000;
  TempDir dir;
  Influxd local, remote;
  local.Start();
  remote.Start();
  local.CreateDatabase("db");
  remote.CreateDatabase("db");
  AgentProcess agent(dir, AgentBody(local.url(), dir.Join("data"), remote.url(),
                                    "queueFullPolicy: " + GetParam() + "\n", "",
                                    "    maxAgeSeconds: 5\n    maxQueueSizeBytes: " +
                                        std::to_string(kMaxQueue) + "\n"));
  ASSERT_TRUE(agent.Start()) << agent.Log();

  std::atomic<bool> stop{false};
  std::atomic<int64_t> written_bytes{0};
  std::mutex mu;
  std::vector<int> refused;  // statuses other than 204
  // Two writers with long lines, paced to about 2.5 MB/s together: the 30 s outage writes about
  // twice the queue's limit, while the last 5 s (what max age keeps) take about a third of it. A
  // busy machine still reaches the pace (the agent's cost is mostly per line, not per byte).
  auto write_loop = [&](int writer) {
    int64_t seq = 0;
    auto next = std::chrono::steady_clock::now();
    while (!stop.load()) {
      next += milliseconds(180);
      std::this_thread::sleep_until(next);
      std::string body;
      const int64_t ts = NowNs();
      for (int i = 0; i < 500; ++i, ++seq) {
        body += "age,run=a,w=" + std::to_string(writer) + " v=" + std::to_string(seq) + "i,pad=\"" +
                std::string(400, 'x') + "\" " + std::to_string(ts + i) + "\n";
      }
      std::string answer;
      int code = agent.WriteV1("db=db", body, &answer);
      if (code != 204) {
        std::lock_guard<std::mutex> lock(mu);
        refused.push_back(code);
      } else {
        written_bytes += static_cast<int64_t>(body.size());
      }
    }
  };
  std::thread writer1(write_loop, 1), writer2(write_loop, 2);

  std::this_thread::sleep_for(seconds(3));
  const int64_t down_ns = NowNs();
  const int64_t bytes_before = written_bytes.load();
  remote.Stop();
  std::this_thread::sleep_for(seconds(30));
  const int64_t outage_bytes = written_bytes.load() - bytes_before;
  const int64_t up_ns = NowNs();
  remote.Start();
  std::this_thread::sleep_for(seconds(3));
  stop = true;
  writer1.join();
  writer2.join();
  const int64_t end_ns = NowNs();
  ASSERT_TRUE(agent.WaitDrained(seconds(60))) << agent.Replications();

  // Without expiry this outage would have filled the queue.
  EXPECT_GT(outage_bytes, static_cast<int64_t>(kMaxQueue)) << "write rate too low to fill it";
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_TRUE(refused.empty()) << refused.size() << " writes refused, first " << refused[0];
  }
  std::string metrics = agent.Metrics();
  EXPECT_LE(MetricValue(metrics,
                        "edgerepl_queue_dropped_points_total{reason=\"queue_full\",replication="
                        "\"r1\"}"),
            0)
      << metrics;
  const double expired = MetricValue(
      metrics, "edgerepl_queue_dropped_points_total{reason=\"expired\",replication=\"r1\"}");
  EXPECT_GT(expired, 0) << metrics;

  // Sent at the earliest when the remote came back, so a point stamped before up − 5 s (less the
  // stamping slack) was too old to send; none of them may be at the remote.
  const long long stale =
      Count(remote, Where(down_ns + kStampSlackNs, up_ns - kMaxAgeNs - kStampSlackNs));
  EXPECT_EQ(stale, 0);
  // The newest data was queued and delivered: everything from the last seconds of the outage on.
  const long long local_recent = Count(local, Where(up_ns - 3'000'000'000, end_ns));
  const long long remote_recent = Count(remote, Where(up_ns - 3'000'000'000, end_ns));
  EXPECT_GT(local_recent, 0);
  EXPECT_EQ(remote_recent, local_recent);
  // Every point the local database holds is at the remote or was counted expired. A batch the
  // remote stored as it was stopped, unanswered, is retried and may then expire: counted, and at
  // the remote all the same (at most the batches in flight, batch.maxPoints 5000 each).
  const long long local_all = Count(local, Where(0, end_ns));
  const long long remote_all = Count(remote, Where(0, end_ns));
  EXPECT_LE(static_cast<double>(local_all - remote_all), expired);
  EXPECT_LE(expired - static_cast<double>(local_all - remote_all), 5000);
  std::printf("policy %s: outage wrote %.1f MiB, expired %.0f points, local %lld remote %lld\n",
              GetParam().c_str(), static_cast<double>(outage_bytes) / (1 << 20), expired, local_all,
              remote_all);
}

}  // namespace
}  // namespace edgerepl::testing
