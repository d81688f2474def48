// The whole data path with real processes: clients -> edgerepl-agent -> local influxd, and the
// agent's queue -> remote influxd. Points are counted on both sides by query.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// `n` points of measurement `m`, tag t=<tag>, unique nanosecond timestamps from `first`.
std::string Points(const std::string& m, const std::string& tag, int64_t first, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    int64_t ts = BaseNs() + (first + i) * 1000;
    out += m + ",t=" + tag + " v=" + std::to_string(first + i) +
           "i,f=" + std::to_string((first + i) % 1000) + ".25,s=\"p" + std::to_string(first + i) +
           "\" " + std::to_string(ts) + "\n";
  }
  return out;
}

class AgentE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    EDGEREPL_REQUIRE_SERVERS();
    local_ = std::make_unique<Influxd>();
    remote_ = std::make_unique<Influxd>();
    local_->Start();
    remote_->Start();
    local_->CreateDatabase("db");
    remote_->CreateDatabase("db");
    agent_ = std::make_unique<AgentProcess>(
        dir_, AgentBody(local_->url(), dir_.Join("data"), remote_->url()));
    ASSERT_TRUE(agent_->Start()) << agent_->Log();
  }

  TempDir dir_;
  std::unique_ptr<Influxd> local_;
  std::unique_ptr<Influxd> remote_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_F(AgentE2ETest, HundredThousandPointsConcurrentlyReachBothSidesIdentically) {
  constexpr int kThreads = 8, kRequests = 25, kPerRequest = 500;  // 100k points
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRequests; ++r) {
        int64_t first = (int64_t{t} * kRequests + r) * kPerRequest;
        std::string resp;
        int code =
            agent_->WriteV1("db=db", Points("e2e", std::to_string(t), first, kPerRequest), &resp);
        if (code != 204) {
          ++failures;
          ADD_FAILURE() << code << " " << resp;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(agent_->WaitDrained(seconds(120))) << agent_->Replications();
  EXPECT_EQ(local_->CountPoints("db", "e2e", "v"), 100000);
  EXPECT_EQ(remote_->CountPoints("db", "e2e", "v"), 100000);
  for (const char* q : {"SELECT sum(v), sum(f), count(s) FROM e2e GROUP BY t",
                        "SELECT * FROM e2e WHERE t='3' ORDER BY time DESC LIMIT 20"}) {
    std::string l = local_->Query(q, "db"), r = remote_->Query(q, "db");
    EXPECT_FALSE(l.empty());
    EXPECT_EQ(l, r) << q;
  }
  std::string status = agent_->Replications();
  EXPECT_EQ(JsonStr(status, "state"), "Idle") << status;
  EXPECT_EQ(JsonInt(status, "latestResponseCode"), 204);
  std::string metrics = agent_->Metrics();
  EXPECT_EQ(MetricValue(metrics, "edgerepl_write_points_total"), 100000) << metrics;
  EXPECT_EQ(MetricValue(metrics, "edgerepl_write_requests_total{api=\"v1\",code=\"204\"}"), 200);
  // SIGTERM: stops cleanly with exit status 0.
  int st = agent_->Stop();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st << "\n" << agent_->Log();
}

TEST_F(AgentE2ETest, RemoteDownUnderLoadQueueGrowsThenDrainsWithNothingLost) {
  std::atomic<bool> stop{false};
  std::atomic<int> written{0}, failures{0};
  std::thread writer([&] {
    for (int r = 0; !stop && r < 100000; ++r) {
      if (agent_->WriteV1("db=db", Points("down", "w", int64_t{r} * 200, 200)) == 204) {
        written += 200;
      } else {
        ++failures;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  std::this_thread::sleep_for(seconds(1));
  remote_->Stop();

  // Writes keep succeeding, the queue grows and the status says why.
  std::this_thread::sleep_for(seconds(2));
  std::string during = agent_->Replications();
  long long bytes1 = JsonInt(during, "currentQueueSizeBytes");
  std::this_thread::sleep_for(seconds(1));
  during = agent_->Replications();
  long long bytes2 = JsonInt(during, "currentQueueSizeBytes");
  EXPECT_GT(bytes1, 0) << during;
  EXPECT_GT(bytes2, bytes1) << during;
  EXPECT_GT(JsonInt(during, "pendingPoints"), 0);
  EXPECT_GT(JsonInt(during, "consecutiveFailures"), 0) << during;
  EXPECT_EQ(JsonStr(during, "state"), "Backoff") << during;
  EXPECT_EQ(JsonInt(during, "latestResponseCode"), 0) << "a refused connection has no code";
  std::string metrics = agent_->Metrics();
  EXPECT_GT(MetricValue(metrics, "edgerepl_queue_bytes{replication=\"r1\"}"), 0) << metrics;
  EXPECT_EQ(
      MetricValue(metrics, "edgerepl_replication_state{replication=\"r1\",state=\"Backoff\"}"), 1);

  remote_->Start();
  std::this_thread::sleep_for(seconds(1));
  stop = true;
  writer.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(agent_->WaitDrained(seconds(60))) << agent_->Replications();
  EXPECT_EQ(local_->CountPoints("db", "down", "v"), written.load());
  EXPECT_EQ(remote_->CountPoints("db", "down", "v"), written.load());
  std::string after = agent_->Replications();
  EXPECT_EQ(JsonStr(after, "state"), "Idle") << after;
  EXPECT_EQ(JsonInt(after, "consecutiveFailures"), 0);
  EXPECT_EQ(JsonInt(after, "latestResponseCode"), 204);
  metrics = agent_->Metrics();
  EXPECT_EQ(MetricValue(metrics, "edgerepl_queue_pending_points{replication=\"r1\"}"), 0);
  EXPECT_EQ(MetricValue(metrics, "edgerepl_replication_state{replication=\"r1\",state=\"Idle\"}"),
            1);
}

// Counts per tag value `b` of measurement m: {"b":"12"} ... [["1970-01-01T00:00:00Z",200]]
std::map<std::string, long long> CountsByBatch(const std::string& json) {
  std::map<std::string, long long> out;
  size_t pos = 0;
  while ((pos = json.find("\"tags\":{\"b\":\"", pos)) != std::string::npos) {
    pos += 13;
    size_t end = json.find('"', pos);
    std::string b = json.substr(pos, end - pos);
    size_t v = json.find("Z\",", end);
    if (v == std::string::npos) break;
    out[b] = std::atoll(json.c_str() + v + 3);
    pos = v;
  }
  return out;
}

// Stops the agent under load, restarts it, and checks every batch answered 204 on the remote.
void StopUnderLoadLosesNothing(AgentProcess& agent, Influxd& remote, bool graceful) {
  constexpr int kPerBatch = 200;
  std::mutex mu;
  std::set<int> acked;
  std::atomic<int> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      while (!stop) {
        int b = next++;
        std::string body;
        for (int i = 0; i < kPerBatch; ++i) {
          body += "k,b=" + std::to_string(b) + " v=" + std::to_string(i) + "i " +
                  std::to_string(BaseNs() + (int64_t{b} * kPerBatch + i) * 1000) + "\n";
        }
        int code = agent.WriteV1("db=db", body);
        if (code == 204) {
          std::lock_guard<std::mutex> lock(mu);
          acked.insert(b);
        } else if (code == 0) {
          return;  // the agent is gone
        }
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(1500));
  if (graceful) {
    int st = agent.Stop();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st << "\n" << agent.Log();
  } else {
    agent.Kill();
  }
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_GT(acked.size(), 10u);

  ASSERT_TRUE(agent.Start()) << agent.Log();
  ASSERT_TRUE(agent.WaitDrained(seconds(60))) << agent.Replications();
  auto counts = CountsByBatch(remote.Query("SELECT count(v) FROM k GROUP BY b", "db"));
  size_t missing = 0;
  for (int b : acked) {
    auto it = counts.find(std::to_string(b));
    if (it == counts.end() || it->second != kPerBatch) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged batches";
}

TEST_F(AgentE2ETest, KillDashNineUnderLoadLosesNoAcknowledgedPoint) {
  StopUnderLoadLosesNothing(*agent_, *remote_, /*graceful=*/false);
}

// SIGTERM under load: writes in flight finish (their 204 holds), the exit status is 0, and the
// restarted agent sends whatever the remote had not confirmed.
TEST_F(AgentE2ETest, SigtermUnderLoadExitsZeroAndLosesNoAcknowledgedPoint) {
  StopUnderLoadLosesNothing(*agent_, *remote_, /*graceful=*/true);
}

}  // namespace
}  // namespace edgerepl::testing

namespace edgerepl::testing {
namespace {

// The v2 write API against a real server that speaks it (VictoriaMetrics accepts /api/v2/write
// and answers /ping; influxd 1.6 has no v2 API): precision, org and bucket matching, and the
// _instance_id tag, checked point by point on an influxd remote.
TEST(AgentV2Test, V2WritesWithPrecisionOrgAndInstanceIdReachTheRemote) {
  EDGEREPL_REQUIRE_SERVERS();
  if (!VictoriaMetrics::Available()) GTEST_SKIP() << "no victoria-metrics";
  VictoriaMetrics local;
  Influxd remote;
  local.Start();
  remote.Start();
  remote.CreateDatabase("edge");
  TempDir dir;
  AgentProcess agent(dir, "local: {url: \"" + local.url() + "\"}\ndataDir: \"" + dir.Join("data") +
                              "\"\ninstanceID: edge-7\nremotes:\n  - {name: remote, url: \"" +
                              remote.url() +
                              "\", protocol: v1}\nreplications:\n  - {id: v2rep, name: v2rep, "
                              "remote: remote, localBucket: telegraf, localBucketID: 0f0f0f0f, "
                              "localOrg: acme, remoteBucket: edge}\n");
  ASSERT_TRUE(agent.Start()) << agent.Log();
  const int64_t base_ms = BaseNs() / 1'000'000;
  auto post = [&](const std::string& query, const std::string& body) {
    std::string resp;
    int code = HttpRequest(agent.write_port(), "POST", "/api/v2/write?" + query,
                           {{"Authorization", "Token local-token"}}, body, &resp);
    EXPECT_TRUE(code == 204) << code << " " << resp;
  };
  post("org=acme&bucket=telegraf&precision=ms", "v2m,host=a v=1 " + std::to_string(base_ms) +
                                                    "\nv2m,host=b v=2 " +
                                                    std::to_string(base_ms + 1) + "\n");
  post("org=acme&bucket=0f0f0f0f&precision=ms", "v2m,host=c v=3 " + std::to_string(base_ms + 2));
  post("org=other&bucket=telegraf&precision=ms", "v2m,host=d v=4 " + std::to_string(base_ms + 3));
  post("org=acme&bucket=elsewhere&precision=ms", "v2m,host=e v=5 " + std::to_string(base_ms + 4));
  ASSERT_TRUE(agent.WaitDrained(std::chrono::seconds(30))) << agent.Replications();
  EXPECT_EQ(remote.CountPoints("edge", "v2m", "v"), 3);
  std::string rows = remote.Query("SELECT v, host, _instance_id FROM v2m ORDER BY time", "edge");
  EXPECT_NE(rows.find("\"edge-7\""), std::string::npos) << rows;
  EXPECT_NE(rows.find(",1,\"a\",\"edge-7\"]"), std::string::npos) << rows;
  // The millisecond timestamp arrived as the same instant.
  std::string first =
      remote.Query("SELECT v FROM v2m WHERE time = " + std::to_string(base_ms * 1'000'000), "edge");
  EXPECT_NE(first.find(",1]"), std::string::npos) << first;
}

}  // namespace
}  // namespace edgerepl::testing
