// Replicated deletes against real servers: a delete sent through the agent (v1 DELETE and DROP
// SERIES on /query, a v2 /api/v2/delete in front of a 1.x local) removes the same points at an
// influxd remote, in order with the writes before and after it, also pipelined; with the option
// off nothing is deleted remotely; a remote that refuses deletes (VictoriaMetrics has no delete
// API) is counted and, with dropNonRetryableData, passed over while writes flow on.
#include <gtest/gtest.h>

#include "common/codec/percent.h"
#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;

class AgentDeletesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EDGEREPL_REQUIRE_SERVERS();
    local_.Start();
    remote_.Start();
    local_.CreateDatabase("db");
    remote_.CreateDatabase("db");
    // Three hours ago: "time < now() - 2h" covers every point written.
    t0_ = BaseNs() - 3 * 3600 * kSecondNs;
  }
  void StartAgent(const std::string& replication_extra) {
    agent_ = std::make_unique<AgentProcess>(
        dir_, AgentBody(local_.url(), dir_.Join("data"), remote_.url(), "", "",
                        "    batch: {maxPoints: 7}\n" + replication_extra));
    ASSERT_TRUE(agent_->Start()) << agent_->Log();
  }
  // `n` points of cpu (hosts a and b) and mem, one a second from t0 + first seconds, in writes of
  // 10 lines, so they reach the remote in several batches.
  void WritePoints(int first, int n, const std::string& value) {
    std::string body;
    for (int i = first; i < first + n; ++i) {
      const std::string t = std::to_string(t0_ + i * kSecondNs);
      body += "cpu,host=a v=" + value + " " + t + "\ncpu,host=b v=" + value + " " + t +
              "\nmem,host=b v=" + value + " " + t + "\n";
      if ((i - first) % 10 == 9 || i == first + n - 1) {
        std::string response;
        ASSERT_EQ(agent_->WriteV1("db=db", body, &response), 204) << response;
        body.clear();
      }
    }
  }
  int Query(const std::string& q, std::string* answer) {
    return HttpRequest(agent_->write_port(), "POST", "/query?db=db",
                       {{"Content-Type", "application/x-www-form-urlencoded"}},
                       "q=" + codec::PercentEncode(q), answer);
  }
  std::string At(int second) { return std::to_string(t0_ + second * kSecondNs); }
  // The same query's answer on both sides, point by point.
  void ExpectSame(const std::string& q) {
    std::string l = local_.Query(q, "db");
    std::string r = remote_.Query(q, "db");
    EXPECT_FALSE(l.empty()) << q;
    EXPECT_EQ(r, l) << q;
  }
  double Deletes(const std::string& result) {
    return MetricValue(agent_->Metrics(),
                       "edgerepl_deletes_total{replication=\"r1\",result=\"" + result + "\"}");
  }

  TempDir dir_;
  Influxd local_;
  Influxd remote_;
  std::unique_ptr<AgentProcess> agent_;
  int64_t t0_ = 0;
};

TEST_F(AgentDeletesTest, ADeleteRemovesTheSamePointsAtTheRemoteInOrderWithTheWrites) {
  StartAgent("    replicateDeletes: true\n    maxInFlight: 4\n");
  WritePoints(0, 100, "1");
  // Deleted before the writes that follow it, which fall in the same range: had the remote
  // applied it later (or the writes earlier), those would be gone there.
  std::string answer;
  ASSERT_EQ(Query("DELETE FROM cpu WHERE host = 'a' AND time < now() - 2h", &answer), 200)
      << answer;
  ASSERT_EQ(answer.find("error"), std::string::npos) << answer;
  ASSERT_EQ(Query("DELETE FROM cpu WHERE host='b' AND time >= " + At(20) + " AND time <= " + At(29),
                  &answer),
            200);
  WritePoints(20, 10, "2");
  ASSERT_EQ(Query("DROP SERIES FROM mem WHERE host='b'", &answer), 200) << answer;
  WritePoints(90, 5, "3");
  // A v2 delete in front of a 1.x local: applied through InfluxQL here, replicated the same.
  std::string v2;
  int code = HttpRequest(agent_->write_port(), "POST", "/api/v2/delete?org=o&bucket=db",
                         {{"Content-Type", "application/json"}},
                         "{\"start\":\"1970-01-01T00:00:00Z\",\"stop\":\"2100-01-01T00:00:00Z\","
                         "\"predicate\":\"_measurement=\\\"cpu\\\" AND host=\\\"b\\\" \"}",
                         &v2);
  ASSERT_EQ(code, 204) << v2;
  WritePoints(95, 5, "4");
  ASSERT_TRUE(agent_->WaitDrained(std::chrono::seconds(20))) << agent_->Replications();

  ExpectSame("SELECT * FROM cpu GROUP BY *");
  ExpectSame("SELECT * FROM mem GROUP BY *");
  ExpectSame("SHOW SERIES");
  // What is left, counted: host a only from the writes after its delete (20..29, 90..99), host b
  // only from after the v2 delete (95..99), mem only from after DROP SERIES (90..99).
  EXPECT_EQ(remote_.CountPoints("db", "cpu", "v"), 20 + 5);
  EXPECT_EQ(remote_.CountPoints("db", "mem", "v"), 10);
  EXPECT_EQ(Deletes("queued"), 4);
  EXPECT_EQ(Deletes("applied"), 4);
  EXPECT_EQ(Deletes("refused"), 0);
  const std::string status = agent_->Admin("/api/v1/replications/rep-1");
  EXPECT_NE(status.find(R"("deletes":{"applied":4,"dropped":0,"queued":4,"refused":0})"),
            std::string::npos)
      << status;
}

TEST_F(AgentDeletesTest, WithTheOptionOffNothingIsDeletedRemotely) {
  StartAgent("");
  WritePoints(0, 30, "1");
  std::string answer;
  ASSERT_EQ(Query("DELETE FROM cpu WHERE host = 'a'", &answer), 200) << answer;
  WritePoints(30, 10, "1");
  ASSERT_TRUE(agent_->WaitDrained(std::chrono::seconds(20))) << agent_->Replications();
  EXPECT_EQ(local_.CountPoints("db", "cpu", "v"), 30 + 20);
  EXPECT_EQ(remote_.CountPoints("db", "cpu", "v"), 80);
  EXPECT_EQ(Deletes("queued"), 0);
  EXPECT_EQ(agent_->Admin("/api/v1/replications/rep-1").find("\"deletes\""), std::string::npos);
}

TEST_F(AgentDeletesTest, WhatCannotBeReplicatedIsRefusedAndTheLocalKeepsItsPoints) {
  StartAgent("    replicateDeletes: true\n");
  WritePoints(0, 10, "1");
  std::string answer;
  EXPECT_EQ(Query("DELETE FROM cpu WHERE host = 'a' OR host = 'b'", &answer), 400);
  EXPECT_NE(answer.find("\"error\":"), std::string::npos) << answer;
  EXPECT_NE(answer.find("OR"), std::string::npos) << answer;
  EXPECT_EQ(local_.CountPoints("db", "cpu", "v"), 20);
  // Other queries pass through untouched.
  EXPECT_EQ(Query("SELECT count(v) FROM cpu", &answer), 200);
  EXPECT_NE(answer.find("20"), std::string::npos) << answer;
}

// VictoriaMetrics takes v2 writes but has no delete API: the remote refuses each delete.
TEST(AgentDeletesV2Test, ARemoteThatRefusesDeletesIsCountedAndPassedOverWithDrop) {
  EDGEREPL_REQUIRE_SERVERS();
  if (!VictoriaMetrics::Available()) GTEST_SKIP() << "no victoria-metrics";
  Influxd local;
  VictoriaMetrics remote;
  local.Start();
  remote.Start();
  local.CreateDatabase("db");
  TempDir dir;
  AgentProcess agent(dir, "local: {url: \"" + local.url() + "\"}\ndataDir: \"" + dir.Join("data") +
                              "\"\nremotes:\n  - {name: vm, url: \"" + remote.url() +
                              "\", protocol: v2, orgID: \"0000000000000001\", token: vm-token}\n"
                              "replications:\n  - {id: rep-1, name: r1, remote: vm, "
                              "localBucket: db, remoteBucket: edge, replicateDeletes: true, "
                              "dropNonRetryableData: true, backoff: {min: 100ms, max: 1s}}\n");
  ASSERT_TRUE(agent.Start()) << agent.Log();
  const int64_t t = BaseNs();
  ASSERT_EQ(agent.WriteV1("db=db", "vmdel,host=a v=1 " + std::to_string(t) + "\n"), 204);
  std::string answer;
  ASSERT_EQ(HttpRequest(agent.write_port(), "POST", "/query?db=db",
                        {{"Content-Type", "application/x-www-form-urlencoded"}},
                        "q=" + codec::PercentEncode("DELETE FROM vmdel"), &answer),
            200)
      << answer;
  ASSERT_EQ(agent.WriteV1("db=db", "vmdel,host=b v=2 " + std::to_string(t + 1000) + "\n"), 204);
  ASSERT_TRUE(agent.WaitDrained(std::chrono::seconds(20)))
      << agent.Replications() << agent.Metrics();
  std::string metrics = agent.Metrics();
  EXPECT_EQ(MetricValue(metrics, "edgerepl_deletes_total{replication=\"r1\",result=\"refused\"}"),
            1);
  EXPECT_EQ(MetricValue(metrics, "edgerepl_deletes_total{replication=\"r1\",result=\"dropped\"}"),
            1);
  remote.Flush();
  EXPECT_EQ(remote.CountSamples("{__name__=\"vmdel_v\"}", t / kSecondNs - 60, t / kSecondNs + 60),
            2);
  // Locally the delete was applied before the second write.
  EXPECT_EQ(local.CountPoints("db", "vmdel", "v"), 1);
}

}  // namespace
}  // namespace edgerepl::testing
